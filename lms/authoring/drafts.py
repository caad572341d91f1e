"""The module editor's domain operations: create a module, keep its one shared draft, publish it, and take
in the images and PDFs a module shows.

Several trainers may edit the same module. Every save and publish names the draft version (and the published
revision) the trainer's editor was opened on; when somebody else saved or published in between, the change is
refused with an `EditConflict` that says who and when, and nothing is overwritten. The checks are single SQL
statements (UPDATE/DELETE … WHERE version = :expected, an insert that does nothing when a draft already exists,
the unique revision number), so two requests racing on SQLite or PostgreSQL cannot both win.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from urllib.parse import urljoin

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.audit.services import record_event
from lms.courses.models import ORIGIN_BROWSER, Course, CourseFile, Module, ModuleDraft, ModuleRevision
from lms.courses.rendering import (COURSE_FILE_MAX_BYTES, COURSE_FILE_TYPES, CourseLinks, RenderedMarkdown,
                                   render_markdown, vietnamese_slugify)
from lms.courses.revisions import (course_links, publish_revision, published_revision, record_course_files,
                                  store_course_files)
from lms.db import insert_ignoring_conflicts, utcnow
from lms.extensions import db

KEY_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEY_MAX_LENGTH = 100


# --- what the editor shows -------------------------------------------------------------------------------

@dataclass(frozen=True)
class EditorState:
    """The text an editor opens on: the draft when there is one, else the published revision."""

    title: str
    minutes: int
    source: str
    version: int        # the draft's version; 0 when there is no draft
    base_revision: int  # the published revision number the text started from; 0 when never published
    draft: ModuleDraft | None
    published: ModuleRevision | None


def find_draft(module: Module) -> ModuleDraft | None:
    return db.session.scalar(select(ModuleDraft).where(ModuleDraft.module_id == module.id))


def editor_state(module: Module) -> EditorState:
    draft = find_draft(module)
    published = published_revision(module)
    latest = published.number if published else 0
    if draft is not None:
        return EditorState(title=draft.title, minutes=draft.minutes, source=draft.source_markdown,
                           version=draft.version, base_revision=draft.base_revision_number or 0, draft=draft,
                           published=published)
    return EditorState(title=module.title, minutes=module.minutes,
                       source=published.source_markdown if published else "", version=0, base_revision=latest,
                       draft=None, published=published)


@dataclass(frozen=True)
class _PageLinks(CourseLinks):
    """Course links made absolute against the trainee's module page, so the editor (at another address)
    shows the same images and links the trainee page will."""

    page: str = ""

    def rewrite(self, url: str) -> str:
        rewritten = super().rewrite(url)
        return urljoin(self.page, rewritten) if rewritten != url else url


def render_preview(course: Course, source: str, module_page: str) -> RenderedMarkdown:
    """The text as trainees will read it: the publishing pipeline, sanitised; nothing is saved."""
    links = course_links(course)
    return render_markdown(source, _PageLinks(module_keys=links.module_keys, file_digests=links.file_digests,
                                              page=module_page))


# --- conflicts ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Conflict:
    """What somebody else did while the trainer was editing, and the text it left."""

    kind: str  # "draft" (saved a draft), "published" (published a revision), "discarded" (dropped the draft)
    who: User | None  # None for a content import, or a discarded draft (nobody recorded)
    when: datetime | None
    title: str
    source: str
    revision_number: int | None  # for "published"
    # The values an editor must send to save over this (after the trainer has seen it).
    version: int
    base_revision: int


class EditConflict(Exception):
    def __init__(self, conflict: Conflict):
        super().__init__(conflict.kind)
        self.conflict = conflict


def current_conflict(module: Module, base_revision: int) -> Conflict:
    """Describe the module as it is now, for a save or publish that was refused."""
    db.session.expire_all()  # another request changed the rows: read them afresh
    draft, published = find_draft(module), published_revision(module)
    latest = published.number if published else 0
    common = {"revision_number": latest or None, "version": draft.version if draft else 0,
              "base_revision": latest}
    if published is not None and latest > base_revision:
        return Conflict(kind="published", who=published.author, when=published.created_at,
                        title=published.title or module.title, source=published.source_markdown, **common)
    if draft is not None:
        return Conflict(kind="draft", who=draft.updated_by, when=draft.updated_at, title=draft.title,
                        source=draft.source_markdown, **common)
    return Conflict(kind="discarded", who=None, when=None, title=module.title,
                    source=published.source_markdown if published else "", **common)


def _refuse(module: Module, base_revision: int) -> EditConflict:
    db.session.rollback()
    return EditConflict(current_conflict(module, base_revision))


def _latest_number(module: Module) -> int:
    return db.session.scalar(select(func.coalesce(func.max(ModuleRevision.number), 0))
                             .where(ModuleRevision.module_id == module.id))


# --- creating, saving, publishing, discarding ------------------------------------------------------------

class KeyTaken(ValueError):
    pass


def suggest_key(title: str) -> str:
    return vietnamese_slugify(title, "-")[:KEY_MAX_LENGTH].strip("-") or "bai"


def create_module(course: Course, *, key: str, title: str, minutes: int, author: User) -> Module:
    """A new module, last in the course, hidden from trainees until it is first published; its draft starts
    empty but for the title. Raises KeyTaken when the course already has (or had) a module with that key."""
    if db.session.scalar(select(Module.id).where(Module.course_id == course.id, Module.key == key)):
        raise KeyTaken(key)
    position = (db.session.scalar(select(func.max(Module.position)).where(Module.course_id == course.id)) or 0) + 1
    taken = set(db.session.scalars(select(Module.file_name).where(Module.course_id == course.id)))
    file_name, n = f"{position:02d}-{key}.md", 2
    while file_name in taken:
        file_name, n = f"{position:02d}-{key}-{n}.md", n + 1
    module = Module(course_id=course.id, key=key, title=title, minutes=minutes, position=position,
                    origin=ORIGIN_BROWSER, is_published=False, file_name=file_name)
    db.session.add(module)
    try:
        db.session.flush()
    except IntegrityError:  # another trainer created the same key a moment ago
        db.session.rollback()
        raise KeyTaken(key) from None
    db.session.add(ModuleDraft(module_id=module.id, title=title, minutes=minutes, source_markdown="",
                               base_revision_number=None, version=1, updated_by_id=author.id))
    record_event(author, "module.create", "module", module.id, summary=f"{course.slug}/{key}: {title}",
                 after={"course": course.slug, "key": key, "title": title, "minutes": minutes})
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise KeyTaken(key) from None
    return module


def save_draft(module: Module, *, title: str, minutes: int, source: str, version: int, base_revision: int,
               author: User) -> ModuleDraft:
    """Save the editor's text as the module's draft. `version` is the draft version the editor was opened
    on (0: there was no draft). Raises EditConflict when the draft (or the published text) moved on since."""
    now = utcnow()
    if version == 0:
        if _latest_number(module) != base_revision:
            raise _refuse(module, base_revision)
        # Two first saves at once: the unique module_id lets one insert in; the other inserts nothing.
        created = insert_ignoring_conflicts(
            db.session, ModuleDraft, module_id=module.id, title=title, minutes=minutes, source_markdown=source,
            base_revision_number=base_revision or None, version=1, updated_by_id=author.id, created_at=now,
            updated_at=now)
        if not created:
            raise _refuse(module, base_revision)
    else:
        saved = db.session.execute(
            update(ModuleDraft).where(ModuleDraft.module_id == module.id, ModuleDraft.version == version)
            .values(title=title, minutes=minutes, source_markdown=source, version=ModuleDraft.version + 1,
                    base_revision_number=base_revision or None, updated_by_id=author.id, updated_at=now)
            .execution_options(synchronize_session=False))
        if saved.rowcount != 1:
            raise _refuse(module, base_revision)
    db.session.commit()
    db.session.expire_all()
    return find_draft(module)


def publish_draft(module: Module, *, title: str, minutes: int, source: str, version: int, base_revision: int,
                  author: User, note: str = "") -> ModuleRevision:
    """Publish the editor's text as the module's newest revision: trainees read it at once. Refused with
    EditConflict when the draft the editor was opened on is gone or newer, or a newer revision was published."""
    if version == 0:
        if find_draft(module) is not None:
            raise _refuse(module, base_revision)
    else:
        # Claim the draft: of two publishers of the same version only one deletes it.
        claimed = db.session.execute(delete(ModuleDraft).where(ModuleDraft.module_id == module.id,
                                                               ModuleDraft.version == version)
                                     .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            raise _refuse(module, base_revision)
    before = published_revision(module)
    if (before.number if before else 0) != base_revision:
        db.session.rollback()  # the draft claimed above stays where it was
        raise _refuse(module, base_revision)
    old = {"revision": before.number if before else None, "title": module.title, "minutes": module.minutes}
    module.title, module.minutes = title, minutes
    revision = publish_revision(module, source=source, links=course_links(module.course), author=author,
                                note=note)
    record_event(author, "module.publish", "module", module.id,
                 summary=f"{module.course.slug}/{module.key}: revision {revision.number}", before=old,
                 after={"revision": revision.number, "title": title, "minutes": minutes})
    try:
        db.session.commit()  # the unique (module, number) stops a second publisher of the same revision
    except IntegrityError:
        db.session.rollback()
        raise _refuse(module, base_revision) from None
    return revision


def discard_draft(module: Module, *, version: int) -> None:
    """Drop the draft the editor shows; refused when somebody saved a newer version of it meanwhile."""
    dropped = db.session.execute(delete(ModuleDraft).where(ModuleDraft.module_id == module.id,
                                                           ModuleDraft.version == version)
                                 .execution_options(synchronize_session=False))
    if version == 0 or dropped.rowcount != 1:
        raise _refuse(module, _latest_number(module))
    db.session.commit()


# --- uploads ---------------------------------------------------------------------------------------------

class UploadRefused(ValueError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # "empty", "too_big", "type", "mismatch"


# What the first bytes of each accepted kind of file are; the name's extension must agree with them.
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)


def sniff_type(data: bytes) -> str | None:
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True)
class StoredUpload:
    path: str      # in the course folder, as a module refers to it: "images/so-do.png"
    markdown: str  # what to paste in the module


def _free_path(course: Course, folder: str, stem: str, extension: str, digest: str) -> str:
    """The upload's path: its own name, or name-2, name-3… when that path already names other bytes."""
    n = 1
    while True:
        path = f"{folder}/{stem}{'' if n == 1 else f'-{n}'}{extension}"
        existing = db.session.scalar(select(CourseFile.sha256).where(CourseFile.course_id == course.id,
                                                                     CourseFile.path == path))
        if existing is None or existing == digest:
            return path
        n += 1


def store_upload(course: Course, filename: str, data: bytes, *, uploader: User) -> StoredUpload:
    """Keep an image (PNG, JPEG, GIF, WebP) or a PDF in the course folder. The bytes must be what the name
    says, checked by their first bytes; nothing is stored when the file is refused."""
    if not data:
        raise UploadRefused("empty")
    if len(data) > COURSE_FILE_MAX_BYTES:
        raise UploadRefused("too_big")
    name = PurePosixPath(filename.replace("\\", "/")).name
    extension = PurePosixPath(name).suffix.lower()
    declared = COURSE_FILE_TYPES.get(extension)
    actual = sniff_type(data)
    if declared is None:
        raise UploadRefused("type")
    if actual != declared:
        raise UploadRefused("mismatch")
    label = PurePosixPath(name).stem
    stem = vietnamese_slugify(label, "-")[:80].strip("-") or "tep"
    folder = "files" if declared == "application/pdf" else "images"
    digest = hashlib.sha256(data).hexdigest()
    for _attempt in range(3):
        path = _free_path(course, folder, stem, extension, digest)
        record_course_files(course, store_course_files({path: data}), {path: data}, uploaded_by=uploader)
        try:
            db.session.commit()
            break
        except IntegrityError:  # another upload took this path a moment ago: find the next free one
            db.session.rollback()
    else:
        raise UploadRefused("busy")
    alt = label.replace("[", "").replace("]", "").strip() or stem
    markdown = f"![{alt}]({path})" if folder == "images" else f"[{alt}]({path})"
    return StoredUpload(path=path, markdown=markdown)
