"""`flask --app wsgi lms …` commands for accounts, units and the development demo data."""
from __future__ import annotations

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
