"""The `flask --app wsgi lms` command group; each feature's cli.py adds its commands to it."""
from flask import Flask
from flask.cli import AppGroup

lms_cli = AppGroup("lms", help="Training platform commands.")


def register_commands(app: Flask) -> None:
    from lms.accounts import cli as _accounts_cli  # noqa: F401 - importing registers the commands
    from lms.certificates import cli as _certificates_cli  # noqa: F401
    from lms.courses import cli as _courses_cli  # noqa: F401
    from lms.quizzes import cli as _quizzes_cli  # noqa: F401

    app.cli.add_command(lms_cli)
