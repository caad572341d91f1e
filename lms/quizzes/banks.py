"""Storing question banks and quiz settings read from course files or from Moodle GIFT.

Called inside the importer's transaction: a problem found here raises ContentError and the whole import
is rolled back, so a course never ends up with half a bank or a quiz that cannot draw its questions.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import Counter
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.courses.content_files import ContentError, ContentProblem, CourseSpec
from lms.courses.models import Course, Module
from lms.courses.rendering import render_fragment
from lms.extensions import db
from lms.quizzes.bank_files import QuestionSpec, QuizSpec
from lms.quizzes.gift import GIFT_ORIGIN, GiftProblem, parse_gift, write_gift
from lms.quizzes.models import GradingMethod, Question, Quiz, QuizDrawRule, ReviewPolicy

CONTENT_ORIGIN_PREFIX = "questions/"


@dataclass
class BankReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0


def store_question(course: Course, question: Question | None, spec: QuestionSpec) -> tuple[Question, str]:
    """Create or update one question; returns it and "created", "updated" or "unchanged"."""
    values = {"qtype": spec.qtype, "category": spec.category, "tags": spec.tags, "points": spec.points,
              "prompt_markdown": spec.prompt_markdown, "explanation_markdown": spec.explanation_markdown,
              "legal_source": spec.legal_source, "spec": spec.spec, "origin": spec.origin, "retired": False}
    if question is not None and all(getattr(question, k) == v for k, v in values.items() if k != "origin"):
        question.origin = spec.origin  # moved to another bank file: the question itself is unchanged
        return question, "unchanged"
    outcome = "updated"
    if question is None:
        question = Question(course_id=course.id, key=spec.key)
        db.session.add(question)
        outcome = "created"
    for name, value in values.items():
        setattr(question, name, value)
    question.prompt_html = render_fragment(spec.prompt_markdown)
    question.explanation_html = render_fragment(spec.explanation_markdown)
    return question, outcome


def spec_digest(spec) -> str:
    """What a question or quiz says in its file, apart from where the file is and the line it starts on."""
    values = {k: v for k, v in dataclasses.asdict(spec).items() if k not in {"origin", "line", "path"}}
    return hashlib.sha256(json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)
                          .encode("utf-8")).hexdigest()


def course_questions(course: Course) -> dict[str, Question]:
    if course.id is None:
        return {}
    return {q.key: q for q in db.session.scalars(select(Question).where(Question.course_id == course.id))}


def apply_course_bank(course: Course, spec: CourseSpec) -> BankReport:
    """The bank files of a course folder replace the course's file-made questions, by stable id."""
    db.session.flush()
    report = BankReport()
    existing = course_questions(course)
    in_files: set[str] = set()
    for question_spec in spec.questions:
        question = existing.get(question_spec.key)
        # A question written in the browser and then exported comes back as a file question: the file
        # takes it over. One imported from Moodle keeps its id to itself.
        if question is not None and question.origin == GIFT_ORIGIN:
            raise ContentError([ContentProblem(
                f"{spec.path}/{question_spec.origin}", question_spec.line,
                _l("The question id %(key)s is already used by a question imported from Moodle.",
                   key=question_spec.key))])
        digest = spec_digest(question_spec)
        if question is not None and question.imported_sha256 == digest:
            # The file has not changed since it was last read: what trainers did in the browser stands.
            question.origin = question_spec.origin
            report.unchanged += 1
        else:
            question, outcome = store_question(course, question, question_spec)
            question.imported_sha256 = digest
            setattr(report, outcome, getattr(report, outcome) + 1)
        in_files.add(question_spec.key)
    for key, question in existing.items():
        if question.origin.startswith(CONTENT_ORIGIN_PREFIX) and key not in in_files and not question.retired:
            question.retired = True  # kept: recorded attempts and item statistics still point at it
            report.retired += 1
    db.session.flush()
    return report


def apply_course_quizzes(course: Course, spec: CourseSpec) -> int:
    """Create or update the module quizzes and the final exam; a quiz the files dropped is retired."""
    modules = {m.key: m for m in db.session.scalars(select(Module).where(Module.course_id == course.id))}
    existing = {q.key: q for q in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id))}
    specs = [m.quiz for m in spec.modules if m.quiz is not None]
    if spec.final_exam is not None:
        specs.append(spec.final_exam)
    for quiz_spec in specs:
        quiz = existing.pop(quiz_spec.key, None)
        if quiz is None:
            quiz = Quiz(course_id=course.id, key=quiz_spec.key)
            db.session.add(quiz)
        digest = spec_digest(quiz_spec)
        if quiz.imported_sha256 == digest:  # unchanged file: settings edited in the browser stand
            quiz.retired = False
            continue
        _apply_quiz_settings(quiz, quiz_spec, modules)
        quiz.imported_sha256 = digest
    for quiz in existing.values():
        quiz.retired = True
    db.session.flush()
    check_draw_rules(course, specs)
    return len(specs)


def _apply_quiz_settings(quiz: Quiz, spec: QuizSpec, modules: dict[str, Module]) -> None:
    quiz.module = modules[spec.module_key] if spec.module_key else None
    quiz.is_final = spec.module_key is None
    quiz.retired = False
    apply_quiz_rules(quiz, spec)


def apply_quiz_rules(quiz: Quiz, spec: QuizSpec) -> None:
    """The rules every attempt follows, from the course files or the browser's quiz settings."""
    quiz.title = spec.title
    quiz.pass_mark = spec.pass_mark
    quiz.time_limit_minutes = spec.time_limit_minutes
    quiz.max_attempts = spec.max_attempts
    quiz.wait_minutes = spec.wait_minutes
    quiz.grading = GradingMethod(spec.grading)
    quiz.review = ReviewPolicy(spec.review)
    wanted = [(rule.category, rule.count) for rule in spec.draw]
    if [(r.category, r.count) for r in quiz.draw_rules] != wanted:
        quiz.draw_rules.clear()
        db.session.flush()  # the old rows go before new ones reuse their (quiz, category)
        quiz.draw_rules.extend(QuizDrawRule(position=n, category=category, count=count)
                               for n, (category, count) in enumerate(wanted, start=1))


def available_by_category(course: Course) -> Counter:
    rows = db.session.execute(select(Question.category, func.count(Question.id))
                              .where(Question.course_id == course.id, Question.retired.is_(False))
                              .group_by(Question.category)).all()
    return Counter(dict(rows))


def questions_per_attempt(quiz: Quiz) -> int:
    """How many questions an attempt at this quiz draws, as the bank stands now."""
    available = available_by_category(quiz.course)
    return sum(min(rule.count or available.get(rule.category, 0), available.get(rule.category, 0))
               for rule in quiz.draw_rules)


def check_draw_rules(course: Course, specs: list[QuizSpec]) -> None:
    """Every quiz must be able to draw what it asks for, from the bank as it stands after this import."""
    available = available_by_category(course)
    problems = []
    for quiz_spec in specs:
        for rule in quiz_spec.draw:
            have = available.get(rule.category, 0)
            if have == 0:
                problems.append(ContentProblem(quiz_spec.path, rule.line, _l(
                    "The quiz draws from the category %(name)s, which has no questions.", name=rule.category)))
            elif rule.count is not None and have < rule.count:
                problems.append(ContentProblem(quiz_spec.path, rule.line, _l(
                    "The quiz draws %(count)d questions from %(name)s, which has only %(have)d.",
                    count=rule.count, name=rule.category, have=have)))
    if problems:
        raise ContentError(problems)


# --- Moodle GIFT -----------------------------------------------------------------------------------------

@dataclass
class GiftImportReport(BankReport):
    skipped_unsupported: list = None  # GiftProblem of each question left out with --skip-unsupported


class GiftImportError(Exception):
    def __init__(self, problems):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def import_gift(text: str, course: Course, *, category: str | None = None,
                skip_unsupported: bool = False) -> GiftImportReport:
    """Import a Moodle GIFT file into a course's bank, all or nothing."""
    parsed = parse_gift(text, category=category)
    problems = parsed.errors + ([] if skip_unsupported else parsed.unsupported)
    existing = course_questions(course)
    for spec in parsed.questions:
        question = existing.get(spec.key)
        if question is not None and question.origin != GIFT_ORIGIN:
            problems.append(GiftProblem(spec.line, _l(
                "The question id %(key)s is already used by a question from the course files.", key=spec.key)))
    if not parsed.questions and not problems:
        problems.append(GiftProblem(1, _l("The file holds no questions.")))
    if problems:
        raise GiftImportError(sorted(problems, key=lambda p: p.line))
    report = GiftImportReport(skipped_unsupported=parsed.unsupported)
    try:
        for spec in parsed.questions:
            _question, outcome = store_question(course, existing.get(spec.key), spec)
            setattr(report, outcome, getattr(report, outcome) + 1)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def export_gift(course: Course) -> tuple[str, list[str]]:
    questions = [q for q in course_questions(course).values() if not q.retired]
    return write_gift(questions)
