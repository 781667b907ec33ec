#!/usr/bin/env bash
# The one test command, for a fresh machine with only Python 3.11: venv, pinned deps, PostgreSQL, lint, types, tests.
# Every step runs even after a failure (so one run shows everything); the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

if [[ ! -x .venv/bin/python ]]; then
    python_bin="$(command -v python3.11 || command -v python3 || true)"
    [[ -n "$python_bin" ]] || die "Python 3.11 is required (python3.11 not found)"
    "$python_bin" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "$python_bin is older than 3.11"
    step "creating .venv with $python_bin"
    "$python_bin" -m venv .venv || die "could not create .venv"
fi
# shellcheck disable=SC1091
source .venv/bin/activate

step "installing requirements-dev.txt"
python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt || die "pip install failed"

# The PostgreSQL tests fail (never skip) when the server is down, so start the local cluster if we can.
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1; then
    if command -v pg_ctlcluster >/dev/null && [[ -d /etc/postgresql ]]; then
        step "starting PostgreSQL"
        for version in /etc/postgresql/*; do
            pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start || true
        done
        for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
    fi
fi

# The browser and reverse-proxy tests drive Debian's chromium and nginx (never a downloaded browser).
missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
if ((${#missing[@]})) && command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
    step "installing ${missing[*]} (Debian packages)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
        || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null; } \
        || printf 'test.sh: could not install %s; the browser/proxy tests will fail\n' "${missing[*]}" >&2
fi

failed=()
run() {
    step "$*"
    "$@" || failed+=("$*")
}

run ruff check .
run ruff format --check .
run lint-imports --no-logo
run mypy arena bench
run pytest

if ((${#failed[@]})); then
    printf '\ntest.sh: FAILED: %s\n' "${failed[*]}" >&2
    exit 1
fi
printf '\ntest.sh: all checks passed\n'
