"""`flask --app wsgi lms seed-scale`: the synthetic data set the performance benchmark runs against."""
from __future__ import annotations

import time

import click

from lms.cli import lms_cli


@lms_cli.command("seed-scale")
@click.option("--users", default=20_000, show_default=True, type=click.IntRange(min=1), help="People to create.")
@click.option("--units", default=500, show_default=True, type=click.IntRange(min=1), help="Org units to create.")
@click.option("--courses", default=50, show_default=True, type=click.IntRange(min=1),
              help="Courses, each a copy of the starter course's modules, bank and quizzes.")
@click.option("--answers", default=1_000_000, show_default=True, type=click.IntRange(min=0),
              help="Answer rows in graded attempts.")
@click.option("--seed", default=1, show_default=True, type=int,
              help="Random seed; also tags what is made, so each seed can be loaded once.")
def seed_scale_command(users: int, units: int, courses: int, answers: int, seed: int) -> None:
    """Development and benchmarks only: a large realistic data set made with bulk inserts."""
    from lms.reports.scale_data import ScaleSeedRefused, ScaleSpec, seed_scale

    started = time.perf_counter()
    try:
        report = seed_scale(ScaleSpec(users=users, units=units, courses=courses, answers=answers, seed=seed),
                            say=click.echo)
    except ScaleSeedRefused as refused:
        raise click.ClickException(str(refused)) from refused
    if report.counts["answers"] < answers:
        click.echo(f"Only {report.counts['answers']:,} answers fit: every person has studied every course "
                   "they could. Add --users or --courses for more.")
    click.echo(f"Scale data set {seed} ready in {time.perf_counter() - started:.1f} s. Its people cannot sign "
               "in (create an admin with `lms create-user`); its certificates have no PDF files.")
