"""`lms preview-certificate`, `lms issue-certificates` and `lms send-reminders`."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from lms import jobs
from lms.certificates import services
from lms.cli import course_or_fail, lms_cli
from lms.mail import MailNotConfigured


@lms_cli.command("preview-certificate")
@click.option("--name", required=True, help="The holder's name to print, e.g. 'Lường Thị Đào'.")
@click.option("--course", "slug", required=True, help="The course slug.")
@click.option("--unit", default="", help="The unit to print under the name.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def preview_certificate_command(name: str, slug: str, unit: str, out: Path) -> None:
    """Render a sample certificate (marked SAMPLE, not recorded) to check the template and the fonts."""
    pdf = services.preview_pdf(holder_name=name, course=course_or_fail(slug), unit_name=unit)
    out.write_bytes(pdf)
    click.echo(f"wrote {out} ({len(pdf) // 1024} KiB); nothing was recorded")


@lms_cli.command("issue-certificates")
@click.option("--course", "slug", default=None, help="Only this course.")
def issue_certificates_command(slug: str | None) -> None:
    """Issue the certificates that completed enrolments lack (safe to repeat); with REDIS_URL, queue them."""
    from lms.certificates.jobs import issue_missing_certificates

    course = course_or_fail(slug) if slug else None
    pending = services.completions_without_certificate(course)
    label = "queueing certificates" if jobs.queue_enabled() else "issuing certificates"
    with click.progressbar(length=len(pending), label=label, show_pos=True) as bar:
        report = issue_missing_certificates(pending, progress=bar.update)
    if report.job_count:
        click.echo(f"queued {report.queued} certificate(s) in {report.job_count} job(s) on the RQ queue "
                   f"{current_app.config['JOB_QUEUE']!r}; `rq worker` issues them (watch with `rq info`)")
        return
    click.echo(f"issued {report.done} certificate(s)" + (f"; {report.failed} failed (see the log)"
                                                          if report.failed else ""))
    if report.failed:
        raise SystemExit(1)


@lms_cli.command("send-reminders")
def send_reminders_command() -> None:
    """Email holders whose certificates expire soon (each reminder once; safe to run from cron); with
    REDIS_URL, queue them for `rq worker`."""
    from lms.certificates.jobs import send_due_reminders

    try:
        report = send_due_reminders()
    except MailNotConfigured as missing:
        raise click.ClickException(
            f"{missing}; set MAIL_SERVER (and MAIL_PORT, MAIL_FROM) to send reminders") from missing
    if report.job_count:
        click.echo(f"queued {report.queued} reminder(s) in {report.job_count} job(s) on the RQ queue "
                   f"{current_app.config['JOB_QUEUE']!r}; `rq worker` sends them")
        return
    click.echo(f"sent {report.done} reminder(s)" + (f"; {report.failed} failed, retried next run"
                                                     if report.failed else ""))
    if report.failed:
        raise SystemExit(1)
