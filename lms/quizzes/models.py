from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.courses.models import Course, Module
from lms.db import TimestampMixin, utcnow, value_enum
from lms.extensions import db


class Question(TimestampMixin, db.Model):
    """A question in a course's bank. Attempts keep their own snapshot, so editing this never changes them."""

    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))  # the stable id from the bank file
    qtype: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(100))
    tags: Mapped[list] = mapped_column(JSON, default=list)
    points: Mapped[float] = mapped_column(default=1.0)
    prompt_markdown: Mapped[str] = mapped_column(Text)
    prompt_html: Mapped[str] = mapped_column(Text)
    explanation_markdown: Mapped[str] = mapped_column(Text, default="")
    explanation_html: Mapped[str] = mapped_column(Text, default="")
    legal_source: Mapped[str] = mapped_column(Text, default="")
    spec: Mapped[dict] = mapped_column(JSON)  # options, answers and scoring: see quizzes.grading
    # Where it came from ("questions/02-khung-phap-ly.yml", "gift"): a content import retires only the
    # questions its own files no longer hold, never those imported from Moodle.
    origin: Mapped[str] = mapped_column(String(200), default="")
    retired: Mapped[bool] = mapped_column(default=False)
    # Digest of the question as last read from its bank file: a re-import changes the question only when
    # the file did, so edits made in the browser survive an unchanged file.
    imported_sha256: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("course_id", "key"), Index("ix_question_course_category",
                                                                  "course_id", "category"))


class GradingMethod(str, enum.Enum):
    HIGHEST = "highest"
    LAST = "last"


class ReviewPolicy(str, enum.Enum):
    AFTER_EACH = "after-each"   # correct answers and explanations after every attempt
    AFTER_PASS = "after-pass"   # only once the trainee has passed
    NEVER = "never"             # the score only


class Quiz(TimestampMixin, db.Model):
    """A module's quiz or a course's final exam, with the rules every attempt at it follows."""

    __tablename__ = "quiz"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))  # the module id, or "final-exam"
    title: Mapped[str] = mapped_column(String(300))
    is_final: Mapped[bool] = mapped_column(default=False)
    pass_mark: Mapped[int] = mapped_column(default=70)  # per cent
    time_limit_minutes: Mapped[int | None]
    max_attempts: Mapped[int | None]
    wait_minutes: Mapped[int] = mapped_column(default=0)
    grading: Mapped[GradingMethod] = mapped_column(value_enum(GradingMethod, "grading_method"),
                                                   default=GradingMethod.HIGHEST)
    review: Mapped[ReviewPolicy] = mapped_column(value_enum(ReviewPolicy, "review_policy"),
                                                 default=ReviewPolicy.AFTER_EACH)
    retired: Mapped[bool] = mapped_column(default=False)
    imported_sha256: Mapped[str | None] = mapped_column(String(64))  # as for Question: file edits win only when made

    course: Mapped[Course] = relationship()
    module: Mapped[Module | None] = relationship()
    draw_rules: Mapped[list[QuizDrawRule]] = relationship(
        back_populates="quiz", order_by="QuizDrawRule.position", cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("course_id", "key"),)


class QuizDrawRule(db.Model):
    """Draw `count` questions (all when None) at random from one category of the course's bank."""

    __tablename__ = "quiz_draw_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    category: Mapped[str] = mapped_column(String(100))
    count: Mapped[int | None]

    quiz: Mapped[Quiz] = relationship(back_populates="draw_rules")

    __table_args__ = (UniqueConstraint("quiz_id", "category"),)


class AttemptState(str, enum.Enum):
    IN_PROGRESS = "in-progress"
    SUBMITTED = "submitted"
    GRADED = "graded"


class Attempt(TimestampMixin, db.Model):
    __tablename__ = "attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]  # 1 for the first attempt at this quiz in this enrolment
    state: Mapped[AttemptState] = mapped_column(value_enum(AttemptState, "attempt_state"),
                                                default=AttemptState.IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None]  # kept by the server; None for untimed quizzes
    # Every save carries a higher sequence number than the last one accepted; a stale or replayed
    # save (a second tab, a retried request) is refused instead of overwriting newer answers.
    last_seq: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    last_saved_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    submitted_by_deadline: Mapped[bool] = mapped_column(default=False)  # the clock ran out, not the trainee
    graded_at: Mapped[datetime | None]
    score_points: Mapped[float | None]
    max_points: Mapped[float] = mapped_column(default=0.0)
    score_percent: Mapped[float | None]
    passed: Mapped[bool | None]

    quiz: Mapped[Quiz] = relationship()
    answers: Mapped[list[AttemptAnswer]] = relationship(back_populates="attempt",
                                                        order_by="AttemptAnswer.position")

    __table_args__ = (
        UniqueConstraint("enrolment_id", "quiz_id", "number"),
        # At most one open attempt per trainee and quiz, whatever two tabs or two servers try.
        Index("uq_attempt_one_open_per_quiz", "quiz_id", "user_id", unique=True,
              sqlite_where=text("state = 'in-progress'"), postgresql_where=text("state = 'in-progress'")),
        # The deadline sweep looks up open attempts whose time has run out.
        Index("ix_attempt_state_deadline", "state", "deadline_at"),
        # Item analysis reads the graded attempts at one course's quizzes.
        Index("ix_attempt_quiz_state", "quiz_id", "state"),
    )

    @property
    def is_open(self) -> bool:
        return self.state is AttemptState.IN_PROGRESS


class AttemptAnswer(db.Model):
    """One slot of an attempt: the question exactly as drawn and shown, and the trainee's saved answer."""

    __tablename__ = "attempt_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"))
    position: Mapped[int]  # 1-based, in the order the trainee sees the questions
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), index=True)
    snapshot: Mapped[dict] = mapped_column(JSON)
    response: Mapped[object | None] = mapped_column(JSON(none_as_null=True))
    saved_at: Mapped[datetime | None]
    fraction: Mapped[float | None]
    points_awarded: Mapped[float | None]

    attempt: Mapped[Attempt] = relationship(back_populates="answers")

    __table_args__ = (UniqueConstraint("attempt_id", "position"),)
