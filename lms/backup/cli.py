"""`flask --app wsgi lms backup DEST` and `lms restore SRC`: thin wrappers over lms.backup.services."""
from __future__ import annotations

from pathlib import Path

import click

from lms.cli import lms_cli


def _size(count: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:,} {unit}" if unit == "bytes" else f"{count:,.1f} {unit}"
        count /= 1024
    return ""  # unreachable


@lms_cli.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--keep", type=click.IntRange(min=1), default=None,
              help="Afterwards delete all but the newest N backups in DEST.")
def backup_command(dest: Path, keep: int | None) -> None:
    """Back up the database and every stored file into a new folder DEST/lms-YYYYmmddTHHMMSSZ.

    Safe while the app runs: SQLite is copied with its online backup API, PostgreSQL dumped by pg_dump
    from one snapshot.
    """
    from lms.backup.services import BackupError, create_backup

    try:
        report = create_backup(dest, keep=keep)
    except (BackupError, OSError) as error:  # OSError: a folder not writable, a disk full, …
        raise click.ClickException(str(error)) from error
    manifest = report.manifest
    data, files = manifest["database"], manifest["files"]
    rows = sum(manifest["tables"].values())
    click.echo(f"Database {report.database_at} ({data['kind']}"
               + (f", schema {data['schema']}" if data["schema"] else "")
               + f", migration {data['alembic_revision']}): {rows:,} row{'' if rows == 1 else 's'} in "
               f"{len(manifest['tables'])} tables "
               f"-> {data['file']} ({_size(data['bytes'])})")
    click.echo(f"Stored files in {report.storage_dir}: {files['count']:,} ({_size(files['bytes'])}) -> files/")
    click.echo(f"Backup complete: {report.folder}")
    for old in report.pruned:
        click.echo(f"Removed an older backup: {old}")


@lms_cli.command("restore")
@click.argument("src", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite a database or file store that already holds data.")
def restore_command(src: Path, force: bool) -> None:
    """Restore a backup folder made by `lms backup` into the configured database and file store.

    Refuses to overwrite data unless --force. Stop the app (web and worker) first. Afterwards every
    table's row count and every stored file is checked against the backup's manifest.
    """
    from lms.backup.services import BackupError, restore_backup

    try:
        report = restore_backup(src, force=force)
    except (BackupError, OSError) as error:  # OSError: a folder not writable, a disk full, …
        raise click.ClickException(str(error)) from error
    manifest = report.manifest
    click.echo(f"Restored the backup of {manifest['created_at']} from {report.source}")
    click.echo(f"into {report.database_at} and {report.storage_dir}:")
    width = max(len(name) for name, *_ in report.tables + [("stored files", 0, 0)])
    click.echo(f"  {'table':<{width}}  {'backup':>9}  {'restored':>9}")
    for name, backed_up, restored in report.tables:
        flag = "" if backed_up == restored else "  MISMATCH"
        click.echo(f"  {name:<{width}}  {_count(backed_up):>9}  {_count(restored):>9}{flag}")
    expected = manifest["files"]
    flag = "" if report.files == (expected["count"], expected["bytes"]) and not report.bad_files else "  MISMATCH"
    click.echo(f"  {'stored files':<{width}}  {expected['count']:>9,}  {report.files[0]:>9,}{flag}"
               f"  ({_size(report.files[1])})")
    for problem in report.bad_files:
        click.echo(f"  {problem}")
    if report.revision != manifest["database"]["alembic_revision"]:
        click.echo(f"  migration: backup {manifest['database']['alembic_revision']}, restored {report.revision}"
                   "  MISMATCH")
    if not report.ok:
        raise click.ClickException("what was restored does not match the backup's manifest (see MISMATCH above)")
    click.echo("Every table's row count and every stored file (by checksum) match the backup.")
    if report.code_revision and report.revision != report.code_revision:
        click.echo(f"The backup is at migration {report.revision}; this code expects {report.code_revision}: "
                   "run `flask --app wsgi db upgrade` before starting the app.")


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"
