"""The question bank and quiz settings, edited in the browser by a course's trainers.

Every question and every quiz's settings go through the bank files' own readers
(`bank_entries.read_question_entry` / `read_quiz_entry`): the browser accepts exactly what a content import
accepts, says so with the same messages, and export writes it back in the same format. Questions are
edited in place: each attempt keeps the snapshot it drew, so no recorded attempt (its prompt, options or
score) ever changes.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.accounts.text_search import fold
from lms.audit.models import AuditEvent
from lms.audit.services import record_event
from lms.courses.content_files import ContentError
from lms.courses.models import ORIGIN_BROWSER, Course
from lms.courses.rendering import render_fragment
from lms.extensions import db
from lms.quizzes import grading
from lms.quizzes.bank_export import question_entry
from lms.quizzes.bank_entries import EntryProblem, read_question_entry, read_quiz_entry
from lms.quizzes.bank_files import QuestionSpec
from lms.quizzes.banks import apply_quiz_rules, available_by_category, check_draw_rules, store_question
from lms.quizzes.models import Question, Quiz
from lms.quizzes.services import course_quizzes

FINAL_CATEGORY = "final"  # questions meant only for the final exam (its draw rules name the category)
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class QuestionRefused(Exception):
    """Nothing was saved; `problems` say why, each under the bank-file key it concerns."""

    def __init__(self, problems: list[EntryProblem]):
        super().__init__("; ".join(str(p.message) for p in problems))
        self.problems = problems


class QuestionConflict(Exception):
    """The question was saved by someone else after this editor opened it: nothing was overwritten."""

    def __init__(self, saved_at: datetime, saved_by: User | None, version: str):
        super().__init__("conflict")
        self.saved_at, self.saved_by, self.version = saved_at, saved_by, version


# --- categories and keys ---------------------------------------------------------------------------------

def category_choices(course: Course) -> list[tuple[str, str]]:
    """The categories a question may go in: each module's key (labelled with its title), the final-exam
    category, and any other category already used by questions or draw rules."""
    choices = [(m.key, f"{m.key} — {m.title}") for m in course.editable_modules]
    known = {key for key, _label in choices}
    others = set(db.session.scalars(select(Question.category).where(Question.course_id == course.id)))
    others |= {rule.category for quiz in course_quizzes(course) for rule in quiz.draw_rules}
    others.add(FINAL_CATEGORY)
    for category in sorted(others - known):
        label = _l("%(key)s — final exam only", key=category) if category == FINAL_CATEGORY else category
        choices.append((category, str(label)))
    return choices


def new_question_key(course: Course, category: str) -> str:
    """A stable id unique in the course: the category as a slug, then the next free number."""
    base = _NOT_SLUG.sub("-", fold(category)).strip("-")[:90] or "question"
    pattern = re.compile(rf"^{re.escape(base)}-(\d+)$")
    taken = db.session.scalars(select(Question.key).where(Question.course_id == course.id,
                                                          Question.key.startswith(f"{base}-")))
    numbers = [int(m.group(1)) for key in taken if (m := pattern.match(key))]
    return f"{base}-{max(numbers, default=0) + 1}"


# --- reading and checking --------------------------------------------------------------------------------

def bank_entry(question: Question) -> dict:
    """The question as its bank file would hold it (every key written, the category too)."""
    return question_entry(question, bank_category=None)


def check_question(entry: dict) -> QuestionSpec:
    """The entry read as a bank file's question; raises QuestionRefused with every problem."""
    spec, problems = read_question_entry(entry, default_category=str(entry.get("category") or ""))
    if spec is None:
        raise QuestionRefused(problems)
    return spec


def editor_drops_details(question: Question) -> bool:
    """Whether saving from the editor would lose something the bank format cannot say (true/false
    feedback or several weighted answers imported from Moodle)."""
    spec, _problems = read_question_entry(bank_entry(question), default_category=question.category)
    return spec is None or spec.spec != question.spec


def version_of(question: Question) -> str:
    return question.updated_at.isoformat() if question.updated_at else ""


def _last_editor(question: Question) -> User | None:
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.object_type == "question", AuditEvent.object_id == str(question.id))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(1))
    return db.session.get(User, event.actor_id) if event is not None and event.actor_id else None


# --- draw rules must stay satisfiable ---------------------------------------------------------------------

def _draw_shortfalls(course: Course) -> dict[tuple[str, str], object]:
    """(quiz key, category) → why that quiz can no longer draw what it asks for, with the bank as it stands."""
    available = available_by_category(course)
    shortfalls = {}
    for quiz in course_quizzes(course):
        for rule in quiz.draw_rules:
            have = available.get(rule.category, 0)
            if have == 0:
                shortfalls[(quiz.key, rule.category)] = _l(
                    "“%(quiz)s” draws from the category %(name)s, which would then have no active questions. "
                    "Change the quiz's draw rules first.", quiz=quiz.title, name=rule.category)
            elif rule.count is not None and have < rule.count:
                shortfalls[(quiz.key, rule.category)] = _l(
                    "“%(quiz)s” draws %(count)d questions from the category %(name)s, which would then have "
                    "only %(have)d active questions. Lower its draw count first.",
                    quiz=quiz.title, count=rule.count, name=rule.category, have=have)
    return shortfalls


def _refuse_new_shortfalls(course: Course, before: dict, key: str | None) -> None:
    """Undo the pending change when it leaves a quiz unable to draw (shortfalls already there don't count)."""
    after = _draw_shortfalls(course)
    new = [message for where, message in after.items() if where not in before]
    if new:
        db.session.rollback()
        raise QuestionRefused([EntryProblem(key, message) for message in new])


# --- questions ---------------------------------------------------------------------------------------------

def _entry_summary(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k != "id"}


def create_question(course: Course, entry: dict, actor: User) -> Question:
    """A new question from the editor, with a fresh stable id; audited "question.create"."""
    for _attempt in range(3):  # two trainers creating at the same moment: the second takes the next number
        entry = dict(entry, id=new_question_key(course, str(entry.get("category") or "")))
        spec = check_question(entry)
        spec.origin = ORIGIN_BROWSER
        question, _outcome = store_question(course, None, spec)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            continue
        record_event(actor, "question.create", "question", question.id,
                     summary=f"{course.slug}: {question.key}", after=_entry_summary(bank_entry(question)))
        db.session.commit()
        return question
    raise QuestionRefused([EntryProblem(None, _l("The question could not be given an id; save it again."))])


def edit_question(question: Question, entry: dict, actor: User, *, version: str | None = None) -> bool:
    """Apply the editor's entry to the question; False when nothing changed. Audited "question.edit" with
    the changed settings before and after. Raises QuestionConflict when `version` is no longer current."""
    if version and version != version_of(question):
        raise QuestionConflict(question.updated_at, _last_editor(question), version_of(question))
    course = db.session.get(Course, question.course_id)
    before_shortfalls = _draw_shortfalls(course)
    spec = check_question(dict(entry, id=question.key))
    spec.origin = question.origin  # a file question stays its file's: a re-import still manages it
    before, retired = bank_entry(question), question.retired
    store_question(course, question, spec)
    question.retired = retired  # store_question revives what it stores; editing does not
    after = bank_entry(question)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    if not changed:
        db.session.rollback()
        return False
    _refuse_new_shortfalls(course, before_shortfalls, "category")
    record_event(actor, "question.edit", "question", question.id, summary=f"{course.slug}: {question.key}",
                 before={k: before.get(k) for k in changed}, after={k: after.get(k) for k in changed})
    db.session.commit()
    return True


def retire_question(question: Question, actor: User) -> bool:
    """Take the question out of future draws (attempts that drew it keep it); False if already retired."""
    if question.retired:
        return False
    course = db.session.get(Course, question.course_id)
    before_shortfalls = _draw_shortfalls(course)
    question.retired = True
    db.session.flush()
    _refuse_new_shortfalls(course, before_shortfalls, None)
    record_event(actor, "question.retire", "question", question.id, summary=f"{course.slug}: {question.key}",
                 before={"retired": False}, after={"retired": True})
    db.session.commit()
    return True


def unretire_question(question: Question, actor: User) -> bool:
    if not question.retired:
        return False
    question.retired = False
    course = db.session.get(Course, question.course_id)
    record_event(actor, "question.unretire", "question", question.id, summary=f"{course.slug}: {question.key}",
                 before={"retired": True}, after={"retired": False})
    db.session.commit()
    return True


# --- previews ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuestionPreview:
    view: dict  # what the attempt page receives: grading.public_view of a fresh snapshot
    qtype: str
    spec: dict
    points: float
    explanation_html: str
    legal_source: str


def preview(question: Question | QuestionSpec) -> QuestionPreview:
    """The question drawn as an attempt would draw it (shuffled, tokens for ids), and its answer key."""
    if isinstance(question, Question):
        prompt_html, explanation_html = question.prompt_html, question.explanation_html
        qtype, key, source = question.qtype, question.key, question.legal_source
    else:
        prompt_html = render_fragment(question.prompt_markdown)
        explanation_html = render_fragment(question.explanation_markdown)
        qtype, key, source = question.qtype, question.key, question.legal_source
    data = {"question_id": getattr(question, "id", None), "key": key, "type": qtype, "points": question.points,
            "prompt_html": prompt_html, "explanation_html": explanation_html, "source": source,
            "spec": question.spec}
    snapshot = grading.make_snapshot(data, random.Random())
    return QuestionPreview(view=grading.public_view(snapshot), qtype=qtype, spec=question.spec,
                           points=question.points, explanation_html=explanation_html, legal_source=source)


# --- quiz settings -------------------------------------------------------------------------------------------

class QuizRefused(QuestionRefused):
    """The quiz settings were not saved; `problems` name the setting each concerns."""


def _audited_settings(quiz: Quiz) -> dict:
    return {"title": quiz.title, "pass_mark": quiz.pass_mark, "time_limit_minutes": quiz.time_limit_minutes,
            "max_attempts": quiz.max_attempts, "wait_minutes": quiz.wait_minutes,
            "grading": quiz.grading.value, "review": quiz.review.value,
            "draw": [f"{r.category}: {r.count if r.count is not None else 'all'}" for r in quiz.draw_rules]}


def save_quiz_settings(quiz: Quiz, entry: dict, actor: User) -> bool:
    """Check the settings as the course files' are, refuse draw rules the bank cannot satisfy, apply them;
    False when nothing changed. Attempts already started keep their questions and deadline (both are
    stored on the attempt). Audited "quiz.settings" with the changed settings before and after."""
    spec, problems = read_quiz_entry(entry, key=quiz.key, default_title=quiz.title,
                                     module_key=quiz.module.key if quiz.module else None)
    if spec is None:
        raise QuizRefused(problems)
    try:
        check_draw_rules(quiz.course, [spec])
    except ContentError as error:
        raise QuizRefused([EntryProblem("draw", problem.message) for problem in error.problems]) from None
    before = _audited_settings(quiz)
    apply_quiz_rules(quiz, spec)
    after = _audited_settings(quiz)
    changed = [k for k in before if before[k] != after[k]]
    if not changed:
        db.session.rollback()
        return False
    record_event(actor, "quiz.settings", "quiz", quiz.id, summary=f"{quiz.course.slug}: {quiz.key}",
                 before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    db.session.commit()
    return True
