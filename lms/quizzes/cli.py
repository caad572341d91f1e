"""`lms import-gift`, `lms export-gift` and `lms close-overdue-attempts`."""
from __future__ import annotations

from pathlib import Path

import click

from lms.cli import course_or_fail, lms_cli
from lms.quizzes import banks, services


@lms_cli.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", "slug", required=True, help="The course whose bank receives the questions.")
@click.option("--category", default=None, help="Put every question in this category ($CATEGORY is ignored).")
@click.option("--skip-unsupported", is_flag=True,
              help="Import the rest when some questions (essay, gaps in the text) cannot be represented.")
def import_gift_command(file: Path, slug: str, category: str | None, skip_unsupported: bool) -> None:
    """Import questions from a Moodle GIFT file, all or nothing."""
    course = course_or_fail(slug)
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{file} is not UTF-8 text; save it as UTF-8 and try again") from error
    try:
        report = banks.import_gift(text, course, category=category, skip_unsupported=skip_unsupported)
    except banks.GiftImportError as error:
        for problem in error.problems:
            click.echo(f"{file}:{problem}", err=True)
        raise click.ClickException(f"{len(error.problems)} problem(s) in {file}; nothing was imported") from error
    for problem in report.skipped_unsupported:
        click.echo(f"skipped {file}:{problem}", err=True)
    imported = report.created + report.updated + report.unchanged
    click.echo(f"imported {imported} question(s) into {slug}: {report.created} new, {report.updated} updated, "
               f"{report.unchanged} unchanged; {len(report.skipped_unsupported)} skipped")


@lms_cli.command("export-gift")
@click.option("--course", "slug", required=True)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_gift_command(slug: str, file: Path) -> None:
    """Write a course's question bank as a Moodle GIFT file."""
    text, skipped = banks.export_gift(course_or_fail(slug))
    file.write_text(text, encoding="utf-8")
    for key in skipped:
        click.echo(f"left out {key}: GIFT has no ordering questions", err=True)
    click.echo(f"wrote {text.count('// [id:')} question(s) to {file}")


@lms_cli.command("close-overdue-attempts")
def close_overdue_attempts_command() -> None:
    """Grade attempts whose time ran out (run every few minutes from cron or a systemd timer)."""
    click.echo(f"graded {services.close_overdue_attempts()} attempt(s) whose time had run out")
