"""The worker process: one APScheduler scheduler on one asyncio loop, active only while it holds the lease.

- `jobs.worker`    the process (`python -m arena worker`): lease, queue, cycles, graceful stop
- `jobs.schedules` strategies in the database → APScheduler jobs (added, replaced, removed while running)
- `jobs.periodic`  other periodic jobs (reconciliation, housekeeping): `register_periodic(name, fn, seconds)`

This package imports arena (and storage through it), never streamlit. See docs/WORK_QUEUE.md.
"""
