"""Item analysis: how each question of a course's bank performs in graded attempts.

Facility is the mean share of a question's points that its answers earned (0–100 %). Discrimination is
the upper–lower index: attempts at each quiz are ranked by their total score, and the facility of the
question among the top 27 % of those attempts minus its facility among the bottom 27 % (−1 to 1) says
whether the people who did well overall got this question right more often than those who did badly.

Everything is aggregated in the database: one windowed ranking of the attempts, then one GROUP BY over
the answers, whatever the number of attempts (the answer table can hold a million rows).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from markupsafe import Markup
from sqlalchemy import and_, case, func, or_, select

from lms.courses.models import Course
from lms.extensions import db
from lms.quizzes.models import Attempt, AttemptAnswer, AttemptState, Question, Quiz, QuizDrawRule

GROUP_SHARE_PERCENT = 27   # the upper and lower groups are each 27 % of the ranked attempts (Kelley)
MIN_ANSWERS = 20           # below this, the numbers say too little to judge the question
EVERYONE_RIGHT = 95.0      # facility (per cent) at or above which the question tells nobody apart
NO_ONE_RIGHT = 5.0         # facility at or below which hardly anyone gets it: a wrong key, or untaught
LOW_DISCRIMINATION = 0.2   # an index below this separates strong from weak attempts poorly


class Flag(str, enum.Enum):
    """What to look at, most pressing first (the order the page sorts by)."""

    NEGATIVE_DISCRIMINATION = "negative-discrimination"
    NO_ONE_RIGHT = "no-one-right"
    LOW_DISCRIMINATION = "low-discrimination"
    EVERYONE_RIGHT = "everyone-right"
    TOO_FEW_ANSWERS = "too-few-answers"


FLAG_ORDER = list(Flag)


@dataclass(frozen=True)
class ItemFilter:
    quiz_id: int | None = None
    start: date | None = None  # submitted on or after this day (the province's calendar)
    end: date | None = None    # submitted on or before this day


@dataclass
class ItemStats:
    question_id: int
    key: str
    category: str
    qtype: str
    points: float
    prompt_text: str
    retired: bool
    answers: int = 0
    facility: float | None = None        # per cent, 0–100
    upper_facility: float | None = None  # per cent, among the top group's answers
    lower_facility: float | None = None
    upper_answers: int = 0
    lower_answers: int = 0
    discrimination: float | None = None  # −1 to 1
    flag: Flag | None = None

    @property
    def sort_key(self) -> tuple:
        rank = FLAG_ORDER.index(self.flag) if self.flag else len(FLAG_ORDER)
        return (rank, self.facility if self.facility is not None else 101.0, self.key)


@dataclass
class ItemReport:
    course: Course
    quizzes: list[Quiz]
    criteria: ItemFilter
    attempts: int
    items: list[ItemStats]

    @property
    def answers(self) -> int:
        return sum(item.answers for item in self.items)

    def flagged(self, flag: Flag) -> int:
        return sum(1 for item in self.items if item.flag is flag)


def flag_for(answers: int, facility: float | None, discrimination: float | None) -> Flag | None:
    """The one thing to look at in a question, if any."""
    if answers < MIN_ANSWERS:
        return Flag.TOO_FEW_ANSWERS
    if facility is not None and facility <= NO_ONE_RIGHT:
        return Flag.NO_ONE_RIGHT
    if facility is not None and facility >= EVERYONE_RIGHT:
        return Flag.EVERYONE_RIGHT
    # Only in between does the index mean something: when nearly all are right (or wrong), it cannot be high.
    if discrimination is not None and discrimination < 0:
        return Flag.NEGATIVE_DISCRIMINATION
    if discrimination is not None and discrimination < LOW_DISCRIMINATION:
        return Flag.LOW_DISCRIMINATION
    return None


def course_quizzes(course: Course) -> list[Quiz]:
    """The module quizzes in module order, then the final exam (retired ones too: their answers count)."""
    quizzes = list(db.session.scalars(select(Quiz).where(Quiz.course_id == course.id)))
    positions = {m.id: m.position for m in course.modules}
    return sorted(quizzes, key=lambda q: (q.is_final, positions.get(q.module_id, 0), q.retired, q.title))


def _period_bounds(criteria: ItemFilter) -> tuple[datetime | None, datetime | None]:
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])

    def utc_midnight(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc)

    start = utc_midnight(criteria.start) if criteria.start else None
    end = utc_midnight(criteria.end + timedelta(days=1)) if criteria.end else None
    return start, end


def _attempts_in_scope(course: Course, criteria: ItemFilter) -> list:
    """The WHERE terms for the graded attempts counted: the course's quizzes (or the chosen one), the period."""
    # quiz_id IN (the course's quizzes) rather than a join on quiz: the database then reads the attempts
    # of those quizzes through ix_attempt_quiz_state, not every graded attempt of every course.
    terms = [Attempt.quiz_id.in_(select(Quiz.id).where(Quiz.course_id == course.id)),
             Attempt.state == AttemptState.GRADED]
    if criteria.quiz_id:
        terms.append(Attempt.quiz_id == criteria.quiz_id)
    start, end = _period_bounds(criteria)
    if start is not None:
        terms.append(Attempt.submitted_at >= start)
    if end is not None:
        terms.append(Attempt.submitted_at < end)
    return terms


def _ranked_attempts(course: Course, criteria: ItemFilter):
    """Graded attempts in scope, each with its group: 1 upper, -1 lower, 0 middle (ranked per quiz)."""
    rank = func.row_number().over(partition_by=Attempt.quiz_id,
                                  order_by=(Attempt.score_percent.desc(), Attempt.id))
    total = func.count(Attempt.id).over(partition_by=Attempt.quiz_id)
    ranked = (select(Attempt.id.label("attempt_id"), rank.label("rank"), total.label("total"))
              .where(*_attempts_in_scope(course, criteria)).subquery("ranked"))
    # ceil(27 % of n) in integer arithmetic, the same on SQLite and PostgreSQL
    group_size = (ranked.c.total * GROUP_SHARE_PERCENT + 99) // 100
    group = case((ranked.c.rank <= group_size, 1), (ranked.c.rank > ranked.c.total - group_size, -1), else_=0)
    return select(ranked.c.attempt_id, group.label("grp")).subquery("grouped")


def _answer_aggregates(grouped) -> dict[int, tuple]:
    fraction = AttemptAnswer.fraction
    upper, lower = grouped.c.grp == 1, grouped.c.grp == -1
    rows = db.session.execute(
        select(AttemptAnswer.question_id, func.count(AttemptAnswer.id), func.avg(fraction),
               func.count(case((upper, 1))), func.avg(case((upper, fraction))),
               func.count(case((lower, 1))), func.avg(case((lower, fraction))))
        .join(grouped, grouped.c.attempt_id == AttemptAnswer.attempt_id)
        .where(fraction.is_not(None))
        .group_by(AttemptAnswer.question_id))
    return {row[0]: tuple(row[1:]) for row in rows}


def _questions_in_scope(course: Course, criteria: ItemFilter, answered: set[int]) -> list[Question]:
    """The bank's live questions (those the chosen quiz draws from), and any question that has answers."""
    live = and_(Question.course_id == course.id, Question.retired.is_(False))
    if criteria.quiz_id:
        live = and_(live, Question.category.in_(
            select(QuizDrawRule.category).where(QuizDrawRule.quiz_id == criteria.quiz_id)))
    condition = or_(live, Question.id.in_(answered)) if answered else live
    return list(db.session.scalars(select(Question).where(Question.course_id == course.id, condition)))


def _percent(value) -> float | None:
    return None if value is None else round(100 * float(value), 1)


def prompt_text(prompt_html: str, limit: int | None = None) -> str:
    text = " ".join(Markup(prompt_html).striptags().split())
    if limit and len(text) > limit:
        return text[:limit - 1].rstrip() + "…"
    return text


def item_analysis(course: Course, criteria: ItemFilter | None = None) -> ItemReport:
    """Facility, discrimination and flags for each question of the course, in a constant number of queries."""
    criteria = criteria or ItemFilter()
    grouped = _ranked_attempts(course, criteria)
    # Counted without the ranking: the same attempts, and no window to sort them for.
    attempts = db.session.scalar(select(func.count(Attempt.id)).where(*_attempts_in_scope(course, criteria))) or 0
    aggregates = _answer_aggregates(grouped) if attempts else {}
    items = []
    for question in _questions_in_scope(course, criteria, set(aggregates)):
        answers, mean, upper_n, upper_mean, lower_n, lower_mean = aggregates.get(
            question.id, (0, None, 0, None, 0, None))
        item = ItemStats(question_id=question.id, key=question.key, category=question.category,
                         qtype=question.qtype, points=question.points, retired=question.retired,
                         prompt_text=prompt_text(question.prompt_html), answers=answers,
                         facility=_percent(mean), upper_answers=upper_n, lower_answers=lower_n,
                         upper_facility=_percent(upper_mean), lower_facility=_percent(lower_mean))
        if upper_mean is not None and lower_mean is not None:
            item.discrimination = round(float(upper_mean) - float(lower_mean), 2)
        item.flag = flag_for(answers, item.facility, item.discrimination)
        items.append(item)
    items.sort(key=lambda item: item.sort_key)
    return ItemReport(course=course, quizzes=course_quizzes(course), criteria=criteria, attempts=attempts,
                      items=items)


def courses_with_counts() -> list[tuple[Course, int, int]]:
    """Every course with its live question count and its number of graded attempts (two GROUP BYs)."""
    questions = dict(db.session.execute(
        select(Question.course_id, func.count(Question.id)).where(Question.retired.is_(False))
        .group_by(Question.course_id)).all())
    attempts = dict(db.session.execute(
        select(Quiz.course_id, func.count(Attempt.id)).join(Attempt, Attempt.quiz_id == Quiz.id)
        .where(Attempt.state == AttemptState.GRADED).group_by(Quiz.course_id)).all())
    courses = db.session.scalars(select(Course).order_by(Course.title, Course.language))
    return [(c, questions.get(c.id, 0), attempts.get(c.id, 0)) for c in courses]
