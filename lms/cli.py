"""The `flask --app wsgi lms` command group; each feature's cli.py adds its commands to it."""
from flask import Flask
from flask.cli import AppGroup

lms_cli = AppGroup("lms", help="Training platform commands.")


def course_or_fail(slug: str):
    """The course with this slug, or a clear message and a non-zero exit for the shell."""
    import click
    from sqlalchemy import select

    from lms.courses.models import Course
    from lms.extensions import db

    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise click.ClickException(f"no course with the slug {slug!r}; import the course first")
    return course


def register_commands(app: Flask) -> None:
    from lms.accounts import cli as _accounts_cli  # noqa: F401 - importing registers the commands
    from lms.backup import cli as _backup_cli  # noqa: F401
    from lms.certificates import cli as _certificates_cli  # noqa: F401
    from lms.courses import cli as _courses_cli  # noqa: F401
    from lms.quizzes import cli as _quizzes_cli  # noqa: F401
    from lms.reports import cli as _reports_cli  # noqa: F401

    app.cli.add_command(lms_cli)
