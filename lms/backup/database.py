"""The database half of a backup: copy out, load back, count rows.

SQLite is copied with its online backup API: the copy is made under one read transaction, so it is one
consistent state even while the app keeps writing (WAL lets the writer go on meanwhile). PostgreSQL is
dumped by pg_dump inside a snapshot exported here, so the row counts written to the manifest describe
exactly what the dump holds, however busy the database is.
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

SQLITE_FILE = "database.sqlite3"
POSTGRES_FILE = "database.pgdump"
REVISION_TABLE = "alembic_version"
KINDS = {"sqlite": SQLITE_FILE, "postgresql": POSTGRES_FILE}

# pg_restore --list lines for the schema itself: the schema is created here when missing, never dropped
# (it may be `public`, owned by the database owner, or hold things that are not the app's).
_SCHEMA_ENTRY = re.compile(r"^\d+; \d+ \d+ (SCHEMA -|COMMENT - SCHEMA|ACL - SCHEMA) ")


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass
class DatabaseState:
    kind: str
    schema: str | None  # PostgreSQL only: the one schema backed up (the first of the URL's search_path)
    revision: str | None
    tables: dict[str, int]  # rows per table

    @property
    def rows(self) -> int:
        """Rows of the app's own tables (the migration marker alone does not make a database 'in use')."""
        return sum(count for name, count in self.tables.items() if name != REVISION_TABLE)


def kind_of(engine: Engine) -> str:
    kind = engine.url.get_backend_name()
    if kind not in KINDS:
        raise BackupError(f"backups cover SQLite and PostgreSQL; DATABASE_URL is {kind}")
    return kind


def describe(engine: Engine) -> str:
    """Where the configured database is, without its password."""
    if kind_of(engine) == "sqlite":
        return str(_sqlite_path(engine))
    return engine.url.render_as_string(hide_password=True)


def live_state(engine: Engine) -> DatabaseState:
    """Row counts of the configured database as it is now."""
    kind = kind_of(engine)
    with engine.connect() as conn:
        schema = conn.scalar(sa.text("SELECT current_schema()")) if kind == "postgresql" else None
        if kind == "postgresql" and schema is None:  # the search_path names no schema that exists yet
            return DatabaseState(kind, None, None, {})
        return _state(conn, kind, schema)


def _state(conn: sa.Connection, kind: str, schema: str | None) -> DatabaseState:
    quote = conn.dialect.identifier_preparer.quote
    prefix = f"{quote(schema)}." if schema else ""
    names = sorted(sa.inspect(conn).get_table_names(schema=schema))
    tables = {name: conn.scalar(sa.text(f"SELECT count(*) FROM {prefix}{quote(name)}")) for name in names}
    revision = None
    if tables.get(REVISION_TABLE):
        revision = conn.scalar(sa.text(f"SELECT version_num FROM {prefix}{REVISION_TABLE}"))
    return DatabaseState(kind, schema, revision, tables)


# --- SQLite ----------------------------------------------------------------------------------------------

def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:" or engine.url.query.get("mode") == "memory":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _sqlite_state(conn: sqlite3.Connection) -> DatabaseState:
    names = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    tables = {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}
    revision = None
    if tables.get(REVISION_TABLE):
        revision = conn.execute(f"SELECT version_num FROM {REVISION_TABLE}").fetchone()[0]
    return DatabaseState("sqlite", None, revision, tables)


def dump_sqlite(engine: Engine, target: Path, timeout: float) -> DatabaseState:
    source_path = _sqlite_path(engine)
    if not source_path.is_file():
        raise BackupError(f"there is no database file at {source_path}")
    with closing(sqlite3.connect(source_path, timeout=timeout)) as source, \
            closing(sqlite3.connect(target)) as copy:
        source.backup(copy)  # every page in one step, so under one read transaction: one consistent state
        # One self-contained file: the copy needs no -wal or -shm beside it (the app turns WAL on again).
        copy.execute("PRAGMA journal_mode=DELETE")
        return _sqlite_state(copy)


def check_sqlite_archive(path: Path) -> None:
    with closing(_read_only(path)) as conn:
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{path} is not a readable SQLite database: {error}") from error
    if verdict != "ok":
        raise BackupError(f"{path} is damaged (SQLite quick_check: {verdict})")


def load_sqlite(engine: Engine, archive: Path, timeout: float) -> None:
    """Copy the backup into the configured file page by page (the backup API again, under a write lock)."""
    target_path = _sqlite_path(engine)
    engine.dispose()  # no pooled connection of this process keeps pages of the old file
    target_path.parent.mkdir(parents=True, exist_ok=True)
    with closing(_read_only(archive)) as source, closing(sqlite3.connect(target_path, timeout=timeout)) as target:
        source.backup(target)


# --- PostgreSQL ------------------------------------------------------------------------------------------

def _libpq(engine: Engine) -> tuple[str, dict]:
    """A connection URI for the client tools, and an environment carrying the password (never in argv,
    where `ps` would show it). The URL's query (e.g. options=-csearch_path=…) is passed on as is."""
    env = dict(os.environ)
    if engine.url.password is not None:
        env["PGPASSWORD"] = str(engine.url.password)
    return engine.url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed: install the PostgreSQL client tools of the server's "
                          "major version or newer (Debian: postgresql-client)")
    return path


def _run(args: list[str], env: dict) -> str:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed (exit status {result.returncode}):\n"
                          f"{result.stderr.strip()}")
    return result.stdout


def _exact(schema: str) -> str:
    """pg_dump reads --schema as a pattern; double quotes make it one exact name."""
    return '"' + schema.replace('"', '""') + '"'


def dump_postgres(engine: Engine, target: Path) -> DatabaseState:
    pg_dump = _tool("pg_dump")
    conninfo, env = _libpq(engine)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            # A role-wide timeout (docs/deployment.md suggests one) must not end this transaction while it
            # waits for pg_dump: its commit would fail and the backup with it.
            conn.execute(sa.text("SET LOCAL idle_in_transaction_session_timeout = 0"))
            conn.execute(sa.text("SET LOCAL statement_timeout = 0"))
            schema = conn.scalar(sa.text("SELECT current_schema()"))
            if schema is None:
                raise BackupError("the database's search_path names no schema that exists: nothing to back up")
            # The snapshot stays valid while this transaction is open: pg_dump sees what was counted.
            snapshot = conn.scalar(sa.text("SELECT pg_export_snapshot()"))
            state = _state(conn, "postgresql", schema)
            _run([pg_dump, "--format=custom", f"--schema={_exact(schema)}", f"--snapshot={snapshot}",
                  f"--file={target}", f"--dbname={conninfo}"], env)
    return state


def check_postgres_archive(path: Path, engine: Engine) -> str:
    """The archive's table of contents, read by pg_restore: a damaged or foreign file fails here."""
    return _run([_tool("pg_restore"), "--list", str(path)], _libpq(engine)[1])


def check_postgres_target(engine: Engine, schema: str) -> None:
    """pg_restore cannot rename a schema: the configured database must use the backup's own."""
    with engine.connect() as conn:
        current = conn.scalar(sa.text("SELECT current_schema()"))
        search_path = [part.strip().strip('"') for part in conn.scalar(sa.text("SHOW search_path")).split(",")]
    if schema != current and not (current is None and schema in search_path):
        raise BackupError(f"the backup holds the schema {schema!r}, but this database's search_path is "
                          f"{', '.join(search_path)}: set DATABASE_URL to a database whose search_path "
                          f"starts with {schema!r} (?options=-csearch_path%3D{schema})")


def load_postgres(engine: Engine, archive: Path, schema: str, archived_tables: set[str]) -> None:
    pg_restore = _tool("pg_restore")
    conninfo, env = _libpq(engine)
    entries = [line for line in check_postgres_archive(archive, engine).splitlines()
               if not _SCHEMA_ENTRY.match(line)]
    quote = engine.dialect.identifier_preparer.quote
    with engine.begin() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :name"), {"name": schema})
        if not exists:
            conn.execute(sa.text(f"CREATE SCHEMA {quote(schema)}"))
        # Tables the backup does not know (made by a later migration) would block --clean's drops; restoring
        # the backup's state means they go.
        for name in sorted(set(sa.inspect(conn).get_table_names(schema=schema)) - archived_tables):
            conn.execute(sa.text(f"DROP TABLE {quote(schema)}.{quote(name)} CASCADE"))
    engine.dispose()
    with tempfile.NamedTemporaryFile("w", suffix=".list", encoding="utf-8") as use_list:
        use_list.write("\n".join(entries) + "\n")
        use_list.flush()
        # One transaction: a restore that fails half-way leaves the database as it was.
        _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", f"--use-list={use_list.name}", f"--dbname={conninfo}", str(archive)], env)
