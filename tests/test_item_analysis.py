"""Item analysis: facility, discrimination and flags per question, from attempts sat through the quiz services.

Each test decides which questions each trainee gets right, computes the expected numbers itself from
that, and compares them with what the page, the service and the exports report.
"""
from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, select

from lms.accounts.models import Role
from lms.courses import services as course_services
from lms.db import utcnow
from lms.extensions import db
from lms.quizzes import services as quiz_services
from lms.quizzes.models import Question
from lms.reports import item_analysis as analysis
from tests.quiz_helpers import form_data, right_answers, wrong_answers

MODULE_QUIZ = "khung-phap-ly"  # the quiz course's one module quiz draws all seven questions of the bank
FINAL_EXAM = "final-exam"

# Who gets which question right, by the trainee's place i in the class (0 = weakest) of n.
PATTERN = {
    "luat-2022-ngay-hieu-luc": lambda i, n: True,             # everyone
    "chu-tich-hoi-dong-trung-uong": lambda i, n: False,       # no one
    "thi-dua-tu-nguyen": lambda i, n: i < n * 2 // 5,         # only the weaker ones: a suspicious key
    "hinh-thuc-khen-thuong": lambda i, n: i >= n // 5,
    "nam-loi-keu-goi": lambda i, n: i >= n // 2,
    "loai-hinh-khen-thuong": lambda i, n: i >= n * 3 // 4,
    "moc-lich-su": lambda i, n: i % 2 == 0,
}


@dataclass
class Sat:
    attempt_id: int
    fractions: dict[str, float]  # question key -> the share of its points the chosen answer earns
    points: dict[str, float]

    @property
    def score(self) -> float:
        return sum(self.fractions[k] * self.points[k] for k in self.fractions) / sum(self.points.values())


def sit(course, key: str, trainee, right_keys: set[str], when=None) -> Sat:
    """One attempt through start_attempt and submit_attempt, right exactly on the questions named."""
    enrolment = course_services.enrol(trainee, course)
    attempt = quiz_services.start_attempt(enrolment, quiz_services.find_quiz(course, key), now=when)
    right, wrong = right_answers(attempt), wrong_answers(attempt)
    responses = {a.position: (right if a.snapshot["key"] in right_keys else wrong)[a.position]
                 for a in attempt.answers}
    outcome = quiz_services.submit_attempt(attempt, 1, form_data(attempt, 1, responses), now=when)
    assert outcome.attempt.score_points is not None
    return Sat(attempt.id, {a.snapshot["key"]: 1.0 if a.snapshot["key"] in right_keys else 0.0
                            for a in attempt.answers},
               {a.snapshot["key"]: a.snapshot["points"] for a in attempt.answers})


def sit_class(course, make, n: int, key: str = MODULE_QUIZ, when=None) -> list[Sat]:
    return [sit(course, key, make.trainee(full_name=f"Lò Văn Mạnh {i}"),
                {k for k, rule in PATTERN.items() if rule(i, n)}, when) for i in range(n)]


def expected_numbers(sats: list[Sat]) -> dict[str, dict]:
    """Facility and the upper-minus-lower index, worked out by hand from what the trainees answered."""
    ranked = sorted(sats, key=lambda s: (-s.score, s.attempt_id))
    k = math.ceil(len(ranked) * 27 / 100)
    upper, lower = ranked[:k], ranked[max(k, len(ranked) - k):]
    result = {}
    for key in sats[0].fractions:
        def mean(group, key=key):
            return sum(s.fractions[key] for s in group) / len(group)
        result[key] = {"answers": len(sats), "facility": round(100 * mean(sats), 1),
                       "discrimination": round(mean(upper) - mean(lower), 2)}
    return result


@pytest.fixture
def course(make, tmp_path):
    # The final exam draws three of the seven questions.
    return make.quiz_course(tmp_path, final="  draw:\n    - category: khung-phap-ly\n      count: 3\n"
                                            "  pass_mark: 80\n")


def by_key(report) -> dict[str, analysis.ItemStats]:
    return {item.key: item for item in report.items}


def test_facility_and_discrimination_are_those_of_the_answers_given(course, make):
    sats = sit_class(course, make, 25)
    report = analysis.item_analysis(course)
    assert report.attempts == 25
    items = by_key(report)
    for key, numbers in expected_numbers(sats).items():
        item = items[key]
        assert (item.answers, item.facility, item.discrimination) == (
            numbers["answers"], numbers["facility"], numbers["discrimination"]), key
    assert report.answers == 25 * len(PATTERN)


def test_flags_name_the_questions_to_look_at_and_the_list_puts_them_first(course, make):
    sit_class(course, make, 25)
    items = by_key(analysis.item_analysis(course))
    assert items["luat-2022-ngay-hieu-luc"].flag is analysis.Flag.EVERYONE_RIGHT
    assert items["chu-tich-hoi-dong-trung-uong"].flag is analysis.Flag.NO_ONE_RIGHT
    assert items["thi-dua-tu-nguyen"].flag is analysis.Flag.NEGATIVE_DISCRIMINATION
    assert items["loai-hinh-khen-thuong"].flag is None  # the strong get it, the weak do not: a good question
    for item in items.values():  # each flag follows from the item's own numbers and the stated thresholds
        if item.facility >= 95:
            wanted = analysis.Flag.EVERYONE_RIGHT
        elif item.facility <= 5:
            wanted = analysis.Flag.NO_ONE_RIGHT
        elif item.discrimination < 0:
            wanted = analysis.Flag.NEGATIVE_DISCRIMINATION
        elif item.discrimination < 0.2:
            wanted = analysis.Flag.LOW_DISCRIMINATION
        else:
            wanted = None
        assert item.flag is wanted, item.key
    order = analysis.item_analysis(course).items
    ranks = [list(analysis.Flag).index(item.flag) if item.flag else len(analysis.Flag) for item in order]
    assert ranks == sorted(ranks)  # flagged questions first, the most pressing flag first
    for rank in set(ranks):  # then, within a flag, from the hardest to the easiest
        facilities = [item.facility for item, r in zip(order, ranks, strict=True) if r == rank]
        assert facilities == sorted(facilities)


def test_under_twenty_answers_a_question_is_only_flagged_as_too_few(course, make):
    sit_class(course, make, 19)
    report = analysis.item_analysis(course)
    assert {item.flag for item in report.items} == {analysis.Flag.TOO_FEW_ANSWERS}
    assert all(item.answers == 19 for item in report.items)


def test_questions_never_answered_are_listed_with_no_numbers(course):
    report = analysis.item_analysis(course)
    keys = set(db.session.scalars(select(Question.key).where(Question.course_id == course.id)))
    assert {item.key for item in report.items} == keys
    assert all(item.answers == 0 and item.facility is None and item.discrimination is None
               for item in report.items)


def test_the_filters_keep_one_quiz_and_one_period(course, make):
    sit_class(course, make, 4, when=utcnow() - timedelta(days=400))  # last year
    recent = sit_class(course, make, 6)
    finals = [sit(course, FINAL_EXAM, make.trainee(), set()) for _ in range(3)]  # fails: no completion
    module_quiz = quiz_services.find_quiz(course, MODULE_QUIZ)
    final = quiz_services.find_quiz(course, FINAL_EXAM)
    assert analysis.item_analysis(course).attempts == 4 + 6 + 3

    only_module = analysis.item_analysis(course, analysis.ItemFilter(quiz_id=module_quiz.id))
    assert only_module.attempts == 10
    only_final = analysis.item_analysis(course, analysis.ItemFilter(quiz_id=final.id))
    assert only_final.answers == sum(len(s.fractions) for s in finals)

    today = utcnow().date()
    this_month = analysis.item_analysis(course, analysis.ItemFilter(quiz_id=module_quiz.id,
                                                                    start=today - timedelta(days=30)))
    assert this_month.attempts == len(recent)
    items = by_key(this_month)
    for key, numbers in expected_numbers(recent).items():
        assert (items[key].facility, items[key].discrimination) == (numbers["facility"],
                                                                    numbers["discrimination"])
    last_year = analysis.item_analysis(course, analysis.ItemFilter(end=today - timedelta(days=300)))
    assert last_year.attempts == 4


def _count_queries(action) -> int:
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_the_number_of_queries_does_not_grow_with_the_attempts(app, course, make, login):
    trainer = make.trainer()
    client = app.test_client()
    login(client, trainer)
    url = f"/admin/reports/courses/{course.slug}/items"
    sit_class(course, make, 3)
    few_service = _count_queries(lambda: analysis.item_analysis(course))
    few_page = _count_queries(lambda: client.get(url))
    sit_class(course, make, 22)
    assert _count_queries(lambda: analysis.item_analysis(course)) == few_service
    assert _count_queries(lambda: client.get(url)) == few_page
    assert _count_queries(lambda: client.get(url + ".csv")) <= few_page


def english(client):
    with client.session_transaction() as session:
        session["lang"] = "en"


def test_the_page_shows_the_numbers_and_flags_to_a_trainer(app, course, make, login):
    sats = sit_class(course, make, 25)
    client = app.test_client()
    login(client, make.trainer())
    english(client)
    page = client.get(f"/admin/reports/courses/{course.slug}/items").get_data(as_text=True)
    rows = {key: next(row for row in re.findall(r"<tr[^>]*>.*?</tr>", page, re.S) if key in row)
            for key in PATTERN}
    for key, numbers in expected_numbers(sats).items():
        assert f"{numbers['facility']:.0f}%" in rows[key], key
        assert f"{numbers['discrimination']:.2f}" in rows[key], key
    assert "No one gets it right" in rows["chu-tich-hoi-dong-trung-uong"]
    assert "Negative discrimination" in rows["thi-dua-tu-nguyen"]
    assert "Everyone gets it right" in rows["luat-2022-ngay-hieu-luc"]
    question = db.session.scalar(select(Question).where(Question.key == "luat-2022-ngay-hieu-luc"))
    assert analysis.prompt_text(question.prompt_html)[:40] in rows["luat-2022-ngay-hieu-luc"]
    # Flagged questions come first on the page, as in the service's order.
    shown = [key for key in re.findall(r'class="item-meta">([\w-]+) ·', page)]
    assert shown == [item.key for item in analysis.item_analysis(course).items]
    index = client.get("/admin/reports/items").get_data(as_text=True)
    assert course.title in index and f"/admin/reports/courses/{course.slug}/items" in index


def test_exports_hold_the_same_rows_with_names_intact(app, course, make, login):
    sit_class(course, make, 25)
    client = app.test_client()
    login(client, make.admin())
    english(client)
    report = analysis.item_analysis(course)
    response = client.get(f"/admin/reports/courses/{course.slug}/items.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    header, body = rows[0], rows[1:]
    assert [row[header.index("Question id")] for row in body] == [item.key for item in report.items]
    facility = {row[0]: float(row[header.index("Facility (%)")]) for row in body}
    assert facility == {item.key: item.facility for item in report.items}
    assert any("Luật" in row[header.index("Question")] or "luật" in row[header.index("Question")]
               for row in body)

    response = client.get(f"/admin/reports/courses/{course.slug}/items.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == header
    assert [row[0] for row in values[1:]] == [item.key for item in report.items]
    assert [row[3] for row in values[1:]] == [item.prompt_text for item in report.items]


def test_a_filter_that_makes_no_sense_is_explained_and_changes_nothing(app, course, make, login):
    sit_class(course, make, 3)
    client = app.test_client()
    login(client, make.trainer())
    english(client)
    url = f"/admin/reports/courses/{course.slug}/items"
    response = client.get(url, query_string={"start": "2026-05-01", "end": "2026-04-01"})
    assert response.status_code == 200
    assert "The end of the period is before its start." in response.get_data(as_text=True)
    response = client.get(url, query_string={"quiz": "999999"})
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    response = client.get(url + ".csv", query_string={"quiz": "nonsense"})
    assert response.status_code == 302 and response.location.startswith(url)
    response = client.get(url, query_string={"slug": "other", "quiz": "", "start": "not a date"})
    assert response.status_code == 200 and "Not a valid date value" in response.get_data(as_text=True)


@pytest.mark.parametrize("role,status", [("trainee", 403), ("trainer", 200), ("admin", 200)])
def test_only_trainers_and_admins_see_item_analysis(app, course, make, login, role, status):
    client = app.test_client()
    login(client, make.user(Role(role)))
    for url in ("/admin/reports/items", f"/admin/reports/courses/{course.slug}/items",
                f"/admin/reports/courses/{course.slug}/items.csv",
                f"/admin/reports/courses/{course.slug}/items.xlsx"):
        assert client.get(url).status_code == status, url
    expected_missing = 403 if role == "trainee" else 404
    assert client.get("/admin/reports/courses/no-such-course/items").status_code == expected_missing
    anonymous = app.test_client().get(f"/admin/reports/courses/{course.slug}/items")
    assert anonymous.status_code == 302 and anonymous.location.startswith("/login")
