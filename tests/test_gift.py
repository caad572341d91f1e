"""Moodle GIFT in and out: every construct of a real export, the command line, and round trips."""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from lms.quizzes import grading
from lms.quizzes.gift import parse_gift, write_gift
from lms.quizzes.models import Question

DATA = Path(__file__).parent / "data"
MOODLE_EXPORT = DATA / "moodle-export.gift"
# The grades Moodle accepts for an answer (question_bank::fraction_options_full), as fractions.
MOODLE_FRACTIONS = {1.0, 0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3, 0.25, 0.2,
                    0.1666667, 0.1428571, 0.125, 0.1111111, 0.1, 0.05, 0.0}


@pytest.fixture
def parsed(app):
    return parse_gift(MOODLE_EXPORT.read_text(encoding="utf-8"))


def by_key(parsed):
    return {q.key: q for q in parsed.questions}


def test_a_moodle_export_parses_into_the_right_questions(parsed):
    questions = by_key(parsed)
    assert len(parsed.questions) == 12 and parsed.errors == []
    assert {q.qtype for q in parsed.questions} == {"single", "multiple", "true-false", "short-answer", "numeric",
                                                   "matching"}
    assert questions["hieu-luc-luat"].category == "Luật 2022"  # the last part of $CATEGORY's path
    assert questions["hieu-luc-luat"].tags == ["luat-2022", "hieu-luc"]  # Moodle's // [tag:...] comments


def test_multiple_choice_with_weights_and_feedback(parsed):
    question = by_key(parsed)["hieu-luc-luat"]
    assert question.qtype == "single"
    assert [(o["text"], o["weight"]) for o in question.spec["options"]] == [
        ("01/01/2024", 1.0), ("01/2024", 0.5), ("15/6/2022", 0.0)]
    assert question.spec["options"][0]["feedback"] == "Đúng: khoản 1 Điều 94."
    assert question.explanation_markdown == "Khoản 1 Điều 94 Luật Thi đua, khen thưởng 2022."  # ####
    assert question.prompt_markdown.startswith("<p>Luật Thi đua")  # [html], sanitised when rendered


def test_multiple_answers_with_percentage_weights(parsed):
    question = by_key(parsed)["hinh-thuc-khen-thuong"]
    assert question.qtype == "multiple" and question.spec["scoring"] == "partial"
    assert [o["weight"] for o in question.spec["options"]] == [0.3333333, 0.3333333, 0.3333333, -1.0]
    assert "**tất cả**" in question.prompt_markdown  # [markdown] kept as Markdown
    snap = grading.make_snapshot({"question_id": 1, "key": question.key, "type": question.qtype, "points": 1,
                                  "prompt_html": "", "explanation_html": "", "source": "",
                                  "spec": question.spec}, random.Random(1))
    assert grading.grade(snap, grading.correct_response(snap)) == 1.0


def test_true_false_with_both_feedbacks(parsed):
    question = by_key(parsed)["thi-dua-tu-nguyen"]
    assert question.spec["answer"] is False
    # Moodle: {FALSE#feedback for the wrong answer#feedback for the right answer}
    assert question.spec["feedback_true"] == "Sai: thi đua là tự nguyện."
    assert question.spec["feedback_false"].startswith("Đúng vậy")
    assert by_key(parsed)["khen-thuong-dung-nguoi"].spec["answer"] is True  # {T}


def test_short_answer_with_weighted_alternatives(parsed):
    answers = by_key(parsed)["chu-tich-hoi-dong-trung-uong"].spec["answers"]
    assert [(a["text"], a["weight"]) for a in answers] == [
        ("Thủ tướng Chính phủ", 1.0), ("Thủ tướng", 1.0), ("Chính phủ", 0.5)]


def test_numeric_exact_tolerance_range_and_weighted_alternatives(parsed):
    questions = by_key(parsed)
    assert questions["nam-loi-keu-goi"].spec["answers"][0] | {} == {
        "value": 1948.0, "tolerance": 0.0, "min": 1948.0, "max": 1948.0, "weight": 1.0, "feedback": ""}
    assert questions["so-dieu-cua-luat"].spec["answers"][0]["max"] == 96.0
    bonus = questions["he-so-tien-thuong"].spec["answers"]
    assert [(a["min"], a["max"], a["weight"]) for a in bonus] == [(4.5, 4.5, 1.0), (4.0, 5.0, 0.5)]
    assert questions["khoang-nam"].spec["answers"][0]["min"] == 2000.0
    assert questions["khoang-nam"].spec["answers"][0]["max"] == 2005.0


def test_matching_with_a_distractor(parsed):
    spec = by_key(parsed)["loai-hinh-khen-thuong"].spec
    assert [p["left"] for p in spec["pairs"]] == ["Khen thưởng theo niên hạn", "Khen thưởng đối ngoại",
                                                  "Khen thưởng quá trình cống hiến"]
    assert spec["pairs"][0]["right"] == "Quân đội nhân dân và Công an nhân dân"
    assert spec["distractors"] == ["Học sinh"]


def test_escaped_control_characters_and_new_lines(parsed):
    question = by_key(parsed)["ky-tu-dac-biet"]
    assert question.prompt_markdown == "Tỷ lệ 1:2 và dấu = # { } ~ có được giữ nguyên?  \nDòng thứ hai."
    assert question.spec["options"][0]["text"] == "Có: giữ nguyên ~ và ="


def test_a_question_without_a_name_gets_a_stable_id(parsed):
    unnamed = [q for q in parsed.questions if q.key.startswith("gift-")]
    assert len(unnamed) == 1
    again = parse_gift(MOODLE_EXPORT.read_text(encoding="utf-8"))
    assert unnamed[0].key in by_key(again)


def test_what_cannot_be_represented_is_reported_with_its_line(parsed):
    text = MOODLE_EXPORT.read_text(encoding="utf-8").split("\n")
    lines = {p.line for p in parsed.unsupported}
    assert lines == {n for n, line in enumerate(text, start=1)
                     if line.startswith(("::Tự luận", "::Điền từ", "::Giới thiệu"))}


@pytest.mark.parametrize("broken, fragment", [
    ("::a::Câu hỏi {=một ~hai", "braces"),
    ("::a::Câu hỏi {~một ~hai}", "right"),
    ("::a::Câu hỏi {#mười}", "number"),
    ("::a::Câu hỏi {=trái -> phải =không có mũi tên}", "left -> right"),
    ("::a::Câu hỏi {=một}\n\n::b::{=hai}", "no text"),
])
def test_broken_questions_are_errors(app, broken, fragment):
    result = parse_gift(broken)
    with force_locale("en"):
        assert result.errors and fragment in str(result.errors[0].message)
    assert result.errors[0].line >= 1


def test_the_category_option_overrides_the_file(app):
    result = parse_gift(MOODLE_EXPORT.read_text(encoding="utf-8"), category="ngan-hang-moodle")
    assert {q.category for q in result.questions} == {"ngan-hang-moodle"}


# --- the command line ------------------------------------------------------------------------------------

def question_count(course) -> int:
    return db_count(select(func.count(Question.id)).where(Question.course_id == course.id))


def db_count(query) -> int:
    from lms.extensions import db

    return db.session.scalar(query)


def test_import_refuses_the_whole_file_when_something_cannot_be_imported(runner, course):
    before = question_count(course)
    result = runner.invoke(args=["lms", "import-gift", str(MOODLE_EXPORT), "--course", course.slug])
    assert result.exit_code != 0
    assert "nothing was imported" in result.output
    assert re.search(r"moodle-export\.gift:\d+: ", result.output)
    assert question_count(course) == before


@pytest.fixture
def bare_course(make, tmp_path):
    """A course with modules but no question bank yet, as when a trainer first brings Moodle questions."""
    from lms.courses import services as course_services
    from lms.courses.models import Course
    from lms.extensions import db

    course_services.import_content(make.course_folder(tmp_path, "khoa-moodle"))
    return db.session.scalar(select(Course).where(Course.slug == "khoa-moodle"))


def test_import_with_skip_unsupported_imports_the_rest_and_says_how_many(runner, bare_course):
    course = bare_course
    before = question_count(course)
    result = runner.invoke(args=["lms", "import-gift", str(MOODLE_EXPORT), "--course", course.slug,
                                 "--skip-unsupported"])
    assert result.exit_code == 0, result.output
    assert "imported 12 question(s)" in result.output and "3 skipped" in result.output
    assert question_count(course) == before + 12
    from lms.extensions import db

    imported = db.session.scalar(select(Question).where(Question.key == "chu-tich-hoi-dong-trung-uong",
                                                        Question.course_id == course.id))
    assert imported.origin == "gift" and imported.category == "Luật 2022"
    again = runner.invoke(args=["lms", "import-gift", str(MOODLE_EXPORT), "--course", course.slug,
                                "--skip-unsupported"])
    assert "0 new" in again.output and "12 unchanged" in again.output
    assert question_count(course) == before + 12


def test_a_gift_question_may_not_take_over_a_course_file_question(runner, course, tmp_path):
    taken = db_count(select(Question.key).where(Question.course_id == course.id).limit(1))
    gift = tmp_path / "clash.gift"
    gift.write_text(f"::{taken}::Câu hỏi trùng mã?{{T}}\n", encoding="utf-8")
    with force_locale("en"):
        result = runner.invoke(args=["lms", "import-gift", str(gift), "--course", course.slug])
    assert result.exit_code != 0 and "already used" in result.output


def test_import_of_an_unknown_course_or_a_non_utf8_file_is_refused(runner, course, tmp_path):
    assert "no course" in runner.invoke(args=["lms", "import-gift", str(MOODLE_EXPORT), "--course", "khong-co"]).output
    latin = tmp_path / "latin.gift"
    latin.write_bytes(b"::a::C\xe2u h\xf3i{T}")  # Windows-1258 bytes, as an old editor saves them
    result = runner.invoke(args=["lms", "import-gift", str(latin), "--course", course.slug])
    assert result.exit_code != 0 and "UTF-8" in result.output


def _comparable(spec) -> tuple:
    return (spec.key, spec.qtype, spec.category, spec.tags, spec.points, spec.prompt_markdown,
            spec.explanation_markdown, spec.legal_source, spec.spec)


def test_export_of_the_starter_bank_imports_back_to_the_same_questions(runner, course, tmp_path):
    out = tmp_path / "export.gift"
    result = runner.invoke(args=["lms", "export-gift", "--course", course.slug, str(out)])
    assert result.exit_code == 0, result.output
    from lms.courses.content_files import _Collector
    from lms.quizzes.bank_files import load_banks

    folder = Path(__file__).resolve().parent.parent / "content" / course.slug
    originals = {q.key: q for q in load_banks(folder, _Collector(folder))}
    ordering = {k for k, q in originals.items() if q.qtype == "ordering"}
    assert all(f"left out {k}" in result.output for k in ordering)
    back = parse_gift(out.read_text(encoding="utf-8"))
    assert back.problems == []
    assert {q.key for q in back.questions} == set(originals) - ordering
    for question in back.questions:
        assert _comparable(question)[1:] == _comparable(originals[question.key])[1:], question.key
    _assert_moodle_would_accept(out.read_text(encoding="utf-8"))


def test_a_gift_bank_survives_export_and_import(app, course):
    first = parse_gift(MOODLE_EXPORT.read_text(encoding="utf-8"))
    text, skipped = write_gift(_as_rows(first.questions))
    assert skipped == []
    second = parse_gift(text)
    assert [_comparable(q) for q in second.questions] == [_comparable(q) for q in
                                                          sorted(first.questions, key=lambda q: (q.category, q.key))]
    _assert_moodle_would_accept(text)


def _as_rows(specs):
    return [Question(key=s.key, qtype=s.qtype, category=s.category, tags=s.tags, points=s.points,
                     prompt_markdown=s.prompt_markdown, explanation_markdown=s.explanation_markdown,
                     legal_source=s.legal_source, spec=s.spec) for s in specs]


def _assert_moodle_would_accept(text: str) -> None:
    """What Moodle's importer checks: blocks with one {...} each, and only weights from its grade list."""
    for block in text.strip().split("\n\n"):
        body = "\n".join(line for line in block.split("\n") if not line.lstrip().startswith("//"))
        if body.startswith("$CATEGORY:"):
            continue
        unescaped = re.sub(r"\\.", "", body)
        assert unescaped.count("{") == 1 and unescaped.count("}") == 1 and unescaped.rstrip().endswith("}"), block
        for weight in re.findall(r"%(-?[\d.]+)%", unescaped):
            assert round(abs(float(weight)) / 100, 7) in MOODLE_FRACTIONS, (weight, block)
