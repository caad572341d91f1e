"""`flask --app wsgi lms import-content [PATH]` and `check-content [PATH]`."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from lms.cli import lms_cli
from lms.courses import services
from lms.courses.content_checks import check_content
from lms.courses.content_files import ContentError


@lms_cli.command("import-content")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def import_content_command(path: Path | None) -> None:
    """Create or update courses from a content folder (default: content/), all or nothing."""
    path = path or Path(current_app.config["CONTENT_DIR"])
    try:
        report = services.import_content(path)
    except ContentError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(
            f"{len(error.problems)} problem(s) found in {path}; nothing was imported.") from error
    for slug in report.courses_created:
        click.echo(f"created course {slug}")
    for slug in report.courses_updated:
        click.echo(f"updated course {slug}")
    click.echo(f"modules: {report.modules_created} new, {report.modules_revised} new revisions, "
               f"{report.modules_unchanged} unchanged, {report.modules_retired} retired")
    click.echo(f"questions: {report.questions_created} new, {report.questions_updated} updated, "
               f"{report.questions_retired} retired; quizzes: {report.quizzes}")


@lms_cli.command("check-content")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def check_content_command(path: Path | None) -> None:
    """Check courses without importing them: structure and ids, questions' explanations and sources,
    links and images, empty modules, and that each edition matches its original."""
    path = path or Path(current_app.config["CONTENT_DIR"])
    specs, problems = check_content(path)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) found in {path}.")
    modules = sum(len(spec.modules) for spec in specs)
    questions = sum(len(spec.questions) for spec in specs)
    editions = sum(1 for spec in specs if spec.edition_of)
    click.echo(f"{len(specs)} course(s), {modules} module(s), {questions} question(s), "
               f"{editions} edition(s) checked against their originals: no problems.")


@lms_cli.command("export-course")
@click.argument("slug")
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
def export_course_command(slug: str, destination: Path) -> None:
    """Write a course in the content/ format into DESTINATION/SLUG/ (import it back with import-content)."""
    from lms.cli import course_or_fail
    from lms.courses.export import export_course

    try:
        folder = export_course(course_or_fail(slug), destination)
    except FileExistsError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"wrote {folder}")
