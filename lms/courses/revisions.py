"""Module revisions and course files: what a page is made of. A revision is rendered (and sanitised) once
when published, by import or in the browser alike; files are stored once by digest and named by their
path in the course folder."""
from __future__ import annotations

import hashlib

from sqlalchemy import select

from lms.accounts.models import User
from lms.courses.models import Course, CourseFile, Module, ModuleRevision
from lms.courses.rendering import CourseLinks, render_markdown
from lms.extensions import db
from lms.storage import get_storage

COURSE_FILE_PREFIX = "course-files/"


def store_course_files(files: dict[str, bytes]) -> dict[str, str]:
    """Save a module's images and attachments under their content digest. A file is never overwritten,
    so pages of earlier revisions (and of a failed import) keep showing what they showed."""
    storage = get_storage()
    digests = {}
    for path, data in files.items():
        digest = hashlib.sha256(data).hexdigest()
        key = COURSE_FILE_PREFIX + digest[:32]
        if not storage.exists(key):
            storage.save(key, data)
        digests[path] = digest
    return digests


def record_course_files(course: Course, digests: dict[str, str], files: dict[str, bytes],
                        uploaded_by: User | None = None) -> None:
    """Remember which stored bytes each course-folder path names now (within the caller's transaction)."""
    if not digests:
        return
    db.session.flush()
    known = {f.path: f for f in db.session.scalars(select(CourseFile).where(
        CourseFile.course_id == course.id, CourseFile.path.in_(list(digests))))}
    for path, digest in digests.items():
        record = known.get(path)
        if record is None:
            db.session.add(CourseFile(course_id=course.id, path=path, sha256=digest, size=len(files[path]),
                                      uploaded_by_id=uploaded_by.id if uploaded_by else None))
        elif record.sha256 != digest:
            record.sha256, record.size = digest, len(files[path])
            record.uploaded_by_id = uploaded_by.id if uploaded_by else None


def course_links(course: Course) -> CourseLinks:
    """How a module written in the browser reaches the other modules (by file name) and the course's
    files (by folder path), exactly as an imported module does."""
    module_keys = {}
    for module in course.editable_modules:
        module_keys[f"{module.key}.md"] = module.key
        if module.file_name:
            module_keys[module.file_name] = module.key
    files = dict(db.session.execute(select(CourseFile.path, CourseFile.sha256)
                                    .where(CourseFile.course_id == course.id)).all())
    return CourseLinks(module_keys=module_keys, file_digests=files)


def load_course_file(digest: str) -> bytes:
    return get_storage().load(COURSE_FILE_PREFIX + digest)


def fingerprint(source: str, links: CourseLinks) -> str:
    # A changed image is a changed page even when the Markdown is the same.
    fingerprint = source + "".join(f"\n{p}:{d}" for p, d in sorted(links.file_digests.items()))
    return hashlib.sha256(fingerprint.encode("utf-8")).hexdigest()


def publish_revision(module: Module, *, source: str, links: CourseLinks, author: User | None = None,
                     note: str = "", restored_from: int | None = None) -> ModuleRevision:
    """Render the Markdown once (sanitised) and add it as the module's newest revision, which is what
    trainees read from now on. Within the caller's transaction; the module's title is recorded with it."""
    rendered = render_markdown(source, links)
    db.session.flush()
    latest = published_revision(module)
    revision = ModuleRevision(
        module_id=module.id, number=(latest.number + 1) if latest else 1, source_markdown=source,
        body_html=rendered.body_html, toc_html=rendered.toc_html, source_sha256=fingerprint(source, links),
        word_count=rendered.word_count, title=module.title, author_id=author.id if author else None,
        note=note[:300], restored_from=restored_from)
    db.session.add(revision)
    module.is_published = True
    return revision


def published_revision(module: Module) -> ModuleRevision | None:
    return db.session.scalar(select(ModuleRevision).where(ModuleRevision.module_id == module.id)
                             .order_by(ModuleRevision.number.desc()).limit(1))
