"""Grade overrides: an admin corrects the grade of a graded attempt (a question found wrong after the exam,
an appeal upheld), with the reason on record.

The answers and their per-question marks stay exactly as graded: only the attempt's score and pass change,
and the audit log keeps the old and new grade and why. An override that turns a fail into a pass counts
like a pass (the module or the course may complete and the certificate is issued); lowering a grade never
undoes a completion already recorded: a certificate is withdrawn by revoking it, on its own page.
"""
from __future__ import annotations

from lms.accounts.models import User
from lms.audit.services import record_event
from lms.courses import services as course_services
from lms.courses.models import Enrolment
from lms.extensions import db
from lms.quizzes.models import Attempt, AttemptState
from lms.quizzes.services import _record_progress

MIN_REASON_LENGTH = 10


class GradeOverrideRefused(ValueError):
    pass


def override_grade(attempt: Attempt, *, score_percent: float, reason: str, actor: User) -> Attempt:
    if attempt.state is not AttemptState.GRADED:
        raise GradeOverrideRefused("only a graded attempt can have its grade changed")
    if not 0 <= score_percent <= 100:
        raise GradeOverrideRefused("a grade is between 0 and 100")
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise GradeOverrideRefused("the reason is required")
    before = {"score_percent": attempt.score_percent, "passed": attempt.passed}
    attempt.score_percent = round(score_percent, 2)
    attempt.score_points = round(attempt.max_points * attempt.score_percent / 100, 4)
    attempt.passed = attempt.score_percent >= attempt.quiz.pass_mark
    record_event(actor, "attempt.grade_override", "attempt", attempt.id, summary=reason,
                 before=before, after={"score_percent": attempt.score_percent, "passed": attempt.passed,
                                       "reason": reason, "quiz": attempt.quiz.title,
                                       "user_id": attempt.user_id})
    db.session.flush()
    _record_progress(attempt, attempt.quiz)
    db.session.commit()
    course_services.after_commit(db.session.get(Enrolment, attempt.enrolment_id))
    return attempt
