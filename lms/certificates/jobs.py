"""Bulk certificate work in batches through lms.jobs: issuing the certificates completions lack
(`lms issue-certificates`) and expiry reminders (`lms send-reminders`). With Redis each batch is an RQ job
(one `rq worker` per core renders on every core); without it the batches run here, one after the other, and
a big run of certificates has its PDFs rendered by one process per core (lms.certificates.bulk)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from lms import jobs
from lms.certificates import bulk, services
from lms.certificates.reminders import due_reminders, send_reminders
from lms.mail import check_configured


@dataclass
class BulkReport:
    """Done here (issued or sent, failed), or handed to the queue (queued, in `job_count` jobs)."""

    done: int = 0
    failed: int = 0
    queued: int = 0
    job_count: int = 0
    processes: int = 1  # the processes that rendered the certificates done here


@jobs.job
def issue_missing_batch(enrolment_ids: list[int]) -> BulkReport:
    """Issue the certificates these completed enrolments lack. A retried or repeated job skips the ones
    issued meanwhile (and a race between two jobs is settled by the unique edition: one certificate)."""
    report = BulkReport()
    for enrolment_id in enrolment_ids:
        if services.current_certificate(enrolment_id) is not None:
            continue
        if services.issue_one_missing(enrolment_id):
            report.done += 1
        else:
            report.failed += 1
    return report


@jobs.job
def send_reminder_batch(certificate_ids: list[int], today: date) -> BulkReport:
    """The reminders due on `today` for these certificates; each is claimed in the database before its
    mail goes out, so a repeated job sends nothing twice."""
    sent = send_reminders(today, certificate_ids)
    return BulkReport(done=sent.sent, failed=sent.failed)


def issue_missing_certificates(enrolment_ids: list[int],
                               progress: Callable[[int], None] = lambda done: None) -> BulkReport:
    """Issue, or queue in batches, the certificates these completed enrolments lack
    (services.completions_without_certificate)."""
    if not jobs.queue_enabled():
        with bulk.render_pool(len(enrolment_ids)) as pool:
            if pool is not None:
                done, failed = bulk.issue_missing_in_pool(enrolment_ids, pool, progress)
                return BulkReport(done=done, failed=failed, processes=pool.processes)
    report = BulkReport()
    for batch in jobs.batched(enrolment_ids, jobs.CERTIFICATES_PER_JOB):
        outcome = jobs.enqueue(issue_missing_batch, batch,
                               description=f"issue {len(batch)} missing certificate(s)")
        _count(report, outcome, len(batch))
        progress(len(batch))
    return report


def send_due_reminders(today: date | None = None) -> BulkReport:
    """Send, or queue in batches, the expiry reminders due today. Raises MailNotConfigured when some are due
    and there is no mail server (checked here, so nothing is queued that no worker could send)."""
    today = today or services.local_today()
    due = [certificate.id for certificate, _threshold, _covered in due_reminders(today)]
    report = BulkReport()
    if due:
        check_configured()
    for batch in jobs.batched(due, jobs.REMINDERS_PER_JOB):
        outcome = jobs.enqueue(send_reminder_batch, batch, today,
                               description=f"send {len(batch)} expiry reminder(s)")
        _count(report, outcome, len(batch))
    return report


def _count(report: BulkReport, outcome: jobs.JobOutcome, size: int) -> None:
    if outcome.queued:
        report.queued += size
        report.job_count += 1
    else:
        report.done += outcome.result.done
        report.failed += outcome.result.failed
