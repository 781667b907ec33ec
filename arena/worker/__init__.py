"""The worker process: one APScheduler scheduler on one asyncio loop, active only while it holds the lease.

- `worker`    the process (`python -m arena worker`): wiring through arena.bootstrap, activation, graceful stop
- `lease`     the lease and heartbeat loop (take, renew, lose the lease; write the heartbeat)
- `jobs`      what the active worker schedules: queue poll, strategy sync and cycles, periodic jobs
- `runs`      the runs in flight (RunPool: at most `max_runs`, abandon or requeue on loss)
- `schedules` strategies in the database → APScheduler jobs (added, replaced, removed while running)
- `periodic`  other periodic jobs (reconciliation, scoring, housekeeping): `register_periodic(name, fn, seconds)`
- `config`, `threads`  timings and bounds; the worker's own database threads

This package reaches vendors only through arena.bootstrap and never imports streamlit. See docs/WORK_QUEUE.md.
"""
