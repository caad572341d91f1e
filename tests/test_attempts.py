"""Attempts through the web endpoints, as trainees (and people trying tricks) use them."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.courses import services as course_services
from lms.courses.models import ModuleCompletion
from lms.db import utcnow
from lms.extensions import db
from lms.quizzes import services
from lms.quizzes.models import Attempt, AttemptAnswer, AttemptState, Question
from tests.quiz_helpers import form_data, right_answers, wrong_answers

JSON = {"Accept": "application/json"}


@pytest.fixture
def setup(app, make, login, tmp_path):
    def build(quiz: str = "  pass_mark: 70\n", final: str | None = None):
        course = make.quiz_course(tmp_path, quiz=quiz, final=final)
        trainee = make.trainee()
        enrolment = course_services.enrol(trainee, course)
        client = app.test_client()
        login(client, trainee)
        return course, trainee, enrolment, client
    return build


def start(client, course, key="khung-phap-ly") -> Attempt:
    response = client.post(f"/courses/{course.slug}/quizzes/{key}/start")
    assert response.status_code == 302, response.get_data(as_text=True)
    attempt_id = int(response.location.rsplit("/", 1)[1])
    return db.session.get(Attempt, attempt_id)


def stored_responses(attempt: Attempt) -> dict[int, object]:
    db.session.expire_all()
    return {a.position: a.response for a in db.session.get(Attempt, attempt.id).answers}


def test_an_attempt_draws_every_question_of_the_module_in_a_stored_order(setup):
    course, _trainee, _enrolment, client = setup()
    attempt = start(client, course)
    keys = [a.snapshot["key"] for a in attempt.answers]
    assert sorted(keys) == sorted(db.session.scalars(select(Question.key).where(Question.course_id == course.id)))
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    shown = re.findall(r'id="slot-(\d+)"', page)
    assert shown == [str(n) for n in range(1, len(keys) + 1)]


def test_a_final_exam_draws_n_per_category(setup):
    course, _trainee, _enrolment, client = setup(final="  draw:\n    - category: khung-phap-ly\n      count: 3\n")
    attempt = start(client, course, "final-exam")
    assert len(attempt.answers) == 3
    assert len({a.question_id for a in attempt.answers}) == 3


def test_the_attempt_page_does_not_reveal_answers(setup):
    course, _trainee, _enrolment, client = setup()
    attempt = start(client, course)
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    for answer in attempt.answers:
        snap = answer.snapshot
        assert snap["source"] not in page  # no legal source, explanation or feedback before grading
        for option in snap.get("options", []):
            if option.get("feedback"):
                assert option["feedback"] not in page
    assert "Thủ tướng Chính phủ" not in page  # the accepted short answer
    assert '"weight"' not in page and 'correct"' not in page


def test_saved_answers_survive_a_reload_and_a_resume(setup):
    course, _trainee, _enrolment, client = setup()
    attempt = start(client, course)
    answers = right_answers(attempt)
    first_half = dict(list(answers.items())[:4])
    response = client.post(f"/attempts/{attempt.id}/save", data=form_data(attempt, 1, first_half), headers=JSON)
    assert response.status_code == 200 and response.json["ok"] and response.json["seq"] == 1
    assert {k: v for k, v in stored_responses(attempt).items() if v is not None} == first_half
    # Starting again (a second tab, a reload of the overview) returns the same open attempt.
    assert start(client, course).id == attempt.id
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    page_seq = int(re.search(r'name="seq" id="seq" value="(\d+)"', page).group(1))
    assert page_seq >= 2, "the reloaded page continues above the last accepted save"
    for position, response in first_half.items():
        if isinstance(response, str) and attempt.answers[position - 1].snapshot["type"] in ("single", "true-false"):
            assert re.search(rf'name="q{position}" value="{re.escape(response)}" checked', page)


def test_a_reloaded_page_is_not_refused_because_of_a_save_the_old_page_still_had_in_flight(setup):
    course, _trainee, _enrolment, client = setup()
    attempt = start(client, course)
    right = right_answers(attempt)
    assert client.post(f"/attempts/{attempt.id}/save", data=form_data(attempt, 1, {1: right[1]}),
                       headers=JSON).json["ok"]
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    page_seq = int(re.search(r'name="seq" id="seq" value="(\d+)"', page).group(1))
    # The old page's next save (number 2) arrives after the reload was drawn…
    late = client.post(f"/attempts/{attempt.id}/save", data=form_data(attempt, 2, {2: right[2]}), headers=JSON)
    assert late.json["ok"]
    # …and the new page's first save is still accepted: it counts from above anything the old page sent.
    fresh = client.post(f"/attempts/{attempt.id}/save", data=form_data(attempt, page_seq, {3: right[3]}),
                        headers=JSON)
    assert fresh.status_code == 200 and fresh.json["ok"], fresh.json
    assert all(stored_responses(attempt)[n] == right[n] for n in (1, 2, 3))


def test_a_stale_or_replayed_save_is_refused_and_changes_nothing(setup):
    course, _trainee, _enrolment, client = setup()
    attempt = start(client, course)
    right, wrong = right_answers(attempt), wrong_answers(attempt)
    assert client.post(f"/attempts/{attempt.id}/save", data=form_data(attempt, 5, {1: right[1]}),
                       headers=JSON).status_code == 200
    # An older tab posts with a lower number; the same request replayed has the same number.
    for seq in (4, 5):
        response = client.post(f"/attempts/{attempt.id}/save", data=form_data(attempt, seq, {1: wrong[1]}),
                               headers=JSON)
        assert response.status_code == 409 and response.json["reason"] == "stale"
    assert stored_responses(attempt)[1] == right[1]
    # Without JavaScript the refusal is a message on the page, not an error.
    client.post("/language", data={"lang": "en"})
    response = client.post(f"/attempts/{attempt.id}/save", data=form_data(attempt, 3, {1: wrong[1]}),
                           follow_redirects=True)
    assert "already saved from another window" in response.get_data(as_text=True)
    assert stored_responses(attempt)[1] == right[1]


@pytest.mark.parametrize("tamper", ["unknown option", "question not in attempt", "slot not in attempt",
                                    "bad order number"])
def test_tampered_answers_are_refused_whole(setup, tamper):
    course, _trainee, _enrolment, client = setup()
    attempt = start(client, course)
    answers = right_answers(attempt)
    data = form_data(attempt, 1, answers)
    single = next(a.position for a in attempt.answers if a.snapshot["type"] == "single")
    ordering = next(a for a in attempt.answers if a.snapshot["type"] == "ordering")
    if tamper == "unknown option":
        data.setlist(f"q{single}", ["o1"])  # the bank's id, which the page never shows
    elif tamper == "question not in attempt":
        data.add("q99", "x")
    elif tamper == "slot not in attempt":
        data.add("slot", "99")
    else:
        data.setlist(f"q{ordering.position}-{ordering.snapshot['items'][0]['id']}", ["42"])
    response = client.post(f"/attempts/{attempt.id}/save", data=data, headers=JSON)
    assert response.status_code == 400 and response.json["reason"] == "invalid"
    assert set(stored_responses(attempt).values()) == {None}
    db.session.refresh(attempt)
    assert attempt.last_seq == 0
    # The same forged body as a submit grades nothing either.
    response = client.post(f"/attempts/{attempt.id}/submit", data=data)
    db.session.refresh(attempt)
    assert attempt.state is AttemptState.IN_PROGRESS


def test_someone_elses_attempt_does_not_exist_for_you(setup, app, make, login):
    course, _trainee, _enrolment, client = setup()
    attempt = start(client, course)
    intruder = make.trainee()
    course_services.enrol(intruder, course)
    other = app.test_client()
    login(other, intruder)
    for method, path in (("GET", ""), ("GET", "/result"), ("POST", "/save"), ("POST", "/submit")):
        response = other.open(f"/attempts/{attempt.id}{path}", method=method,
                              data=form_data(attempt, 1, right_answers(attempt)))
        assert response.status_code == 404
    db.session.refresh(attempt)
    assert attempt.state is AttemptState.IN_PROGRESS and attempt.last_seq == 0


def test_submit_grades_once_and_a_second_submit_changes_nothing(setup):
    course, _trainee, enrolment, client = setup()
    attempt = start(client, course)
    response = client.post(f"/attempts/{attempt.id}/submit", data=form_data(attempt, 1, right_answers(attempt)))
    assert response.status_code == 303 and response.location.endswith(f"/attempts/{attempt.id}/result")
    db.session.refresh(attempt)
    assert attempt.state is AttemptState.GRADED and attempt.score_percent == 100.0 and attempt.passed
    graded_at = attempt.graded_at
    # The double click, and the back button with wrong answers: one grade, the first.
    again = client.post(f"/attempts/{attempt.id}/submit", data=form_data(attempt, 2, wrong_answers(attempt)))
    assert again.status_code == 303
    db.session.refresh(attempt)
    assert attempt.score_percent == 100.0 and attempt.graded_at == graded_at
    late_save = client.post(f"/attempts/{attempt.id}/save", data=form_data(attempt, 3, wrong_answers(attempt)),
                            headers=JSON)
    assert late_save.status_code == 409 and late_save.json["reason"] == "closed"
    result = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "100.0%" in result or "100%" in result


def test_passing_a_module_quiz_completes_the_module_but_the_course_needs_the_final_exam(setup):
    course, _trainee, enrolment, client = setup()
    attempt = start(client, course)
    client.post(f"/attempts/{attempt.id}/submit", data=form_data(attempt, 1, right_answers(attempt)))
    assert db.session.scalar(select(func.count(ModuleCompletion.id))
                             .where(ModuleCompletion.enrolment_id == enrolment.id)) == 1
    db.session.refresh(enrolment)
    assert enrolment.completed_at is None  # every module is done, the final exam is not
    final = start(client, course, "final-exam")
    client.post(f"/attempts/{final.id}/submit", data=form_data(final, 1, wrong_answers(final)))
    db.session.refresh(enrolment)
    assert enrolment.completed_at is None
    final = start(client, course, "final-exam")
    client.post(f"/attempts/{final.id}/submit", data=form_data(final, 1, right_answers(final)))
    db.session.refresh(enrolment)
    assert enrolment.completed_at is not None


def test_a_failed_quiz_shows_the_score_and_the_review_policy_decides_the_rest(setup):
    course, _trainee, _enrolment, client = setup(quiz="  pass_mark: 70\n  review: after-pass\n")
    attempt = start(client, course)
    client.post(f"/attempts/{attempt.id}/submit", data=form_data(attempt, 1, wrong_answers(attempt)))
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "0.0%" in page or "0%" in page
    explanation = attempt.answers[0].snapshot["source"]
    assert explanation not in page  # not passed yet: no answers
    second = start(client, course)
    client.post(f"/attempts/{second.id}/submit", data=form_data(second, 1, right_answers(second)))
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert explanation in page  # once passed, even the first attempt's review opens


def test_review_never_shows_only_the_score(setup):
    course, _trainee, _enrolment, client = setup(quiz="  review: never\n")
    attempt = start(client, course)
    client.post(f"/attempts/{attempt.id}/submit", data=form_data(attempt, 1, right_answers(attempt)))
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "100" in page and attempt.answers[0].snapshot["source"] not in page


def test_maximum_attempts_and_the_waiting_time(setup):
    course, _trainee, enrolment, client = setup(quiz="  max_attempts: 2\n  wait_minutes: 30\n")
    first = start(client, course)
    client.post(f"/attempts/{first.id}/submit", data=form_data(first, 1, wrong_answers(first)))
    refused = client.post(f"/courses/{course.slug}/quizzes/khung-phap-ly/start", follow_redirects=True)
    assert db.session.scalar(select(func.count(Attempt.id))) == 1
    assert "thời gian chờ" in refused.get_data(as_text=True).lower()
    # Half an hour later the second and last attempt may start.
    first.submitted_at = utcnow() - timedelta(minutes=31)
    db.session.commit()
    second = start(client, course)
    assert second.number == 2
    client.post(f"/attempts/{second.id}/submit", data=form_data(second, 1, wrong_answers(second)))
    second.submitted_at = utcnow() - timedelta(minutes=31)
    db.session.commit()
    client.post(f"/courses/{course.slug}/quizzes/khung-phap-ly/start")
    assert db.session.scalar(select(func.count(Attempt.id))) == 2


@pytest.mark.parametrize("method, expected", [("highest", 100.0), ("last", 0.0)])
def test_grading_across_attempts(setup, method, expected):
    course, _trainee, enrolment, client = setup(quiz=f"  grading: {method}\n")
    first = start(client, course)
    client.post(f"/attempts/{first.id}/submit", data=form_data(first, 1, right_answers(first)))
    second = start(client, course)
    client.post(f"/attempts/{second.id}/submit", data=form_data(second, 1, wrong_answers(second)))
    quiz = services.find_quiz(course, "khung-phap-ly")
    assert services.quiz_grade(enrolment, quiz).score_percent == expected


def _expire(attempt: Attempt, seconds_ago: int) -> None:
    attempt.started_at = utcnow() - timedelta(minutes=10, seconds=seconds_ago)
    attempt.deadline_at = utcnow() - timedelta(seconds=seconds_ago)
    db.session.commit()


def test_a_save_in_the_grace_period_counts_and_a_late_one_does_not(setup, app):
    course, _trainee, _enrolment, client = setup(quiz="  time_limit_minutes: 10\n")
    attempt = start(client, course)
    right, wrong = right_answers(attempt), wrong_answers(attempt)
    assert attempt.deadline_at is not None
    _expire(attempt, seconds_ago=5)  # past the deadline, within the grace period
    assert client.post(f"/attempts/{attempt.id}/save", data=form_data(attempt, 1, right),
                       headers=JSON).status_code == 200
    _expire(attempt, seconds_ago=app.config["QUIZ_GRACE_SECONDS"] + 5)
    response = client.post(f"/attempts/{attempt.id}/save", data=form_data(attempt, 2, wrong), headers=JSON)
    assert response.status_code == 409 and response.json["reason"] == "late"
    db.session.refresh(attempt)
    assert attempt.state is AttemptState.GRADED and attempt.submitted_by_deadline
    assert attempt.score_percent == 100.0  # graded with what was saved in time, not the late answers


def test_a_late_submit_is_graded_with_the_answers_saved_in_time(setup, app):
    course, _trainee, _enrolment, client = setup(quiz="  time_limit_minutes: 10\n")
    attempt = start(client, course)
    _expire(attempt, seconds_ago=app.config["QUIZ_GRACE_SECONDS"] + 60)
    client.post("/language", data={"lang": "en"})
    response = client.post(f"/attempts/{attempt.id}/submit", data=form_data(attempt, 1, right_answers(attempt)),
                           follow_redirects=True)
    db.session.refresh(attempt)
    assert attempt.state is AttemptState.GRADED and attempt.score_percent == 0.0
    text = response.get_data(as_text=True)
    assert "Time is up" in text


def test_an_abandoned_timed_attempt_is_graded_by_the_sweep(setup, app, runner):
    course, _trainee, _enrolment, client = setup(quiz="  time_limit_minutes: 10\n")
    attempt = start(client, course)
    client.post(f"/attempts/{attempt.id}/save", data=form_data(attempt, 1, right_answers(attempt)), headers=JSON)
    _expire(attempt, seconds_ago=app.config["QUIZ_GRACE_SECONDS"] + 1)
    result = runner.invoke(args=["lms", "close-overdue-attempts"])
    assert result.exit_code == 0 and "graded 1" in result.output
    db.session.refresh(attempt)
    assert attempt.state is AttemptState.GRADED and attempt.score_percent == 100.0
    assert runner.invoke(args=["lms", "close-overdue-attempts"]).output.startswith("graded 0")


def test_another_trainees_visit_grades_an_abandoned_attempt_without_cron(setup, app, make, login):
    course, _trainee, _enrolment, client = setup(quiz="  time_limit_minutes: 10\n")
    attempt = start(client, course)
    _expire(attempt, seconds_ago=app.config["QUIZ_GRACE_SECONDS"] + 1)
    other = app.test_client()
    login(other, make.trainee())
    other.get(f"/courses/{course.slug}/quizzes/khung-phap-ly")
    db.session.refresh(attempt)
    assert attempt.state is AttemptState.GRADED and attempt.submitted_by_deadline


def test_editing_a_question_later_never_changes_a_recorded_attempt(setup):
    course, _trainee, _enrolment, client = setup()
    attempt = start(client, course)
    answers = right_answers(attempt)
    client.post(f"/attempts/{attempt.id}/save", data=form_data(attempt, 1, answers), headers=JSON)
    # A trainer changes the right answer of every question in the bank afterwards.
    for question in db.session.scalars(select(Question)):
        question.spec = {**question.spec, "answers": [{"text": "khác", "weight": 1.0, "feedback": ""}]} \
            if question.qtype == "short-answer" else question.spec
        question.prompt_html = "<p>Đã sửa</p>"
    db.session.commit()
    client.post(f"/attempts/{attempt.id}/submit", data=form_data(attempt, 2, answers))
    db.session.refresh(attempt)
    assert attempt.score_percent == 100.0
    assert "Đã sửa" not in client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)


def test_one_open_attempt_per_trainee_and_quiz_is_a_database_rule(setup):
    from sqlalchemy.exc import IntegrityError

    course, trainee, enrolment, client = setup()
    attempt = start(client, course)
    db.session.add(Attempt(quiz_id=attempt.quiz_id, user_id=trainee.id, enrolment_id=enrolment.id, number=2,
                           state=AttemptState.IN_PROGRESS, max_points=1))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_csrf_stays_valid_through_a_long_exam(app, make, login, tmp_path, monkeypatch):
    """A token from the start of a three-hour exam still saves at the end: it never expires on its own."""
    import time as time_module

    from tests.conftest import _app_for

    course = make.quiz_course(tmp_path)
    trainee = make.trainee()
    course_services.enrol(trainee, course)
    csrf_app = _app_for(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    client = csrf_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": trainee.username, "password": make.PASSWORD, "csrf_token": token})
    overview = client.get(f"/courses/{course.slug}/quizzes/khung-phap-ly").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', overview).group(1)
    started = client.post(f"/courses/{course.slug}/quizzes/khung-phap-ly/start", data={"csrf_token": token})
    attempt = db.session.get(Attempt, int(started.location.rsplit("/", 1)[1]))
    real_time = time_module.time
    monkeypatch.setattr(time_module, "time", lambda: real_time() + 3 * 3600)
    data = form_data(attempt, 1, right_answers(attempt))
    data.add("csrf_token", token)
    assert client.post(f"/attempts/{attempt.id}/save", data=data, headers=JSON).status_code == 200
    data.setlist("csrf_token", ["forged"])
    data.setlist("seq", ["2"])
    forged = client.post(f"/attempts/{attempt.id}/save", data=data, headers=JSON)
    assert forged.status_code == 400 and forged.json["reason"] == "csrf"


def test_answers_are_one_row_per_slot(setup):
    course, _trainee, _enrolment, client = setup()
    attempt = start(client, course)
    for seq in range(1, 4):
        client.post(f"/attempts/{attempt.id}/save", data=form_data(attempt, seq, right_answers(attempt)),
                    headers=JSON)
    assert db.session.scalar(select(func.count(AttemptAnswer.id))
                             .where(AttemptAnswer.attempt_id == attempt.id)) == len(attempt.answers)


def test_the_overview_says_how_many_questions_an_attempt_has(setup):
    course, _trainee, _enrolment, client = setup()  # the module quiz draws its whole category
    page = client.get(f"/courses/{course.slug}/quizzes/khung-phap-ly").get_data(as_text=True)
    assert re.search(r"<dd>7</dd>", page)
