"""Run deploy/nginx/arena.conf — the documented file, only its addresses swapped — under a throwaway nginx."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from arena.engine.config.settings import PROJECT_ROOT
from tests.faces.web.api.processes import free_port, running, wait_for

CONFIG = PROJECT_ROOT / "deploy" / "nginx" / "arena.conf"


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    if found is None:
        pytest.fail("nginx is not installed; the AdminHub proxy test needs it: `apt-get install -y nginx`")
    return found


def site_config(*, listen_port: int, arena_port: int, adminhub_port: int) -> str:
    text = CONFIG.read_text()
    swaps = {
        "server 127.0.0.1:8501;": f"server 127.0.0.1:{arena_port};",
        "server 127.0.0.1:3000;": f"server 127.0.0.1:{adminhub_port};",
        "    listen 80;": f"    listen 127.0.0.1:{listen_port};",
    }
    for old, new in swaps.items():
        assert text.count(old) == 1, f"{CONFIG} no longer has exactly one {old!r}; update the docs and this test"
        text = text.replace(old, new)
    return text


@contextmanager
def nginx_in_front(tmp_path: Path, *, arena_port: int, adminhub_port: int) -> Iterator[tuple[str, Path]]:
    """Yields (base URL, access log path) of nginx serving the documented site on a free loopback port."""
    binary = nginx_binary()
    root = tmp_path / "nginx"
    root.mkdir()
    port = free_port()
    (root / "arena.conf").write_text(site_config(listen_port=port, arena_port=arena_port, adminhub_port=adminhub_port))
    temp = {name: root / name for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers need the temp folders, which are private to us
    (root / "nginx.conf").write_text(
        f"""{user}worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {temp["client_body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {root}/arena.conf;
}}
"""
    )
    cmd = [binary, "-p", str(root), "-e", str(root / "error.log"), "-c", str(root / "nginx.conf")]
    log = root / "stdout.log"
    with running(cmd, cwd=root, env=os.environ, log=log) as proc:
        wait_for(f"http://127.0.0.1:{port}/api/admin/arena/health", proc, log)
        yield f"http://127.0.0.1:{port}", root / "access.log"
