"""The question bank and quiz settings edited in the browser by a course's trainer: every question type
written and edited through the form, then drawn and graded in real attempts; the bank files' validation;
previews; recorded attempts that never change; who may edit; the audit trail."""
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.authoring.question_services import editor_drops_details
from lms.courses import services as course_services
from lms.courses.models import CourseTrainer
from lms.extensions import db
from lms.quizzes import grading
from lms.quizzes.bank_export import quiz_settings
from lms.quizzes.bank_entries import read_quiz_entry
from lms.quizzes import services as quiz_services
from lms.quizzes.models import Attempt, Question, Quiz
from tests.quiz_helpers import form_data, right_answers

CATEGORY = "khung-phap-ly"  # the one module (and category) of make.quiz_course


@pytest.fixture
def bank(app, make, login, tmp_path):
    """A course with a module quiz drawing every question of its category, and its trainer signed in (in
    English, so the tests can read the messages)."""
    course = make.quiz_course(tmp_path)
    trainer = make.trainer()
    db.session.add(CourseTrainer(course_id=course.id, user_id=trainer.id))
    db.session.commit()
    client = app.test_client()
    login(client, trainer)
    client.post("/language", data={"lang": "en"})
    return course, trainer, client


def url(course, rest: str = "") -> str:
    return f"/author/courses/{course.slug}/questions{rest}"


def common(**overrides) -> dict:
    fields = {"category": CATEGORY, "tags": "luat-2022, thu-nghiem", "points": "1",
              "prompt": "Câu hỏi **mới** về Luật Thi đua, khen thưởng?",
              "explanation": "Giải thích theo Điều 94.", "source": "Luật Thi đua, khen thưởng 2022, Điều 94",
              "action": "save"}
    fields.update(overrides)
    return fields


def rows(name: str, texts: list[str], column: str = "text") -> dict:
    return {f"{name}-{n}-{column}": text for n, text in enumerate(texts)}


def question_count(course) -> int:
    return db.session.scalar(select(func.count(Question.id)).where(Question.course_id == course.id))


def newest_question(course) -> Question:
    db.session.expire_all()
    return db.session.scalar(select(Question).where(Question.course_id == course.id)
                             .order_by(Question.id.desc()).limit(1))


def create(client, course, qtype: str, fields: dict) -> Question:
    before = question_count(course)
    response = client.post(url(course, f"/new?qtype={qtype}"), data=common(**fields))
    assert response.status_code == 302, re.findall(r'<li>(.*?)</li>', response.get_data(as_text=True))
    assert question_count(course) == before + 1
    question = newest_question(course)
    assert response.location.endswith(f"/questions/{question.id}/preview")
    return question


def edit(client, course, question: Question, fields: dict):
    page = client.get(url(course, f"/{question.id}/edit")).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="([^"]*)"', page).group(1)
    return client.post(url(course, f"/{question.id}/edit"), data=common(version=version, **fields))


def attempt_answering(course, trainee_enrolment, question: Question, answer) -> tuple[Attempt, float]:
    """A real attempt at the module quiz: `answer(snapshot)` answers the question under test, every other
    question is answered right. Returns the graded attempt and the fraction the question earned."""
    quiz = quiz_services.find_quiz(course, CATEGORY)
    attempt = quiz_services.start_attempt(trainee_enrolment, quiz)
    # Plain data only: a slot object held here would be the stale one the grading reads back (same session).
    position, snapshot = next((a.position, a.snapshot) for a in attempt.answers if a.question_id == question.id)
    responses = right_answers(attempt)
    responses[position] = answer(snapshot)
    quiz_services.submit_attempt(attempt, 1, form_data(attempt, 1, responses))
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    return attempt, next(a for a in attempt.answers if a.question_id == question.id).fraction


def by_text(snapshot: dict, key: str, text: str) -> str:
    return next(o["id"] for o in snapshot[key] if o["text"] == text)


# Each type: the fields written, a right answer a person gives to what they wrote, the edited fields, and
# the right answer to the edited question (which the original answer no longer earns).
CASES = {
    grading.SINGLE: (
        {**rows("options", ["01/01/2024", "15/6/2022", "", "01/7/2025"]), "correct_option": "0", "shuffle": "y"},
        lambda s: by_text(s, "options", "01/01/2024"),
        {**rows("options", ["01/01/2024", "15/6/2022", "", "01/7/2025"]), "correct_option": "3", "shuffle": "y"},
        lambda s: by_text(s, "options", "01/7/2025")),
    grading.MULTIPLE: (
        {**rows("options", ["Huân chương", "Bằng khen", "Chiến sĩ thi đua cơ sở"]), "options-0-correct": "y",
         "options-1-correct": "y", "options-2-feedback": "Đây là danh hiệu thi đua.", "scoring": "all-or-nothing",
         "shuffle": "y"},
        lambda s: sorted([by_text(s, "options", "Huân chương"), by_text(s, "options", "Bằng khen")]),
        {**rows("options", ["Huân chương", "Bằng khen", "Chiến sĩ thi đua cơ sở", "Giấy khen"]),
         "options-0-correct": "y", "options-1-correct": "y", "options-3-correct": "y",
         "scoring": "all-or-nothing", "shuffle": "y"},
        lambda s: sorted(by_text(s, "options", t) for t in ("Huân chương", "Bằng khen", "Giấy khen"))),
    grading.TRUE_FALSE: ({"tf_answer": "false"}, lambda s: "false", {"tf_answer": "true"}, lambda s: "true"),
    grading.SHORT_ANSWER: (
        {"accepted": "Thủ tướng Chính phủ\r\nThủ tướng\r\n"}, lambda s: "  thủ TƯỚNG ",
        {"accepted": "Chủ tịch nước"}, lambda s: "chủ tịch nước"),
    grading.NUMERIC: (
        {"numeric_answer": "4,5", "tolerance": "0.5"}, lambda s: "4.9",
        {"numeric_answer": "", "tolerance": "", "range_low": "10", "range_high": "12"}, lambda s: "11,5"),
    grading.MATCHING: (
        {**rows("pairs", ["Khen thưởng theo niên hạn", "Khen thưởng đối ngoại"], "left"),
         **rows("pairs", ["Quân đội nhân dân", "Người nước ngoài"], "right"), "distractors": "Học sinh",
         "scoring": "partial"},
        lambda s: {left["id"]: by_text(s, "rights", right) for left, right in
                   ((next(x for x in s["lefts"] if x["text"] == "Khen thưởng theo niên hạn"), "Quân đội nhân dân"),
                    (next(x for x in s["lefts"] if x["text"] == "Khen thưởng đối ngoại"), "Người nước ngoài"))},
        {**rows("pairs", ["Khen thưởng theo niên hạn", "Khen thưởng đối ngoại"], "left"),
         **rows("pairs", ["Người nước ngoài", "Quân đội nhân dân"], "right"), "distractors": "",
         "scoring": "partial"},
        lambda s: {left["id"]: by_text(s, "rights", right) for left, right in
                   ((next(x for x in s["lefts"] if x["text"] == "Khen thưởng theo niên hạn"), "Người nước ngoài"),
                    (next(x for x in s["lefts"] if x["text"] == "Khen thưởng đối ngoại"), "Quân đội nhân dân"))}),
    grading.ORDERING: (
        {**rows("order_items", ["Chỉ thị 27/3/1948", "Lời kêu gọi 11/6/1948", "", "Đăng báo 24/6/1948"]),
         "scoring": "all-or-nothing"},
        lambda s: {by_text(s, "items", t): n for n, t in
                   enumerate(["Chỉ thị 27/3/1948", "Lời kêu gọi 11/6/1948", "Đăng báo 24/6/1948"], start=1)},
        {**rows("order_items", ["Lời kêu gọi 11/6/1948", "Chỉ thị 27/3/1948", "Đăng báo 24/6/1948"]),
         "scoring": "all-or-nothing"},
        lambda s: {by_text(s, "items", t): n for n, t in
                   enumerate(["Lời kêu gọi 11/6/1948", "Chỉ thị 27/3/1948", "Đăng báo 24/6/1948"], start=1)}),
}


@pytest.mark.parametrize("qtype", list(CASES))
def test_every_type_is_written_and_edited_in_the_form_then_drawn_and_graded(bank, make, qtype):
    course, _trainer, client = bank
    written, right, edited, right_after = CASES[qtype]
    question = create(client, course, qtype, written)
    assert (question.qtype, question.category, question.origin) == (qtype, CATEGORY, "browser")
    assert question.key == f"{CATEGORY}-1" and question.legal_source.endswith("Điều 94")
    assert question.tags == ["luat-2022", "thu-nghiem"] and "<strong>mới</strong>" in question.prompt_html
    enrolment = course_services.enrol(make.trainee(), course)

    first, fraction = attempt_answering(course, enrolment, question, right)
    assert fraction == 1.0
    # The edit form shows what was written, and saving it changes the answer for attempts from now on.
    page = client.get(url(course, f"/{question.id}/edit")).get_data(as_text=True)
    assert "Luật Thi đua, khen thưởng 2022, Điều 94" in page
    response = edit(client, course, question, edited)
    assert response.status_code == 302
    second, fraction = attempt_answering(course, enrolment, question, right_after)
    assert fraction == 1.0
    third, fraction = attempt_answering(course, enrolment, question, right)
    assert fraction < 1.0
    # The first attempt, graded before the edit, is as it was.
    db.session.expire_all()
    assert next(a for a in db.session.get(Attempt, first.id).answers if a.question_id == question.id).fraction == 1.0


def test_opening_and_saving_a_question_unchanged_changes_nothing(bank, course):
    """Every type, as the bank files wrote it: the editor shows all of it, and saving it as shown keeps it."""
    quiz_course, _trainer, client = bank
    questions = list(db.session.scalars(select(Question).where(Question.course_id == quiz_course.id)))
    assert {q.qtype for q in questions} == set(grading.QUESTION_TYPES)
    for question in questions:
        before = dict(question.spec), question.prompt_markdown, question.legal_source, question.tags
        page = client.get(url(quiz_course, f"/{question.id}/edit")).get_data(as_text=True)
        response = client.post(url(quiz_course, f"/{question.id}/edit"), data=dict(_fields_of(page)))
        assert response.status_code == 302, question.key
        db.session.expire_all()
        question = db.session.get(Question, question.id)
        assert (question.spec, question.prompt_markdown, question.legal_source, question.tags) == before
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "question.edit")) == 0
    # And every shipped question reads back from its bank entry exactly as stored: nothing is lost in the editor.
    shipped = list(db.session.scalars(select(Question).where(Question.course_id == course.id)))
    assert shipped and not [q.key for q in shipped if editor_drops_details(q)]


def _fields_of(page: str) -> list[tuple[str, str]]:
    """What a browser would post for the editor form as the page shows it (the question form only)."""
    form = page[page.index('class="panel question-form"'):]
    form = form[:form.index("</form>")]
    fields = []
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if not name:
            continue
        if kind and kind.group(1) in ("checkbox", "radio") and "checked" not in tag:
            continue
        fields.append((name.group(1), html.unescape(value.group(1)) if value else ""))
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\r?\n?(.*?)</textarea>', form, re.S):
        fields.append((name, html.unescape(text)))
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', body)
        if chosen:
            fields.append((name, html.unescape(chosen.group(1) or chosen.group(2))))
    fields.append(("action", "save"))
    return fields


def test_invalid_questions_are_refused_with_the_bank_files_messages(bank):
    course, _trainer, client = bank
    before = question_count(course)
    cases = [
        ("single", common(**rows("options", ["A", "B"]), correct_option=""), "exactly one option"),
        ("single", common(**rows("options", ["A", "A"]), correct_option="0"), "listed twice"),
        ("multiple", common(**rows("options", ["A", "B"])), "at least one option"),
        ("true-false", common(source="", tf_answer="true"), "The question needs source"),
        ("numeric", common(numeric_answer="bốn"), "needs answer: a number"),
        ("ordering", common(**rows("order_items", ["Một", "Hai"])), "at least three items"),
        ("short-answer", common(accepted="Có", prompt=""), "The question needs prompt"),
    ]
    for qtype, fields, message in cases:
        response = client.post(url(course, f"/new?qtype={qtype}"), data=fields)
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and "Nothing was saved" in page, qtype
        assert message in page, (qtype, message)
    assert question_count(course) == before
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action.like("question.%"))) == 0


def test_an_invalid_edit_changes_nothing(bank):
    course, _trainer, client = bank
    question = create(client, course, "single", {**rows("options", ["A", "B"]), "correct_option": "1"})
    spec, prompt = dict(question.spec), question.prompt_markdown
    response = edit(client, course, question, {**rows("options", ["C", "D"]), "correct_option": "",
                                                "prompt": "Khác"})
    assert response.status_code == 200 and "exactly one option" in response.get_data(as_text=True)
    db.session.expire_all()
    question = db.session.get(Question, question.id)
    assert (question.spec, question.prompt_markdown) == (spec, prompt)


def test_the_preview_shows_the_question_as_a_trainee_sees_it_and_the_answer(bank):
    course, _trainer, client = bank
    question = create(client, course, "single", {**rows("options", ["Đúng luật", "Sai luật", "Chưa rõ"]),
                                                 "options-1-feedback": "Xem lại Điều 94.", "correct_option": "0"})
    page = client.get(url(course, f"/{question.id}/preview")).get_data(as_text=True)
    assert "<strong>mới</strong>" in page
    for text in ("Đúng luật", "Sai luật", "Chưa rõ"):
        assert re.search(rf'<input type="radio" name="q1" value="[0-9a-f]+" *> <span>{text}</span>', page)
    assert "Correct answer" in page and "Xem lại Điều 94." in page
    assert "Giải thích theo Điều 94." in page and "Luật Thi đua, khen thưởng 2022, Điều 94" in page


def test_the_form_previews_an_unsaved_question_without_saving_it(bank):
    course, _trainer, client = bank
    before = question_count(course)
    response = client.post(url(course, "/new?qtype=ordering"),
                           data=common(action="preview", prompt="Sắp xếp *các bước*",
                                       **rows("order_items", ["Bước một", "Bước hai", "Bước ba", "Bước bốn",
                                                              "Bước năm", "Bước sáu"])))
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Preview (not saved yet)" in page
    assert "<em>các bước</em>" in page and 'name="q1-' in page
    assert page.count('name="order_items-') >= 8  # every row filled: two spare rows for more
    assert question_count(course) == before


def test_edits_never_change_recorded_attempts(bank, make, app, login):
    course, _trainer, client = bank
    question = create(client, course, "single", {**rows("options", ["Ngày 01/01/2024", "Ngày 15/6/2022"]),
                                                 "correct_option": "0", "prompt": "Luật có hiệu lực từ ngày nào?"})
    trainee = make.trainee()
    enrolment = course_services.enrol(trainee, course)
    graded, fraction = attempt_answering(course, enrolment, question,
                                         lambda s: by_text(s, "options", "Ngày 01/01/2024"))
    assert fraction == 1.0
    snapshot, score = next(a.snapshot for a in graded.answers if a.question_id == question.id), graded.score_percent
    # An attempt open while the trainer edits.
    quiz = quiz_services.find_quiz(course, CATEGORY)
    open_attempt = quiz_services.start_attempt(enrolment, quiz)

    response = edit(client, course, question, {**rows("options", ["Ngày 01/7/2025", "Ngày 01/01/2024"]),
                                               "correct_option": "0", "prompt": "Câu hỏi đã sửa?"})
    assert response.status_code == 302
    db.session.expire_all()
    graded = db.session.get(Attempt, graded.id)
    slot = next(a for a in graded.answers if a.question_id == question.id)
    assert slot.snapshot == snapshot and slot.fraction == 1.0 and graded.score_percent == score
    trainee_client = app.test_client()
    login(trainee_client, trainee)
    result = trainee_client.get(f"/attempts/{graded.id}/result").get_data(as_text=True)
    assert "Luật có hiệu lực từ ngày nào?" in result and "Câu hỏi đã sửa?" not in result
    assert "Ngày 15/6/2022" in result and "Ngày 01/7/2025" not in result

    # The open attempt keeps the question it drew: its old right answer still earns the marks.
    open_attempt = db.session.get(Attempt, open_attempt.id)
    position, snapshot = next((a.position, a.snapshot) for a in open_attempt.answers if a.question_id == question.id)
    assert "Luật có hiệu lực" in snapshot["prompt_html"]
    responses = right_answers(open_attempt)
    responses[position] = by_text(snapshot, "options", "Ngày 01/01/2024")
    quiz_services.submit_attempt(open_attempt, 1, form_data(open_attempt, 1, responses))
    db.session.expire_all()
    assert next(a for a in db.session.get(Attempt, open_attempt.id).answers
                if a.question_id == question.id).fraction == 1.0


def test_who_may_edit_the_bank(app, make, login, bank):
    course, _trainer, _client = bank
    quiz = quiz_services.find_quiz(course, CATEGORY)
    question = db.session.scalar(select(Question).where(Question.course_id == course.id).limit(1))
    pages = [("get", url(course)), ("get", url(course, "/new?qtype=numeric")), ("post", url(course, "/new")),
             ("get", url(course, f"/{question.id}/edit")), ("post", url(course, f"/{question.id}/edit")),
             ("get", url(course, f"/{question.id}/preview")), ("post", url(course, f"/{question.id}/retire")),
             ("post", url(course, f"/{question.id}/unretire")),
             ("get", f"/author/courses/{course.slug}/quizzes/{quiz.key}/settings"),
             ("post", f"/author/courses/{course.slug}/quizzes/{quiz.key}/settings")]
    for person in (make.trainer(), make.trainee()):  # a trainer of other courses only, and a trainee
        client = app.test_client()
        login(client, person)
        for method, address in pages:
            assert getattr(client, method)(address, data={}).status_code == 404, (person.role, address)
    assert not question.retired
    # The course's own trainer may; a question of another course is not found through this course.
    _course, _trainer, client = bank
    assert client.get(url(course)).status_code == 200
    assert client.get(url(course, f"/{question.id}/preview")).status_code == 200
    other = make.starter_course()
    foreign = db.session.scalar(select(Question).where(Question.course_id == other.id).limit(1))
    assert client.get(url(course, f"/{foreign.id}/edit")).status_code == 404
    assert client.get(f"/author/courses/{other.slug}/questions").status_code == 404


def listed(page: str) -> list[str]:
    return re.findall(r'<tr id="question-(\d+)"', page)


def test_the_bank_lists_filters_and_pages_a_large_course(app, make, login, course):
    admin = make.admin()
    client = app.test_client()
    login(client, admin)
    client.post("/language", data={"lang": "en"})
    total = question_count(course)
    page = client.get(f"/author/courses/{course.slug}/questions").get_data(as_text=True)
    assert f"{total} questions match" in page and "Page 1 of" in page
    assert len(listed(page)) == 40
    second = client.get(f"/author/courses/{course.slug}/questions?page=2").get_data(as_text=True)
    assert len(listed(second)) == min(40, total - 40)
    category = course.active_modules[1].key
    in_category = db.session.scalar(select(func.count(Question.id)).where(
        Question.course_id == course.id, Question.category == category))
    filtered = client.get(f"/author/courses/{course.slug}/questions?category={category}").get_data(as_text=True)
    assert len(listed(filtered)) == in_category
    numeric = client.get(f"/author/courses/{course.slug}/questions?qtype=numeric").get_data(as_text=True)
    assert len(listed(numeric)) == db.session.scalar(select(func.count(Question.id)).where(
        Question.course_id == course.id, Question.qtype == "numeric"))
    # Text search ignores tone marks, like every search in the platform.
    sample = db.session.scalar(select(Question).where(Question.course_id == course.id).limit(1))
    found = client.get(f"/author/courses/{course.slug}/questions", query_string={"q": sample.key})
    assert f'id="question-{sample.id}"' in found.get_data(as_text=True)
    assert listed(client.get(f"/author/courses/{course.slug}/questions",
                             query_string={"q": "thi dua"}).get_data(as_text=True))
    # Retired questions are hidden unless asked for.
    client.post(f"/author/courses/{course.slug}/questions/{sample.id}/retire")
    db.session.expire_all()
    assert db.session.get(Question, sample.id).retired
    hidden = client.get(f"/author/courses/{course.slug}/questions", query_string={"q": sample.key})
    assert f'id="question-{sample.id}"' not in hidden.get_data(as_text=True)
    shown = client.get(f"/author/courses/{course.slug}/questions", query_string={"q": sample.key, "retired": "y"})
    assert f'id="question-{sample.id}"' in shown.get_data(as_text=True)


def test_retiring_and_bringing_back_a_question(bank, make):
    course, _trainer, client = bank
    question = create(client, course, "true-false", {"tf_answer": "true"})
    response = client.post(url(course, f"/{question.id}/retire"))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, question.id).retired
    enrolment = course_services.enrol(make.trainee(), course)
    attempt = quiz_services.start_attempt(enrolment, quiz_services.find_quiz(course, CATEGORY))
    assert question.id not in {a.question_id for a in attempt.answers}
    # Editing a retired question keeps it retired.
    assert edit(client, course, question, {"tf_answer": "false"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Question, question.id).retired
    client.post(url(course, f"/{question.id}/unretire"))
    db.session.expire_all()
    assert not db.session.get(Question, question.id).retired


def test_a_question_a_quiz_needs_cannot_be_retired_or_moved_away(bank):
    course, _trainer, client = bank  # the final exam draws 7 of the 7 questions of the category
    question = db.session.scalar(select(Question).where(Question.course_id == course.id).limit(1))
    response = client.post(url(course, f"/{question.id}/retire"), follow_redirects=True)
    assert "which would then have only 6 active questions" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(Question, question.id).retired
    fields = dict(_fields_of(client.get(url(course, f"/{question.id}/edit")).get_data(as_text=True)))
    response = client.post(url(course, f"/{question.id}/edit"), data={**fields, "category": "final"})
    assert response.status_code == 200 and "only 6 active questions" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Question, question.id).category == CATEGORY


def test_a_save_over_a_newer_save_is_refused(bank, app, make, login):
    course, _trainer, client = bank
    question = create(client, course, "short-answer", {"accepted": "Thủ tướng"})
    page = client.get(url(course, f"/{question.id}/edit")).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="([^"]*)"', page).group(1)
    other = make.trainer(full_name="Trần Văn Bình")
    db.session.add(CourseTrainer(course_id=course.id, user_id=other.id))
    db.session.commit()
    other_client = app.test_client()
    login(other_client, other)
    assert edit(other_client, course, question, {"accepted": "Chủ tịch nước"}).status_code == 302
    response = client.post(url(course, f"/{question.id}/edit"), data=common(version=version, accepted="Thủ tướng CP"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Trần Văn Bình saved this question" in page and "Thủ tướng CP" in page
    db.session.expire_all()
    assert db.session.get(Question, question.id).spec["answers"][0]["text"] == "Chủ tịch nước"


def settings_fields(quiz: Quiz, **overrides) -> dict:
    fields = {"title": quiz.title, "pass_mark": str(quiz.pass_mark), "time_limit_minutes": "",
              "max_attempts": "", "wait_minutes": "0", "grading": "highest", "review": "after-each",
              "draw-0-category": CATEGORY, "draw-0-include": "y", "draw-0-count": ""}
    fields.update(overrides)
    return fields


def test_quiz_settings_are_checked_saved_and_audited(bank, make):
    course, trainer, client = bank
    quiz = quiz_services.find_quiz(course, CATEGORY)
    address = f"/author/courses/{course.slug}/quizzes/{quiz.key}/settings"
    page = client.get(address).get_data(as_text=True)
    assert quiz.title in page and 'name="draw-0-category"' in page
    enrolment = course_services.enrol(make.trainee(), course)
    open_attempt = quiz_services.start_attempt(enrolment, quiz)
    deadline = open_attempt.deadline_at

    # Refused: more questions than the category has, a pass mark out of range. Nothing changes.
    for fields, message in ((settings_fields(quiz, **{"draw-0-count": "8"}), "which has only 7"),
                            (settings_fields(quiz, pass_mark="101"), "pass_mark must be a whole number"),
                            (settings_fields(quiz, **{"draw-0-include": ""}), "draw must list categories")):
        response = client.post(address, data=fields)
        assert response.status_code == 200 and message in response.get_data(as_text=True), message
    db.session.expire_all()
    quiz = db.session.get(Quiz, quiz.id)
    assert [(r.category, r.count) for r in quiz.draw_rules] == [(CATEGORY, None)] and quiz.pass_mark == 70

    response = client.post(address, data=settings_fields(quiz, title="Kiểm tra nhanh", pass_mark="85",
                                                         time_limit_minutes="15", max_attempts="2",
                                                         grading="last", review="never",
                                                         **{"draw-0-count": "5"}))
    assert response.status_code == 302
    db.session.expire_all()
    quiz = db.session.get(Quiz, quiz.id)
    assert (quiz.title, quiz.pass_mark, quiz.time_limit_minutes, quiz.max_attempts) == ("Kiểm tra nhanh", 85, 15, 2)
    assert (quiz.grading.value, quiz.review.value) == ("last", "never")
    assert [(r.category, r.count) for r in quiz.draw_rules] == [(CATEGORY, 5)]
    # The attempt already open keeps its questions and (no) deadline; the next one follows the new rules.
    open_attempt = db.session.get(Attempt, open_attempt.id)
    assert open_attempt.deadline_at == deadline and len(open_attempt.answers) == 7
    quiz_services.submit_attempt(open_attempt, 1, form_data(open_attempt, 1, right_answers(open_attempt)))
    following = quiz_services.start_attempt(enrolment, quiz)
    assert len(following.answers) == 5
    assert following.deadline_at - following.started_at == timedelta(minutes=15)

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "quiz.settings"))
    assert event.actor_id == trainer.id and event.object_id == str(quiz.id)
    assert event.before["pass_mark"] == 70 and event.after["pass_mark"] == 85
    assert event.after["draw"] == [f"{CATEGORY}: 5"] and "wait_minutes" not in event.after
    # Saving the same settings again records nothing.
    client.post(address, data=settings_fields(quiz, title="Kiểm tra nhanh", pass_mark="85", time_limit_minutes="15",
                                              max_attempts="2", grading="last", review="never",
                                              **{"draw-0-count": "5"}))
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "quiz.settings")) == 1


def test_a_draw_rule_without_a_count_draws_every_question(bank):
    """"Empty = all" in the form is a draw rule without count in the files, and the files read it back."""
    course, _trainer, client = bank
    quiz = quiz_services.find_quiz(course, "final-exam")
    address = f"/author/courses/{course.slug}/quizzes/{quiz.key}/settings"
    assert client.post(address, data=settings_fields(quiz, pass_mark="80")).status_code == 302
    db.session.expire_all()
    assert [(r.category, r.count) for r in db.session.get(Quiz, quiz.id).draw_rules] == [(CATEGORY, None)]
    spec, problems = read_quiz_entry(quiz_settings(db.session.get(Quiz, quiz.id)), key=quiz.key,
                                     default_title=quiz.title, module_key=None)
    assert problems == [] and [(r.category, r.count) for r in spec.draw] == [(CATEGORY, None)]


def test_question_changes_are_audited(bank, app, make, login):
    course, trainer, client = bank
    question = create(client, course, "numeric", {"numeric_answer": "1948"})
    edit(client, course, question, {"numeric_answer": "1948", "prompt": "Năm nào?"})
    client.post(url(course, f"/{question.id}/retire"))
    client.post(url(course, f"/{question.id}/unretire"))
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("question.%"))
                                     .order_by(AuditEvent.id)))
    assert [e.action for e in events] == ["question.create", "question.edit", "question.retire",
                                          "question.unretire"]
    assert all(e.actor_id == trainer.id and e.object_id == str(question.id) for e in events)
    assert events[0].after["answer"] == 1948 and events[0].after["source"].endswith("Điều 94")
    assert events[1].before == {"prompt": "Câu hỏi **mới** về Luật Thi đua, khen thưởng?"}
    assert events[1].after == {"prompt": "Năm nào?"}
    assert (events[2].after, events[3].after) == ({"retired": True}, {"retired": False})
    admin_client = app.test_client()
    login(admin_client, make.admin())
    admin_client.post("/language", data={"lang": "en"})
    log = admin_client.get("/admin/audit/").get_data(as_text=True)
    assert "Question changed" in log and "Question written in the browser" in log and "Question text" in log

