"""Only AdminHub's origin may frame Arena: every HTTP response carries `Content-Security-Policy: frame-ancestors`."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from arena.engine.config.settings import Settings
from arena.faces.web.frame_policy import FrameAncestors
from arena.kernel.errors import ConfigurationError


def app(policy: str) -> Starlette:
    async def page(_request: object) -> PlainTextResponse:
        return PlainTextResponse("ok", headers={"Content-Security-Policy": "frame-ancestors *"})

    return Starlette(routes=[Route("/", page)], middleware=[Middleware(FrameAncestors, policy=lambda: policy)])


def test_every_response_names_who_may_frame_it_and_no_handler_can_widen_it() -> None:
    with TestClient(app("'self' https://adminhub.example")) as client:
        for path in ("/", "/missing"):
            response = client.get(path)
            assert response.headers.get_list("content-security-policy") == [
                "frame-ancestors 'self' https://adminhub.example"
            ]


def test_the_default_is_self_and_bad_values_are_refused() -> None:
    assert Settings(_env_file=None).frame_ancestors == "'self'"  # type: ignore[call-arg]
    ok = Settings(_env_file=None, ARENA_FRAME_ANCESTORS="  'self'   https://hub.example ")  # type: ignore[call-arg]
    assert ok.frame_ancestors == "'self' https://hub.example"
    for bad in ("*", "https://a.example; script-src *", "", "javascript:alert(1)"):
        with pytest.raises(ValueError, match="ARENA_FRAME_ANCESTORS"):
            Settings(_env_file=None, ARENA_FRAME_ANCESTORS=bad)  # type: ignore[call-arg]


def test_invalid_settings_do_not_stop_the_web_process_and_the_default_applies() -> None:
    def broken() -> str:
        raise ConfigurationError("invalid settings: ARENA_PORT: not a number")

    async def page(_request: object) -> PlainTextResponse:
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/", page)], middleware=[Middleware(FrameAncestors, policy=broken)])
    with TestClient(app) as client:
        assert client.get("/").headers["content-security-policy"] == "frame-ancestors 'self'"
