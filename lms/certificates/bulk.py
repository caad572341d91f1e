"""Bulk issuing on every core: the PDFs rendered by a few worker processes, everything else here.

Only `lms issue-certificates` without Redis uses it (jobs.issue_missing_certificates); with Redis each batch is
an RQ job and the parallelism is one `rq worker` per core. A render is CPU work for WeasyPrint, so one process
renders one certificate at a time; with N cores, N render processes issue nearly N times as many.

What stays in this process is everything that touches the database or the storage, in the order the
completions come: the row's values, the serial number and the code are worked out here (plan_missing), the
certificate's HTML is made here, a render process turns it into PDF bytes, and back here the PDF is stored and
its row inserted and committed, one certificate at a time, exactly as issue_one_missing does
(commit_planned). A serial number is printed on the PDF, so it is chosen before the render: the next one after
the certificate planned before. When that guess is wrong (a certificate before it failed, another process
issued one meanwhile, the completion got its certificate some other way), nothing of it is stored: that
completion is issued the ordinary way, here (issue_one_missing, with its claims and retries), and those planned
after it are planned again. The render processes never see the database, the app or a secret: HTML in, bytes
out. They are started fresh (`spawn`), not forked, so they inherit no database connection, lock or thread;
like any `spawn` child each imports the program's main module again, so a script that issues in bulk keeps
its work under `if __name__ == "__main__":` (the `flask` command and bench/certificates.py do). Should the
processes die, what is left is rendered here.
"""
from __future__ import annotations

import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain

from lms.certificates import document, services
from lms.courses.models import Enrolment
from lms.db import utcnow
from lms.extensions import db

log = logging.getLogger(__name__)

# Each render process holds WeasyPrint, the fonts and the app's modules: about 120 MB. The work here takes
# about a sixth of a render's time, so beyond 4 or 5 render processes this one would be the limit anyway.
MAX_RENDER_PROCESSES = 4
# Starting a render process costs about a second of CPU (importing WeasyPrint and the app's modules) and its
# first renders are slower (cold caches). Measured on 2 cores: 2 processes are slower for 40 and 80
# certificates, quicker from about 100 on (120: 4.7 s against 7.2 s in one process).
MIN_FOR_PROCESSES = 100


def render_processes() -> int:
    """The cores this process may use (its CPU affinity, as a container or `taskset` sets it), capped."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_RENDER_PROCESSES))


@dataclass(frozen=True)
class PlannedIssue:
    """A missing certificate worked out before its PDF exists: the row to insert, the serial number it expects,
    the HTML to render."""

    enrolment_id: int
    values: dict
    year: int
    number: int
    code: str
    html: str


def plan_missing(enrolment_id: int, after: PlannedIssue | None) -> PlannedIssue | None:
    """The certificate a completion lacks, numbered next after `after` (or after the last one issued). None
    when it is no plain case (no such completion): issue_one_missing then deals with it as before."""
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.completed_at is None:
        return None
    now = utcnow()
    values, english = services._edition_values(enrolment, edition=1, issued_by=None, now=now)
    year, code = services.local_date(now).year, services.new_code()
    number = after.number + 1 if after is not None and after.year == year else services._next_serial_number(year)
    content = services._content(values, serial=services._serial(year, number), code=code,
                                issued_on=services.local_date(now), english=english)
    return PlannedIssue(enrolment_id, values, year, number, code, document.certificate_html(content))


def commit_planned(planned: PlannedIssue, rendered: bytes) -> bool:
    """Store and insert a planned certificate with its PDF, committed. False, with nothing changed, when its
    serial number is no longer the next one or the completion got its certificate meanwhile."""
    if services._next_serial_number(planned.year) != planned.number:
        return False
    if services._store_and_insert(planned.values, year=planned.year, number=planned.number, code=planned.code,
                                  pdf=rendered):
        db.session.commit()
        return True
    db.session.rollback()
    return False


class RenderPool:
    """Worker processes that turn certificate HTML into PDF bytes (pdf.render_certificate_html)."""

    def __init__(self, processes: int):
        from lms.certificates import pdf  # WeasyPrint loads where it renders only (see document.py)

        self._render = pdf.render_certificate_html
        self.processes = processes
        self.broken = False
        self._executor = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=pdf.warm_up)

    def submit(self, html: str) -> Future | None:
        """The render's future; None once the pool is broken (a process died), to render here instead."""
        if not self.broken:
            try:
                return self._executor.submit(self._render, html)
            except BrokenProcessPool:
                log.exception("the certificate render processes stopped; rendering in this process")
                self.broken = True
        return None

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


@contextmanager
def render_pool(count: int) -> Iterator[RenderPool | None]:
    """Render processes for `count` certificates; None when one process is as quick (few, or one core)."""
    processes = render_processes()
    if processes < 2 or count < MIN_FOR_PROCESSES:
        yield None
        return
    pool = RenderPool(processes)
    try:
        yield pool
    finally:
        pool.close()


def issue_missing_in_pool(enrolment_ids: list[int], pool: RenderPool,
                          progress: Callable[[int], None] = lambda done: None) -> tuple[int, int]:
    """What jobs.issue_missing_batch does for each completion, with the renders in `pool`; (issued, failed).

    Two renders per process are kept ahead, so no process waits while this one stores and commits."""
    done = failed = 0
    ahead: deque[tuple[int, PlannedIssue | None, Future | None]] = deque()
    pending: Iterator[int] = iter(enrolment_ids)
    last: PlannedIssue | None = None
    while True:
        while len(ahead) < 2 * pool.processes and (enrolment_id := next(pending, None)) is not None:
            if services.current_certificate(enrolment_id) is not None:
                progress(1)  # issued meanwhile: skipped, as issue_missing_batch does
                continue
            planned = _plan(enrolment_id, last) if not pool.broken else None
            future = pool.submit(planned.html) if planned else None
            ahead.append((enrolment_id, planned if future else None, future))
            last = planned if future else last
        if not ahead:
            return done, failed
        enrolment_id, planned, future = ahead.popleft()
        outcome = _commit(pool, planned, future) if planned else None
        if outcome is not True:  # the serial numbers planned after this one may be wrong now: plan them again
            for _queued_id, _planned, queued in ahead:
                if queued is not None:
                    queued.cancel()
            pending, last = chain([queued_id for queued_id, _planned, _queued in ahead], pending), None
            ahead.clear()
        if outcome is None:  # not planned, or not as planned: issued the ordinary way, here
            outcome = services.issue_one_missing(enrolment_id)
        done, failed = done + outcome, failed + (not outcome)
        progress(1)


def _plan(enrolment_id: int, last: PlannedIssue | None) -> PlannedIssue | None:
    try:
        return plan_missing(enrolment_id, last)
    except Exception:  # noqa: BLE001 - issue_one_missing meets the same trouble, and logs and counts it
        db.session.rollback()
        return None


def _commit(pool: RenderPool, planned: PlannedIssue, future: Future) -> bool | None:
    """True issued, False failed (logged), None to issue it the ordinary way."""
    try:
        rendered = future.result()
    except BrokenProcessPool:  # a render process died (killed for memory?): render here from now on
        log.exception("the certificate render processes stopped; rendering in this process")
        pool.broken = True
        return None
    except Exception:  # noqa: BLE001 - rendered again here: a certificate that cannot be rendered is logged there
        return None
    try:
        return True if commit_planned(planned, rendered) else None
    except Exception:  # noqa: BLE001 - as issue_one_missing: one bad record must not stop a bulk run
        db.session.rollback()
        log.exception("certificate for enrolment %s not issued", planned.enrolment_id)
        return False
