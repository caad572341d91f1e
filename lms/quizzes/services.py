"""Attempts: start (draw and freeze questions), save (sequence-checked), submit (once), grade, and close
attempts whose time ran out. Every rule is enforced here, whichever endpoint or command calls.

Concurrency: each change starts with a conditional UPDATE of the attempt row ("... WHERE state is open
AND last_seq < :seq"). The database lets one writer through; a second tab, a replayed request or a double
click finds the condition false and changes nothing. On PostgreSQL the row lock serialises them; on
SQLite the database write lock does.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from lms.courses import services as course_services
from lms.courses.models import Course, Enrolment, Module
from lms.db import utcnow
from lms.extensions import db
from lms.quizzes import grading
from lms.quizzes.models import (Attempt, AttemptAnswer, AttemptState, Question, Quiz, ReviewPolicy)
from lms.quizzes.results import counting_attempt, ever_passed, graded_attempts

_system_random = random.SystemRandom()


class AttemptRefused(Exception):
    """Starting an attempt is not allowed now; `message` says why, in the trainee's language."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class SaveRefused(Exception):
    """A save or submit that must not change the attempt. reason: stale, closed or late."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


InvalidAnswer = grading.InvalidAnswer


# --- finding quizzes ---------------------------------------------------------------------------------------

def find_quiz(course: Course, key: str) -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.key == key,
                                                Quiz.retired.is_(False)))


def quiz_for_module(module: Module) -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.module_id == module.id, Quiz.retired.is_(False)))


def course_quizzes(course: Course) -> list[Quiz]:
    return list(db.session.scalars(select(Quiz).where(Quiz.course_id == course.id, Quiz.retired.is_(False))))


# --- status of a quiz for one trainee ----------------------------------------------------------------------

@dataclass
class QuizStatus:
    quiz: Quiz
    attempts: list[Attempt] = field(default_factory=list)  # newest first
    open_attempt: Attempt | None = None
    counting: Attempt | None = None  # the attempt whose score is the grade
    passed: bool = False
    attempts_left: int | None = None  # None: unlimited
    next_start_at: datetime | None = None  # set while the waiting time runs
    refusal: object = None  # why a new attempt cannot start, or None

    @property
    def can_start(self) -> bool:
        return self.open_attempt is None and self.refusal is None


def quiz_status(enrolment: Enrolment, quiz: Quiz, now: datetime | None = None) -> QuizStatus:
    now = now or utcnow()
    attempts = list(db.session.scalars(
        select(Attempt).where(Attempt.enrolment_id == enrolment.id, Attempt.quiz_id == quiz.id)
        .order_by(Attempt.number.desc())))
    for attempt in attempts:
        if attempt.is_open and close_if_overdue(attempt, now):
            return quiz_status(enrolment, quiz, now)
    graded = [a for a in attempts if a.state is AttemptState.GRADED]
    status = QuizStatus(quiz=quiz, attempts=attempts,
                        open_attempt=next((a for a in attempts if a.is_open), None))
    status.counting = counting_attempt(quiz, graded)
    status.passed = bool(status.counting and status.counting.passed)
    if quiz.max_attempts is not None:
        status.attempts_left = max(0, quiz.max_attempts - len(attempts))
        if status.attempts_left == 0:
            status.refusal = _l("You have used all %(n)d attempts at this quiz.", n=quiz.max_attempts)
    finished = [a.submitted_at for a in attempts if a.submitted_at is not None]
    if quiz.wait_minutes and finished and status.refusal is None:
        ready = max(finished) + timedelta(minutes=quiz.wait_minutes)
        if ready > now:
            status.next_start_at = ready
            status.refusal = _l("The next attempt can start after the waiting time.")
    return status


# --- starting -----------------------------------------------------------------------------------------------

def draw_questions(quiz: Quiz, rng: random.Random) -> list[Question]:
    """N questions at random from each category the quiz draws from, in a shuffled order."""
    rules = list(quiz.draw_rules)
    # One look at the candidates of every category at once: 300 people may start the exam in the same minute.
    by_category: dict[str, list[int]] = {rule.category: [] for rule in rules}
    for question_id, category in db.session.execute(
            select(Question.id, Question.category).where(
                Question.course_id == quiz.course_id, Question.category.in_(by_category),
                Question.retired.is_(False)).order_by(Question.id)):
        by_category[category].append(question_id)
    drawn: list[int] = []
    for rule in rules:
        ids = by_category[rule.category]
        count = len(ids) if rule.count is None else min(rule.count, len(ids))
        drawn.extend(rng.sample(ids, count))
    rng.shuffle(drawn)
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(drawn)))}
    return [questions[i] for i in drawn]


def _question_data(question: Question) -> dict:
    return {"question_id": question.id, "key": question.key, "type": question.qtype,
            "points": question.points, "prompt_html": question.prompt_html,
            "explanation_html": question.explanation_html, "source": question.legal_source,
            "spec": question.spec}


def start_attempt(enrolment: Enrolment, quiz: Quiz, rng: random.Random | None = None,
                  now: datetime | None = None) -> Attempt:
    """Start an attempt, or return the one already open (a second tab, a double click)."""
    rng = rng or _system_random
    now = now or utcnow()
    status = quiz_status(enrolment, quiz, now)
    if status.open_attempt is not None:
        return status.open_attempt
    if status.refusal is not None:
        raise AttemptRefused(status.refusal)
    questions = draw_questions(quiz, rng)
    if not questions:
        raise AttemptRefused(_l("This quiz has no questions yet."))
    attempt = Attempt(quiz_id=quiz.id, user_id=enrolment.user_id, enrolment_id=enrolment.id,
                      number=len(status.attempts) + 1, state=AttemptState.IN_PROGRESS, started_at=now,
                      deadline_at=now + timedelta(minutes=quiz.time_limit_minutes)
                      if quiz.time_limit_minutes else None,
                      max_points=sum(q.points for q in questions))
    db.session.add(attempt)
    try:
        db.session.flush()
        # The slots in one INSERT: nothing here needs their ids back, and the exam's start is its busiest minute.
        db.session.execute(insert(AttemptAnswer), [
            {"attempt_id": attempt.id, "position": n, "question_id": q.id,
             "snapshot": grading.make_snapshot(_question_data(q), rng)}
            for n, q in enumerate(questions, start=1)])
        db.session.commit()
    except IntegrityError:  # another request started one at the same moment: that one is the attempt
        db.session.rollback()
        existing = db.session.scalar(select(Attempt).where(
            Attempt.quiz_id == quiz.id, Attempt.user_id == enrolment.user_id,
            Attempt.state == AttemptState.IN_PROGRESS))
        if existing is None:
            raise
        return existing
    return attempt


# --- saving and submitting ---------------------------------------------------------------------------------

def grace() -> timedelta:
    return timedelta(seconds=current_app.config["QUIZ_GRACE_SECONDS"])


def is_overdue(attempt: Attempt, now: datetime) -> bool:
    return attempt.deadline_at is not None and now > attempt.deadline_at + grace()


def seconds_left(attempt: Attempt, now: datetime | None = None) -> int | None:
    if attempt.deadline_at is None:
        return None
    return max(0, int((attempt.deadline_at - (now or utcnow())).total_seconds()))


_SLOT_FIELD = re.compile(r"^q(\d+)(?:-|$)")


def read_responses(attempt: Attempt, form) -> dict[int, object]:
    """The answers a form carries, checked against what this attempt showed. Raises InvalidAnswer."""
    snapshots = {a.position: a.snapshot for a in attempt.answers}
    for name in form.keys():
        match = _SLOT_FIELD.match(name)
        if match and int(match.group(1)) not in snapshots:
            raise InvalidAnswer(name)  # an answer to a question this attempt does not have
    responses = {}
    for value in form.getlist("slot"):
        if not value.isdigit() or int(value) not in snapshots:
            raise InvalidAnswer("slot")
        position = int(value)
        responses[position] = grading.read_response(snapshots[position], position, form)
    return responses


def _claim_save(attempt: Attempt, seq: int, now: datetime) -> None:
    """Take the attempt for this save, or find out why not (and change nothing)."""
    claimed = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.state == AttemptState.IN_PROGRESS,
                              Attempt.last_seq < seq,
                              or_(Attempt.deadline_at.is_(None), Attempt.deadline_at >= now - grace()))
        .values(last_seq=seq, last_saved_at=now).execution_options(synchronize_session=False)).rowcount
    if claimed == 1:
        return
    db.session.rollback()
    db.session.refresh(attempt)
    if not attempt.is_open:
        raise SaveRefused("closed")
    if is_overdue(attempt, now):
        close_if_overdue(attempt, now)
        raise SaveRefused("late")
    raise SaveRefused("stale")


def _write_responses(attempt: Attempt, responses: dict[int, object], now: datetime) -> None:
    for position, response in responses.items():
        db.session.execute(update(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id,
                                                       AttemptAnswer.position == position)
                           .values(response=response, saved_at=now)
                           .execution_options(synchronize_session=False))


SEQ_CEILING = 2_000_000_000  # the form refuses larger numbers (an int column everywhere)


def first_seq_for_page(attempt: Attempt, now: datetime | None = None) -> int:
    """The sequence number a freshly loaded attempt page starts from.

    A page counts its saves up from here. Starting at "last accepted + 1" would collide with a save the
    previous page (a reload, a closed tab) still had in flight: accepted after this page was drawn, it
    takes the same number and the new page's first save is refused as if another window had written.
    Starting from the milliseconds elapsed since the attempt began puts every new page above any number
    an older page can still send (one number per save, each save a full round trip), so the old page's
    late save is the one refused, and its answers, still in this device's storage, are saved again here.
    """
    now = now or utcnow()
    elapsed_ms = int((now - attempt.started_at).total_seconds() * 1000)
    # An attempt left open for weeks falls back to counting on from the last save.
    base = elapsed_ms if elapsed_ms < SEQ_CEILING - 100_000_000 else 0
    return max(attempt.last_seq + 1, base)


def save_answers(attempt: Attempt, seq: int, form, now: datetime | None = None) -> Attempt:
    """Store the answers in the form. Raises InvalidAnswer or SaveRefused, having changed nothing."""
    now = now or utcnow()
    responses = read_responses(attempt, form)
    _claim_save(attempt, seq, now)
    _write_responses(attempt, responses, now)
    db.session.commit()
    db.session.refresh(attempt)
    return attempt


@dataclass(frozen=True)
class SubmitOutcome:
    attempt: Attempt
    already_submitted: bool = False  # a double click, a second tab: the first submit's grade stands
    late: bool = False  # time was up: graded with the answers saved before the deadline


def submit_attempt(attempt: Attempt, seq: int, form, now: datetime | None = None) -> SubmitOutcome:
    """Save the last answers and grade, exactly once."""
    now = now or utcnow()
    if not attempt.is_open:
        return SubmitOutcome(attempt, already_submitted=True)
    responses = read_responses(attempt, form)
    try:
        _claim_save(attempt, seq, now)
    except SaveRefused as refused:
        if refused.reason == "closed":
            return SubmitOutcome(attempt, already_submitted=True)
        if refused.reason == "late":
            return SubmitOutcome(attempt, late=True)
        raise
    _write_responses(attempt, responses, now)
    _submit_and_grade(attempt, now, submitted_at=now, by_deadline=False)
    db.session.commit()
    course_services.after_commit(db.session.get(Enrolment, attempt.enrolment_id))
    return SubmitOutcome(attempt)


def close_if_overdue(attempt: Attempt, now: datetime | None = None) -> bool:
    """Grade an attempt whose time (and grace) ran out, with the answers saved by then."""
    now = now or utcnow()
    if not attempt.is_open or not is_overdue(attempt, now):
        return False
    if not _submit_and_grade(attempt, now, submitted_at=attempt.deadline_at, by_deadline=True):
        db.session.rollback()
        db.session.refresh(attempt)
        return False
    db.session.commit()
    course_services.after_commit(db.session.get(Enrolment, attempt.enrolment_id))
    return True


def close_open_attempts(enrolment: Enrolment, now: datetime | None = None) -> int:
    """Grade, with what was saved, the attempts still open in a cycle that is being left behind."""
    now = now or utcnow()
    open_attempts = list(db.session.scalars(select(Attempt).where(
        Attempt.enrolment_id == enrolment.id, Attempt.state == AttemptState.IN_PROGRESS)))
    closed = sum(1 for attempt in open_attempts
                 if _submit_and_grade(attempt, now, submitted_at=now, by_deadline=False))
    db.session.commit()
    return closed


def close_overdue_attempts(now: datetime | None = None, limit: int | None = None) -> int:
    """Grade attempts left open past their deadline: the trainee may never come back."""
    now = now or utcnow()
    ids = list(db.session.scalars(select(Attempt.id).where(
        Attempt.state == AttemptState.IN_PROGRESS, Attempt.deadline_at.is_not(None),
        Attempt.deadline_at < now - grace()).order_by(Attempt.deadline_at).limit(limit)))
    return sum(1 for attempt_id in ids if close_if_overdue(db.session.get(Attempt, attempt_id), now))


# --- grading -----------------------------------------------------------------------------------------------

def _submit_and_grade(attempt: Attempt, now: datetime, *, submitted_at: datetime, by_deadline: bool) -> bool:
    claimed = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.state == AttemptState.IN_PROGRESS)
        .values(state=AttemptState.SUBMITTED, submitted_at=submitted_at, submitted_by_deadline=by_deadline)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        return False
    db.session.refresh(attempt)
    # Fresh from the database: a slot object this session still holds may predate the last save.
    answers = list(db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
                                      .order_by(AttemptAnswer.position)
                                      .execution_options(populate_existing=True)))
    total = 0.0
    for answer in answers:
        result = grading.grade_slot(answer.snapshot, answer.response)
        answer.fraction, answer.points_awarded = result.fraction, result.points
        total += result.points
    quiz = attempt.quiz
    attempt.score_points = round(total, 4)
    attempt.score_percent = round(100 * total / attempt.max_points, 2) if attempt.max_points else 0.0
    attempt.passed = attempt.score_percent >= quiz.pass_mark
    attempt.state = AttemptState.GRADED
    attempt.graded_at = now
    db.session.flush()
    _record_progress(attempt, quiz)
    return True


def _record_progress(attempt: Attempt, quiz: Quiz) -> None:
    """A passed module quiz completes its module; a passed final exam may complete the course."""
    enrolment = db.session.get(Enrolment, attempt.enrolment_id)
    if attempt.passed and quiz.module is not None and not quiz.module.retired:
        course_services.record_module_completion(enrolment, quiz.module)
    course_services.refresh_course_completion(enrolment)


# --- reading results ---------------------------------------------------------------------------------------

def review_allowed(attempt: Attempt) -> bool:
    """Whether the results page may show correct answers and explanations, by the quiz's review policy."""
    if attempt.state is not AttemptState.GRADED:
        return False
    policy = attempt.quiz.review
    if policy is ReviewPolicy.AFTER_EACH:
        return True
    if policy is ReviewPolicy.AFTER_PASS:
        return ever_passed(attempt.enrolment_id, attempt.quiz)
    return False


def quiz_grade(enrolment: Enrolment, quiz: Quiz) -> Attempt | None:
    return counting_attempt(quiz, graded_attempts(enrolment.id, quiz))


def answered_count(attempt: Attempt) -> int:
    return db.session.scalar(select(func.count(AttemptAnswer.id)).where(
        AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.response.is_not(None))) or 0
