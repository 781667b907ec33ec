#!/usr/bin/env bash
# Run Arena: venv + pinned runtime deps, migrate, then the web process (and the worker) on ARENA_HOST:ARENA_PORT.
# With no DATABASE_URL set, the database is the SQLite file data/arena.db. Extra arguments go to `serve`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ! -x .venv/bin/python ]]; then
    python_bin="$(command -v python3.11 || command -v python3)"
    "$python_bin" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
        echo "run.sh: Python 3.11 or newer is required" >&2
        exit 1
    }
    "$python_bin" -m venv .venv
fi
# shellcheck disable=SC1091
source .venv/bin/activate
python -m pip install --quiet --disable-pip-version-check -r requirements.txt

python -m arena db upgrade
exec python -m arena serve "$@"
