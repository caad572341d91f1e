"""Question banks and quiz settings in course files: imported whole, refused whole with file and line."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from lms.courses import services as course_services
from lms.courses.content_files import ContentError
from lms.extensions import db
from lms.quizzes.models import Question, Quiz

ROOT = Path(__file__).resolve().parent.parent
EVERY_TYPE = (ROOT / "tests" / "data" / "every-type.yml").read_text(encoding="utf-8")


def test_the_documented_example_is_the_one_the_tests_import():
    readme = (ROOT / "content" / "README.md").read_text(encoding="utf-8")
    assert EVERY_TYPE in readme


def test_a_bank_with_every_type_imports_with_its_quizzes(make, tmp_path):
    course = make.quiz_course(tmp_path)
    questions = db.session.scalars(select(Question).where(Question.course_id == course.id)).all()
    assert sorted(q.qtype for q in questions) == sorted(
        ["single", "multiple", "true-false", "short-answer", "numeric", "matching", "ordering"])
    single = next(q for q in questions if q.qtype == "single")
    assert "<strong>01/01/2024</strong>" in single.explanation_html
    assert single.legal_source == "Luật Thi đua, khen thưởng 2022, khoản 1 Điều 94"
    quizzes = {q.key: q for q in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id))}
    assert set(quizzes) == {"khung-phap-ly", "final-exam"}
    assert quizzes["final-exam"].is_final and quizzes["final-exam"].pass_mark == 80
    assert [(r.category, r.count) for r in quizzes["khung-phap-ly"].draw_rules] == [("khung-phap-ly", None)]


def test_the_starter_course_has_a_quiz_per_module_and_a_final_exam(course):
    quizzes = db.session.scalars(select(Quiz).where(Quiz.course_id == course.id)).all()
    assert {q.module.key for q in quizzes if q.module} == {m.key for m in course.active_modules}
    assert sum(q.is_final for q in quizzes) == 1
    sources = db.session.scalars(select(Question.legal_source).where(Question.course_id == course.id)).all()
    assert len(sources) >= 20 and all(source.strip() for source in sources)


def _import_error(folder: Path) -> list[str]:
    with pytest.raises(ContentError) as error:
        course_services.import_content(folder)
    with force_locale("en"):  # authors read them in their language; the tests read English
        return [str(p) for p in error.value.problems]


def _bank_folder(make, tmp_path, bank: str, quiz: str = "  pass_mark: 70\n") -> Path:
    folder = make.course_folder(tmp_path, "khoa-loi", modules={
        "01-khung.md": "---\nid: khung-phap-ly\ntitle: Khung\nquiz:\n" + quiz + "---\nNội dung.\n"})
    (folder / "questions").mkdir()
    (folder / "questions" / "bank.yml").write_text(bank, encoding="utf-8")
    return folder


@pytest.mark.parametrize("bank, line, fragment", [
    ("category: khung-phap-ly\nquestions:\n  - id: a\n    type: single\n    prompt: P\n    explanation: E\n"
     "    source: S\n    options:\n      - text: Một\n      - text: Hai\n", 8, "exactly one"),
    ("questions:\n  - id: a\n    type: essay\n    prompt: P\n", 3, "type must be one of"),
    ("questions:\n  - id: a\n    type: true-false\n    prompt: P\n    explanation: E\n    answer: true\n", 2,
     "source"),
    ("questions:\n  - id: Câu-1\n    type: true-false\n    prompt: P\n    explanation: E\n    source: S\n"
     "    answer: true\n", 2, "lower-case"),
    ("questions:\n  - id: a\n    type: numeric\n    prompt: P\n    explanation: E\n    source: S\n"
     "    answer: mười\n", 7, "number"),
    ("questions:\n  - id: a\n    type: ordering\n    prompt: P\n    explanation: E\n    source: S\n"
     "    items: [Một, Hai]\n", 7, "at least three"),
    ("questions:\n  - id: a\n    type: true-false\n    prompt: P\n    explanation: E\n    source: S\n"
     "    answer: true\n    hint: không có\n", 8, "Unknown setting 'hint'"),
    ("questions:\n  - id: a\n    type: true-false\n  prompt: lệch lề\n", 4, "YAML"),
])
def test_a_malformed_question_is_reported_with_file_and_line(make, tmp_path, app, bank, line, fragment):
    problems = _import_error(_bank_folder(make, tmp_path, bank))
    assert any(p.startswith(f"khoa-loi/questions/bank.yml:{line}:") and fragment in p for p in problems), problems
    assert db.session.scalar(select(func.count(Question.id))) == 0


def test_duplicate_question_ids_across_files(make, tmp_path, app):
    question = ("  - id: trung\n    type: true-false\n    prompt: P\n    explanation: E\n    source: S\n"
                "    answer: true\n")
    folder = _bank_folder(make, tmp_path, "category: khung-phap-ly\nquestions:\n" + question)
    (folder / "questions" / "other.yml").write_text("category: khung-phap-ly\nquestions:\n" + question,
                                                    encoding="utf-8")
    problems = _import_error(folder)
    assert any(re.match(r"khoa-loi/questions/other\.yml:3: .*trung.*bank\.yml:3", p) for p in problems), problems


def test_a_quiz_that_asks_for_more_than_the_bank_holds_is_refused(make, tmp_path, app):
    bank = ("category: khung-phap-ly\nquestions:\n  - id: a\n    type: true-false\n    prompt: P\n"
            "    explanation: E\n    source: S\n    answer: true\n")
    quiz = "  draw:\n    - category: khung-phap-ly\n      count: 5\n"
    problems = _import_error(_bank_folder(make, tmp_path, bank, quiz))
    assert any(p.startswith("khoa-loi/01-khung.md:6:") and "only 1" in p for p in problems), problems
    quiz = "  draw:\n    - category: khong-co\n      count: 1\n"
    problems = _import_error(_bank_folder(make, tmp_path / "b", bank, quiz))
    assert any("khong-co" in p and "no questions" in p for p in problems), problems
    assert db.session.scalar(select(func.count(Quiz.id))) == 0


@pytest.mark.parametrize("quiz, fragment", [
    ("  pass_mark: 120\n", "pass_mark"),
    ("  grading: average\n", "grading"),
    ("  review: sometimes\n", "review"),
    ("  time_limit_minutes: 0\n", "time_limit_minutes"),
    ("  shuffle: false\n", "Unknown setting 'shuffle'"),
])
def test_bad_quiz_settings_are_refused(make, tmp_path, app, quiz, fragment):
    bank = ("category: khung-phap-ly\nquestions:\n  - id: a\n    type: true-false\n    prompt: P\n"
            "    explanation: E\n    source: S\n    answer: true\n")
    problems = _import_error(_bank_folder(make, tmp_path, bank, quiz))
    assert any(p.startswith("khoa-loi/01-khung.md:5:") and fragment in p for p in problems), problems


def test_a_broken_bank_changes_nothing_already_imported(make, tmp_path):
    course = make.quiz_course(tmp_path)
    before = db.session.execute(select(Question.key, Question.prompt_markdown).order_by(Question.key)).all()
    bank = tmp_path / course.slug / "questions" / "every-type.yml"
    bank.write_text(bank.read_text(encoding="utf-8").replace("Luật Thi đua, khen thưởng số 06/2022/QH15 có",
                                                              "Đã sửa: Luật có")
                    + "  - id: hong\n    type: single\n", encoding="utf-8")
    with pytest.raises(ContentError):
        course_services.import_content(tmp_path / course.slug)
    db.session.expire_all()
    assert db.session.execute(select(Question.key, Question.prompt_markdown).order_by(Question.key)).all() == before


def test_reimport_updates_questions_in_place_and_retires_removed_ones(make, tmp_path):
    course = make.quiz_course(tmp_path, final="  draw:\n    - category: khung-phap-ly\n      count: 3\n")
    ids = dict(db.session.execute(select(Question.key, Question.id)).all())
    bank = tmp_path / course.slug / "questions" / "every-type.yml"
    text = bank.read_text(encoding="utf-8")
    text = text.replace("Ai là Chủ tịch", "Người nào là Chủ tịch")
    text = text[:text.index("  - id: moc-lich-su")]  # the ordering question is removed
    bank.write_text(text, encoding="utf-8")
    report = course_services.import_content(tmp_path / course.slug)
    assert (report.questions_created, report.questions_updated, report.questions_retired) == (0, 1, 1)
    db.session.expire_all()
    assert dict(db.session.execute(select(Question.key, Question.id)).all()) == ids
    retired = db.session.scalar(select(Question).where(Question.key == "moc-lich-su"))
    assert retired.retired
