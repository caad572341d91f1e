"""`flask --app wsgi lms …` commands for accounts, units and the development demo data."""
from __future__ import annotations

import os
from pathlib import Path

import click
from flask import current_app

from lms.accounts import services
from lms.accounts.models import Role, UnitType
from lms.accounts.passwords import generate_password
from lms.cli import lms_cli

@lms_cli.command("create-unit")
@click.option("--name", required=True, help="Unit name, with diacritics.")
@click.option("--code", required=True, help="Short unique code, e.g. SNV.")
@click.option("--type", "unit_type", type=click.Choice([t.value for t in UnitType]), default="department")
@click.option("--parent", default=None, help="Code or name of the parent unit.")
def create_unit_command(name: str, code: str, unit_type: str, parent: str | None) -> None:
    """Create an org unit."""
    parent_unit = None
    if parent:
        parent_unit = services.find_unit(parent)
        if parent_unit is None:
            raise click.ClickException(f"No unit with code or name {parent!r}.")
    try:
        unit = services.create_unit(name=name, code=code, unit_type=UnitType(unit_type), parent=parent_unit)
    except services.AccountError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(f"Created unit {unit.code}: {unit.name}")


@lms_cli.command("create-user")
@click.option("--name", "full_name", required=True, help="Full name, with diacritics.")
@click.option("--username", required=True)
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default="trainee")
@click.option("--unit", default=None, help="Code or name of the person's unit.")
@click.option("--position", default="", help="Position (chức vụ).")
@click.option("--generate-password", "generate", is_flag=True,
              help="Generate a password and print it once instead of prompting for one.")
def create_user_command(full_name: str, username: str, email: str, role: str, unit: str | None,
                        position: str, generate: bool) -> None:
    """Create an account; the password is prompted for, or generated and printed once."""
    org_unit = None
    if unit:
        org_unit = services.find_unit(unit)
        if org_unit is None:
            raise click.ClickException(f"No unit with code or name {unit!r}.")
    password = generate_password() if generate else click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(full_name=full_name, username=username, email=email, password=password,
                                    role=Role(role), unit=org_unit, position=position)
    except services.AccountError as error:
        raise click.ClickException(str(error.message)) from error
    click.echo(f"Created {user.role.value} {user.username} ({user.full_name})")
    if generate:
        click.echo(f"Password (shown once): {password}")


@lms_cli.command("seed-demo")
def seed_demo_command() -> None:
    """Development only: a few units and the demo admin, trainer and trainee from the README."""
    if not current_app.config["DEMO_DATA_ALLOWED"]:
        raise click.ClickException("Demo accounts are for development only; refusing in production.")
    from lms.accounts.demo import seed_demo

    created = seed_demo()
    click.echo(f"Demo data ready ({created} new records).")


@lms_cli.command("import-users")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--create-units", is_flag=True, help="Create the units the file names that do not exist (type other).")
@click.option("--parent-unit", default=None, help="With --create-units: code or name of the unit to put them under.")
@click.option("--passwords-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the temporary passwords (default: FILE-passwords.csv next to FILE).")
def import_users_command(file: Path, create_units: bool, parent_unit: str | None, passwords_out: Path | None) -> None:
    """Import people from a CSV or XLSX file, all or nothing; writes their temporary passwords to a CSV file."""
    from lms.accounts import import_service
    from lms.accounts.import_tables import ImportFileError
    from lms.reports.exports import csv_bytes

    parent = None
    if parent_unit:
        parent = services.find_unit(parent_unit)
        if parent is None:
            raise click.ClickException(f"No unit with code or name {parent_unit!r}.")
    out = passwords_out or file.with_name(f"{file.stem}-passwords.csv")
    try:  # claimed first, readable by its owner only: the passwords must have somewhere safe to go
        handle = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as error:
        raise click.ClickException(f"{out} already exists; move it away or choose another --passwords-out") from error
    except OSError as error:
        raise click.ClickException(f"cannot write the passwords to {out}: {error.strerror}") from error
    try:
        result = import_service.import_people(file.read_bytes(), create_units=create_units, parent=parent,
                                              source=file.name)
    except (ImportFileError, import_service.ImportRejected) as error:
        os.close(handle)
        out.unlink(missing_ok=True)
        check = getattr(error, "check", None)
        for row in check.problem_rows if check else []:
            for problem in row.problems:
                click.echo(f"{file}:{row.line}: {problem}", err=True)
        if isinstance(error, ImportFileError):
            raise click.ClickException(f"{file}: {error.message}") from error
        if error.message:
            click.echo(str(error.message), err=True)
        count = len(check.problem_rows) if check else 0
        raise click.ClickException(f"{count} row(s) with problems in {file}; nothing was imported") from error
    headers, rows = import_service.credentials_table(result.credentials)
    with os.fdopen(handle, "wb") as stream:
        stream.write(csv_bytes(headers, rows))
    for unit in result.units_created:
        click.echo(f"created unit {unit}")
    click.echo(f"imported {len(result.credentials)} account(s) from {file}")
    click.echo(f"their temporary passwords are in {out} (readable by you only): hand them out, then delete the file")
