"""Which attempt counts, and whether a quiz is passed: read-only questions other features ask too
(course completion, certificates, reports), kept apart from the services that change attempts."""
from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db
from lms.quizzes.models import Attempt, AttemptState, GradingMethod, Quiz


def graded_attempts(enrolment_id: int, quiz: Quiz) -> list[Attempt]:
    return list(db.session.scalars(
        select(Attempt).where(Attempt.enrolment_id == enrolment_id, Attempt.quiz_id == quiz.id,
                              Attempt.state == AttemptState.GRADED).order_by(Attempt.number)))


def counting_attempt(quiz: Quiz, graded: list[Attempt]) -> Attempt | None:
    """The attempt whose score is the quiz's grade: the highest (the earliest of equals) or the last."""
    if not graded:
        return None
    if quiz.grading is GradingMethod.LAST:
        return max(graded, key=lambda a: a.number)
    return max(graded, key=lambda a: (a.score_percent or 0, -a.number))


def quiz_passed(enrolment_id: int, quiz: Quiz) -> bool:
    attempt = counting_attempt(quiz, graded_attempts(enrolment_id, quiz))
    return bool(attempt and attempt.passed)


def ever_passed(enrolment_id: int, quiz: Quiz) -> bool:
    return db.session.scalar(select(Attempt.id).where(
        Attempt.enrolment_id == enrolment_id, Attempt.quiz_id == quiz.id, Attempt.passed.is_(True))
        .limit(1)) is not None


def final_exam_of(course_id: int) -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.course_id == course_id, Quiz.is_final.is_(True),
                                                Quiz.retired.is_(False)))
