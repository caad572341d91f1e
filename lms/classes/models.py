"""Training classes (lớp tập huấn): the in-person side of the training, with its sessions, roster and
attendance. A participant's status combines the attendance here with their online completion of the
class's courses (courses.Enrolment)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import OrgUnit, User
from lms.courses.models import Course
from lms.db import TimestampMixin, utcnow
from lms.extensions import db

training_class_course = Table(
    "training_class_course", db.metadata,
    Column("class_id", ForeignKey("training_class.id", ondelete="CASCADE"), primary_key=True),
    Column("course_id", ForeignKey("course.id", ondelete="CASCADE"), primary_key=True),
)

training_class_trainer = Table(
    "training_class_trainer", db.metadata,
    Column("class_id", ForeignKey("training_class.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
)


class TrainingClass(TimestampMixin, db.Model):
    __tablename__ = "training_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(300), default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    notes: Mapped[str] = mapped_column(Text, default="")
    # The unit that organises the class (usually the province's Emulation-Commendation Board).
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    courses: Mapped[list[Course]] = relationship(secondary=training_class_course, order_by="Course.title")
    trainers: Mapped[list[User]] = relationship(secondary=training_class_trainer, order_by="User.full_name")
    sessions: Mapped[list[ClassSession]] = relationship(back_populates="training_class",
                                                        order_by="ClassSession.starts_at",
                                                        cascade="all, delete-orphan")
    participants: Mapped[list[ClassParticipant]] = relationship(back_populates="training_class",
                                                                cascade="all, delete-orphan")
    org_unit: Mapped[OrgUnit | None] = relationship()


class ClassSession(db.Model):
    """One sitting of a class (a morning, an afternoon): attendance is marked per session."""

    __tablename__ = "class_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("training_class.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]

    training_class: Mapped[TrainingClass] = relationship(back_populates="sessions")


class ClassParticipant(db.Model):
    __tablename__ = "class_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("training_class.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    training_class: Mapped[TrainingClass] = relationship(back_populates="participants")
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (UniqueConstraint("class_id", "user_id"),)


class Attendance(db.Model):
    """Whether a participant was present at a session; one row per (session, participant), updated in place."""

    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("class_session.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("class_participant.id", ondelete="CASCADE"),
                                                index=True)
    present: Mapped[bool]
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    __table_args__ = (UniqueConstraint("session_id", "participant_id"),)
