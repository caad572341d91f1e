from __future__ import annotations

import enum
from datetime import date, datetime

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import TimestampMixin, utcnow, value_enum
from lms.extensions import db

if TYPE_CHECKING:
    from lms.accounts.models import User

ORIGIN_FILES = "files"
ORIGIN_BROWSER = "browser"


class EnrolmentPolicy(str, enum.Enum):
    OPEN = "open"          # anyone signed in may enrol themselves
    ASSIGNED = "assigned"  # only people an admin enrols see it


class Course(TimestampMixin, db.Model):
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)  # the folder name in content/: stable
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="vi")
    enrolment_policy: Mapped[EnrolmentPolicy] = mapped_column(
        value_enum(EnrolmentPolicy, "enrolment_policy"),
        default=EnrolmentPolicy.OPEN)
    certificate_validity_months: Mapped[int | None]
    legal_basis_as_of: Mapped[str] = mapped_column(Text, default="")
    # An edition in another language of the same course (same modules and question ids): the catalogue
    # shows a person one edition and links the others.
    edition_of_id: Mapped[int | None] = mapped_column(ForeignKey("course.id", ondelete="SET NULL"))
    # Digest of the settings as last read from course.yml: a re-import applies them only when the file
    # changed since, so settings edited in the browser survive an unchanged file.
    imported_sha256: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    modules: Mapped[list[Module]] = relationship(back_populates="course", order_by="Module.position")
    original: Mapped[Course | None] = relationship(remote_side="Course.id", back_populates="editions")
    editions: Mapped[list[Course]] = relationship(back_populates="original", order_by="Course.language")

    @property
    def active_modules(self) -> list[Module]:
        """The modules trainees see, in order: not retired, and published at least once."""
        return [m for m in self.modules if not m.retired and m.is_published]

    @property
    def editable_modules(self) -> list[Module]:
        """The modules an editor works on: published ones and those still only a draft."""
        return [m for m in self.modules if not m.retired]


class Module(TimestampMixin, db.Model):
    __tablename__ = "module"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))  # the stable id from the file: progress hangs on it
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    minutes: Mapped[int] = mapped_column(default=0)
    required: Mapped[bool] = mapped_column(default=True)
    # A module dropped from course.yml is retired, not deleted, so recorded progress keeps its meaning.
    retired: Mapped[bool] = mapped_column(default=False)
    # A module created in the browser stays hidden from trainees (and out of progress) until first published.
    is_published: Mapped[bool] = mapped_column(default=True, server_default=true())
    # "files" (content/) or "browser": a content import retires only the modules its own files dropped.
    origin: Mapped[str] = mapped_column(String(20), default=ORIGIN_FILES, server_default=ORIGIN_FILES)
    # Digest of the module file as last imported: a re-import publishes only when the file changed since,
    # so what trainers published in the browser survives an unchanged file.
    imported_sha256: Mapped[str | None] = mapped_column(String(64))
    # The module's file name in the course folder ("02-khung-phap-ly.md"): other modules link to it by
    # this name, and export writes it back under the same name.
    file_name: Mapped[str] = mapped_column(String(200), default="", server_default="")

    course: Mapped[Course] = relationship(back_populates="modules")

    __table_args__ = (UniqueConstraint("course_id", "key"),)


class ModuleRevision(TimestampMixin, db.Model):
    """One published version of a module's text: Markdown source and the HTML rendered (and sanitised) once.

    The revision with the highest number is what trainees read; older ones are the module's history.
    """

    __tablename__ = "module_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    source_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    toc_html: Mapped[str] = mapped_column(Text, default="")
    source_sha256: Mapped[str] = mapped_column(String(64))
    word_count: Mapped[int] = mapped_column(default=0)
    # The module title as published with this text (None on revisions older than the browser editor).
    title: Mapped[str | None] = mapped_column(String(300))
    # Who published it; None when it came from a content import.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(String(300), default="", server_default="")
    restored_from: Mapped[int | None]  # the revision number this one brought back, when it is a restore

    author: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("module_id", "number"),)


class ModuleDraft(db.Model):
    """The one shared working copy of a module that trainers edit before publishing.

    `version` goes up with every save; a save or publish names the version it started from, so when two
    trainers edit at once the second is told instead of overwriting the first.
    """

    __tablename__ = "module_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    minutes: Mapped[int] = mapped_column(default=0)
    source_markdown: Mapped[str] = mapped_column(Text)
    base_revision_number: Mapped[int | None]  # the published revision the draft started from
    version: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())

    module: Mapped[Module] = relationship()
    updated_by: Mapped[User | None] = relationship()


class CourseTrainer(TimestampMixin, db.Model):
    """A trainer assigned to a course: they edit it and answer its trainees' questions."""

    __tablename__ = "course_trainer"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (UniqueConstraint("course_id", "user_id"),)


class CourseFile(TimestampMixin, db.Model):
    """A path in the course folder (images/so-do.png) and the stored bytes it names, by digest.

    Filled by content import and by uploads in the editor; modules refer to files by these paths, and the
    rendering turns a path into the digest address the file is served from.
    """

    __tablename__ = "course_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    __table_args__ = (UniqueConstraint("course_id", "path"),)


class Enrolment(TimestampMixin, db.Model):
    """One cycle of one person's study of one course.

    Recertification starts cycle 2, 3, … with fresh progress and attempts; earlier cycles, their attempts
    and their certificates stay as they were. The current cycle is the one with the highest number.
    """

    __tablename__ = "enrolment"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), index=True)
    cycle: Mapped[int] = mapped_column(default=1, server_default="1")
    self_enrolled: Mapped[bool] = mapped_column(default=True)
    completed_at: Mapped[datetime | None]
    # Set when the course was completed at an in-person training class rather than online.
    completion_note: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # An assignment by an admin (to the person, their unit or their class) may carry a due date.
    due_on: Mapped[date | None]
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime | None]

    course: Mapped[Course] = relationship()
    completions: Mapped[list[ModuleCompletion]] = relationship(back_populates="enrolment")

    __table_args__ = (
        UniqueConstraint("user_id", "course_id", "cycle"),
        # Covers what the completion reports read of every enrolment, so they scan this index, not the table.
        Index("ix_enrolment_user_course_dates", "user_id", "course_id", "completed_at", "created_at", "due_on"),
    )


class ModuleCompletion(db.Model):
    __tablename__ = "module_completion"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)

    enrolment: Mapped[Enrolment] = relationship(back_populates="completions")

    __table_args__ = (UniqueConstraint("enrolment_id", "module_id"),)
