"""Back up a whole deployment (database and stored files) into one folder, and restore it.

A backup is a folder DEST/lms-YYYYmmddTHHMMSSZ/:

    manifest.json      when, which database and schema, its migration revision, rows per table,
                       the stored files' count and size, the code's commit
    database.sqlite3   SQLite: a copy made with the online backup API        (or)
    database.pgdump    PostgreSQL: pg_dump --format=custom of the app's schema
    files/             every stored file (certificate PDFs, course files, uploads) as under LMS_STORAGE_DIR
    files.sha256       one checksum per stored file (`cd files && sha256sum -c ../files.sha256`)

It is written under a hidden name and renamed when complete, so a folder named lms-… is always whole.
Restore checks the whole backup before it touches anything, then checks what it restored against the
manifest.
"""
from __future__ import annotations

import hashlib
import json
import platform
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app

from config import BASE_DIR
from lms.backup import database
from lms.backup.database import BackupError, DatabaseState
from lms.db import utcnow
from lms.extensions import db

FORMAT = "lms-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES_DIR = "files"
CHECKSUMS = "files.sha256"
_BACKUP_NAME = re.compile(r"^lms-(\d{8}T\d{6}Z)(?:-(\d+))?$")

__all__ = ["BackupError", "BackupReport", "RestoreReport", "create_backup", "restore_backup", "read_manifest"]


@dataclass
class BackupReport:
    folder: Path
    manifest: dict
    storage_dir: Path
    database_at: str
    pruned: list[Path] = field(default_factory=list)


@dataclass
class RestoreReport:
    source: Path
    manifest: dict
    storage_dir: Path
    database_at: str
    tables: list[tuple[str, int | None, int | None]]  # name, rows in the backup, rows restored
    revision: str | None
    files: tuple[int, int]  # count and bytes restored
    bad_files: list[str]  # missing, changed or unexpected after the restore
    code_revision: str | None

    @property
    def ok(self) -> bool:
        expected = self.manifest["files"]
        return (all(backed_up == restored for _, backed_up, restored in self.tables)
                and self.revision == self.manifest["database"]["alembic_revision"]
                and self.files == (expected["count"], expected["bytes"]) and not self.bad_files)


# --- stored files ----------------------------------------------------------------------------------------

def storage_dir() -> Path:
    backend = current_app.config["STORAGE_BACKEND"]
    if backend != "filesystem":
        raise BackupError(f"backups copy a file-system store; LMS_STORAGE_BACKEND={backend} must be backed up "
                          "with that store's own tools")
    return Path(current_app.config["STORAGE_DIR"])


def _stored_files(root: Path) -> list[str]:
    """Relative paths of the stored files. Storage keys never start with a dot, so dot-names (the store's
    half-written temporary files) are not stored files."""
    if not root.is_dir():
        return []
    found = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.is_file() and not any(part.startswith(".") for part in relative.parts):
            found.append(relative.as_posix())
    return sorted(found)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_files(source: Path, target: Path) -> dict[str, tuple[int, str]]:
    """Copy every stored file; returns size and checksum of each as copied."""
    copied = {}
    for relative in _stored_files(source):
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / relative, destination)
        copied[relative] = (destination.stat().st_size, _sha256(destination))
    return copied


def _read_checksums(folder: Path) -> dict[str, str]:
    sums = {}
    for line in (folder / CHECKSUMS).read_text(encoding="utf-8").splitlines():
        if line.strip():
            checksum, relative = line.split("  ", 1)
            sums[relative] = checksum
    return sums


def _differences(root: Path, expected: dict[str, str]) -> list[str]:
    """Files under root that are missing, changed or not in the list."""
    present = set(_stored_files(root))
    problems = [f"missing: {name}" for name in sorted(set(expected) - present)]
    problems += [f"changed: {name}" for name in sorted(set(expected) & present)
                 if _sha256(root / name) != expected[name]]
    problems += [f"not in the backup: {name}" for name in sorted(present - set(expected))]
    return problems


def _empty_folder(root: Path) -> None:
    """Remove what is inside, keeping the folder itself: it may be a mount point shared by several hosts."""
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


# --- backup ----------------------------------------------------------------------------------------------

def create_backup(destination: Path, *, keep: int | None = None) -> BackupReport:
    engine = db.engine
    kind = database.kind_of(engine)
    storage = storage_dir()
    if destination.resolve().is_relative_to(storage.resolve()):
        raise BackupError(f"{destination} is inside the stored files ({storage}): each backup would hold the "
                          "ones before it. Choose a folder outside it, ideally on another disk.")
    destination.mkdir(parents=True, exist_ok=True)
    created = utcnow().replace(microsecond=0)
    folder = _unused_name(destination, f"lms-{created:%Y%m%dT%H%M%SZ}")
    partial = destination / f".{folder.name}.partial"
    partial.mkdir(mode=0o700)  # password hashes and personal data: for the operator's eyes only
    try:
        database_file = partial / database.KINDS[kind]
        if kind == "sqlite":
            state = database.dump_sqlite(engine, database_file, current_app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000)
        else:
            state = database.dump_postgres(engine, database_file)
        # Files after the database: every file the copied records name exists by now (files are only
        # added, never rewritten); one stored meanwhile is merely extra.
        (partial / FILES_DIR).mkdir()
        files = _copy_files(storage, partial / FILES_DIR)
        (partial / CHECKSUMS).write_text("".join(f"{checksum}  {name}\n" for name, (_, checksum) in files.items()),
                                         encoding="utf-8")
        manifest = _manifest(created, state, database_file, files)
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        partial.rename(folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    pruned = prune_backups(destination, keep) if keep else []
    return BackupReport(folder, manifest, storage, database.describe(engine), pruned)


def _unused_name(destination: Path, name: str) -> Path:
    candidate, n = destination / name, 1
    while candidate.exists() or (destination / f".{candidate.name}.partial").exists():
        n += 1
        candidate = destination / f"{name}-{n}"
    return candidate


def _manifest(created: datetime, state: DatabaseState, database_file: Path, files: dict) -> dict:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "database": {"kind": state.kind, "file": database_file.name, "schema": state.schema,
                     "alembic_revision": state.revision, "bytes": database_file.stat().st_size,
                     "sha256": _sha256(database_file)},
        "tables": state.tables,
        "files": {"count": len(files), "bytes": sum(size for size, _ in files.values()), "checksums": CHECKSUMS},
        "app": {"commit": source_commit(), "python": platform.python_version()},
    }


def source_commit() -> str | None:
    """The checked-out commit, read from .git without running git (a deployment may have no git at all)."""
    git = BASE_DIR / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head.removeprefix("ref: ")
        if (git / ref).is_file():
            return (git / ref).read_text().strip()
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0]
    except OSError:
        pass
    return None


def _backups_in(destination: Path) -> list[Path]:
    found = []
    for path in destination.iterdir():
        match = _BACKUP_NAME.match(path.name)
        if match and path.is_dir() and (path / MANIFEST).is_file():
            found.append((match.group(1), int(match.group(2) or 1), path))
    return [path for *_, path in sorted(found)]


def prune_backups(destination: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups in the folder (only folders that are backups)."""
    old = _backups_in(destination)[:-keep]
    for path in old:
        shutil.rmtree(path)
    return old


# --- restore ---------------------------------------------------------------------------------------------

def read_manifest(source: Path) -> dict:
    """The backup's manifest, after checking that every part of the backup is there and intact."""
    if not source.is_dir():
        raise BackupError(f"{source} is not a folder; give the backup folder (DEST/lms-YYYYmmddTHHMMSSZ)")
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is not a backup made by `lms backup`: it has no readable {MANIFEST}. "
                          "Give the folder named lms-YYYYmmddTHHMMSSZ inside the backup destination.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{source} has backup format {manifest.get('format_version')}; this code reads "
                          f"format {FORMAT_VERSION}")
    archive = source / manifest["database"]["file"]
    if not archive.is_file() or _sha256(archive) != manifest["database"]["sha256"]:
        raise BackupError(f"the backup is damaged: {archive} is missing or not what was written; nothing changed")
    if not (source / CHECKSUMS).is_file():
        raise BackupError(f"the backup is damaged: {CHECKSUMS} is missing; nothing changed")
    damaged = _differences(source / FILES_DIR, _read_checksums(source))
    if damaged:
        raise BackupError("the backup is damaged, nothing changed:\n  " + "\n  ".join(damaged))
    return manifest


def restore_backup(source: Path, *, force: bool = False) -> RestoreReport:
    manifest = read_manifest(source)
    engine = db.engine
    kind = database.kind_of(engine)
    backed_up = manifest["database"]
    if backed_up["kind"] != kind:
        raise BackupError(f"the backup holds a {backed_up['kind']} database, but DATABASE_URL points to {kind}")
    archive = source / backed_up["file"]
    if kind == "sqlite":
        database.check_sqlite_archive(archive)
    else:
        database.check_postgres_archive(archive, engine)
        database.check_postgres_target(engine, backed_up["schema"])
    storage = storage_dir()
    _refuse_to_overwrite(database.live_state(engine), storage, force)

    db.session.remove()
    if kind == "sqlite":
        database.load_sqlite(engine, archive, current_app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000)
    else:
        database.load_postgres(engine, archive, backed_up["schema"], set(manifest["tables"]))
    storage.mkdir(parents=True, exist_ok=True)
    _empty_folder(storage)
    _copy_files(source / FILES_DIR, storage)
    return _check_restored(source, manifest, storage)


def _refuse_to_overwrite(state: DatabaseState, storage: Path, force: bool) -> None:
    stored = len(_stored_files(storage))
    if force or (state.rows == 0 and stored == 0):
        return
    busy = [f"{name} ({count})" for name, count in sorted(state.tables.items(), key=lambda item: -item[1])
            if count and name != database.REVISION_TABLE]
    held = []
    if state.rows:
        held.append(f"the database holds {state.rows} rows in {', '.join(busy[:6])}{', …' if len(busy) > 6 else ''}")
    if stored:
        held.append(f"{storage} holds {stored} stored files")
    raise BackupError(
        f"refusing to overwrite data: {' and '.join(held)}. A restore replaces all of it with the backup's. "
        "Stop the app, back up what is there now if it may be needed, then run again with --force.")


def _check_restored(source: Path, manifest: dict, storage: Path) -> RestoreReport:
    db.engine.dispose()
    state = database.live_state(db.engine)
    names = sorted(set(manifest["tables"]) | set(state.tables))
    tables = [(name, manifest["tables"].get(name), state.tables.get(name)) for name in names]
    restored = _stored_files(storage)
    total = sum((storage / name).stat().st_size for name in restored)
    return RestoreReport(source, manifest, storage, database.describe(db.engine), tables, state.revision,
                         (len(restored), total), _differences(storage, _read_checksums(source)), _code_revision())


def _code_revision() -> str | None:
    """The newest migration this code ships, to tell the operator when `flask db upgrade` is due."""
    from alembic.script import ScriptDirectory

    migrate = current_app.extensions.get("migrate")
    return ScriptDirectory(migrate.directory).get_current_head() if migrate else None
