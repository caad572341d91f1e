"""Background jobs: bulk work goes on the RQ queue when `REDIS_URL` is set, and runs inline otherwise.

Bulk certificate rendering and reminder email are split into batches; each batch is one job function
(decorated with `@job`) that takes only ids and plain values, so it can be pickled into Redis and run by
any `rq worker` on any host:

    cd /srv/lms && REDIS_URL=… DATABASE_URL=… LMS_ENV=production … .venv/bin/rq worker -c lms.worker_settings

(or plainly `.venv/bin/rq worker --url $REDIS_URL lms` in the project directory). Without `REDIS_URL` the
same functions run at once in the request or command that asked, as on a single small server.

Every job function is idempotent: it reuses the claims the inline code relies on (one certificate per
completion by a unique constraint, one reminder per certificate and threshold), so a job retried after a
crash, or queued twice by a double click, never issues or sends anything twice.
"""
from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_app_context

# A batch is one job: big enough that starting a job costs little beside its work, small enough that
# several workers share a big run and a failed job is cheap to re-run (measured: README "Scale-out").
CERTIFICATES_PER_JOB = 25
REMINDERS_PER_JOB = 100
JOB_TIMEOUT_SECONDS = 15 * 60
RESULT_TTL_SECONDS = 24 * 60 * 60  # how long `rq info` and the tests can read a job's report
FAILURE_TTL_SECONDS = 7 * 24 * 60 * 60  # a failed job waits a week for `rq requeue`

_worker_app: Flask | None = None  # the app of a worker process, made once (see `worker_app`)
_connections: dict[str, Any] = {}  # one Redis client (and its connection pool) per URL in this process


@dataclass(frozen=True)
class JobOutcome:
    """What `enqueue` did: queued a job (`job` set) or ran the function here (`result` is its return)."""

    job: Any = None
    result: Any = None

    @property
    def queued(self) -> bool:
        return self.job is not None


def queue_enabled() -> bool:
    return bool(current_app.config.get("REDIS_URL"))


def redis_connection(url: str | None = None):
    from redis import Redis

    url = url or current_app.config["REDIS_URL"]
    if url not in _connections:
        _connections[url] = Redis.from_url(url)
    return _connections[url]


def job_queue():
    from rq import Queue

    return Queue(current_app.config["JOB_QUEUE"], connection=redis_connection(),
                 default_timeout=JOB_TIMEOUT_SECONDS)


def enqueue(function: Callable, *args, description: str) -> JobOutcome:
    """Put `function(*args)` on the RQ queue when Redis is configured, else run it now and keep its result.

    `function` must be a module-level `@job` function and `args` plain values (ids, dates, lists of them):
    the worker imports the function by name and unpickles the arguments.
    """
    if not queue_enabled():
        return JobOutcome(result=function(*args))
    queued = job_queue().enqueue(function, *args, description=description, job_timeout=JOB_TIMEOUT_SECONDS,
                                 result_ttl=RESULT_TTL_SECONDS, failure_ttl=FAILURE_TTL_SECONDS)
    return JobOutcome(job=queued)


def batched(items: Iterable, size: int) -> Iterator[list]:
    batch: list = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def worker_app() -> Flask:
    """The app of this worker process, created once from the environment (LMS_ENV, DATABASE_URL, …) as
    gunicorn's is. Only the app object is kept: nothing in it is shared state, and database connections
    are opened lazily, in whichever process runs the job."""
    global _worker_app
    if _worker_app is None:
        from lms import create_app

        _worker_app = create_app()
    return _worker_app


def job(function: Callable) -> Callable:
    """Make a function a job: inline it runs in the caller's app context; in an `rq worker` (no app
    context) it runs inside the worker's app, with a database session that is removed afterwards."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        if has_app_context():
            return function(*args, **kwargs)
        try:
            with worker_app().app_context():
                return function(*args, **kwargs)
        finally:
            _release_fonts()

    return run


def _release_fonts() -> None:
    """An `rq worker` job runs in a forked process that ends with os._exit, skipping atexit: a job that
    rendered PDFs removes the fonts' temporary folder itself (lms.certificates.pdf.release_fonts)."""
    pdf = sys.modules.get("lms.certificates.pdf")  # loaded only where something was rendered
    if pdf is not None:
        pdf.release_fonts()


def warm_up() -> None:
    """Import the job modules and create the app before `rq worker` forks a process per job, so each job
    starts at once instead of importing the whole app again (see lms/worker_settings.py)."""
    import lms.certificates.jobs  # noqa: F401
    import lms.classes.services  # noqa: F401

    worker_app()
