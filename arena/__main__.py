"""`python -m arena`: hands the CLI the worker's entry point, so neither face imports the other."""

import sys

from arena.engine.config.settings import Settings
from arena.faces.cli.main import main


def _run_worker(settings: Settings) -> int:
    from arena.worker.worker import run_worker  # imported only for the `worker` command (APScheduler, gateway)

    return run_worker(settings)


sys.exit(main(worker=_run_worker))
