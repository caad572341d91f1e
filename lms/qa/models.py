"""Questions and answers (hỏi – đáp) on a module: trainees ask, the course's trainers answer, and a good
pair can be promoted to the module's FAQ, which everyone reading the module sees."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import User
from lms.courses.models import Course, Module
from lms.db import TimestampMixin
from lms.extensions import db


class ModuleQuestion(TimestampMixin, db.Model):
    __tablename__ = "module_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    asker_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)  # sanitised like a module, once, when asked
    # Public: everyone enrolled in the course reads it and its answers. Private: only the asker and the
    # course's trainers (and admins).
    is_public: Mapped[bool] = mapped_column(default=False, server_default=false())
    answered_at: Mapped[datetime | None]  # the first answer: unanswered questions have None
    faq_at: Mapped[datetime | None]  # promoted to the module's FAQ, shown to all who read the module
    faq_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    course: Mapped[Course] = relationship()
    module: Mapped[Module] = relationship()
    asker: Mapped[User | None] = relationship(foreign_keys=[asker_id])
    answers: Mapped[list[ModuleAnswer]] = relationship(back_populates="question",
                                                       order_by="ModuleAnswer.created_at",
                                                       cascade="all, delete-orphan")

    __table_args__ = (
        # The trainer's desk: unanswered questions of their courses, oldest first.
        Index("ix_module_question_course_answered", "course_id", "answered_at", "created_at"),
    )


class ModuleAnswer(TimestampMixin, db.Model):
    __tablename__ = "module_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("module_question.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)

    question: Mapped[ModuleQuestion] = relationship(back_populates="answers")
    author: Mapped[User | None] = relationship()
