"""Schemathesis over every endpoint: the served OpenAPI document and the API agree, in both directions.

The document is loaded from the app itself (GET /api/admin/arena/openapi.json, with the token) and every operation
is exercised with schema-valid and schema-invalid requests through the ASGI app mounted as `serve` mounts it, over
its own migrated SQLite database. All of schemathesis' default checks run (no 5xx, documented status codes,
content types, response bodies and headers, valid data accepted, invalid data rejected, 405 with `Allow`).
Examples are bounded and derandomized so the file is fast and stable. POST /run only enqueues: nothing is asked of
a provider or a broker (the settings point both at a closed loopback port).
"""

from __future__ import annotations

import copy

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case, CheckContext, Response
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.applications import Starlette

from arena.bootstrap.database import Database
from arena.faces.web.api import API_PREFIX, ApiContext, api_mount
from tests.faces.web.api.conftest import AUTH, api_settings
from tests.faces.web.api.helpers import add_profile, add_run

MAX_EXAMPLES = 30


def _app(settings_url: str, database: Database | None) -> Starlette:
    """The API mounted at its prefix, as `serve` mounts it (schemathesis' wrong tokens are never throttled here)."""
    settings = api_settings(settings_url, ARENA_AUTH_MAX_FAILURES=1_000_000)
    return Starlette(routes=[api_mount(ApiContext(settings=settings, database=database))])


# The document as the app serves it (serving it needs the token, not the database).
DOCUMENT_ONLY = _app("sqlite://", None)
schema = schemathesis.openapi.from_asgi(f"{API_PREFIX}/openapi.json", DOCUMENT_ONLY, headers=AUTH)
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)


@pytest.fixture
def api_app(sqlite_url: str, sqlite_database: Database) -> Starlette:
    """The app over its own migrated SQLite database, with one enabled profile and one run."""
    add_profile(sqlite_database, "cheap_scout")
    add_run(sqlite_database)
    return _app(sqlite_url, sqlite_database)


def accepted_unless_state_refuses(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """positive_data_acceptance, except a 422 that names only fields the operation publishes as depending on the
    database or settings (`x-state-dependent-fields`: e.g. agents that are no profile here)."""
    meta = case.meta
    if response.status_code == 422 and meta is not None and meta.generation.mode.is_positive:
        fields = set(response.json().get("fields") or {})
        if fields and fields <= set(case.operation.definition.raw.get("x-state-dependent-fields", [])):
            return None
    return positive_data_acceptance(ctx, response, case)


def _call_and_validate(case: Case, app: Starlette) -> None:
    case.call_and_validate(
        headers=AUTH,
        app=app,
        excluded_checks=[positive_data_acceptance],
        additional_checks=[accepted_unless_state_refuses],
    )


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_endpoint_conforms_to_its_openapi_document(case: Case, api_app: Starlette) -> None:
    _call_and_validate(case, api_app)


# Schemathesis leaves out the path it loaded the document from; the same document, loaded as data, covers it
# (serving it needs no database).
document = schemathesis.openapi.from_dict(copy.deepcopy(schema.raw_schema)).include(path="/openapi.json")
document.app = DOCUMENT_ONLY
document.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)


@document.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_document_endpoint_conforms_to_itself(case: Case) -> None:
    _call_and_validate(case, DOCUMENT_ONLY)
