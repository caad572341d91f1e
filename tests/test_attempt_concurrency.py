"""Many saves and submits racing against one attempt, as a weak connection, two tabs and an impatient
double click produce them. Runs on SQLite and (make test-postgres) on PostgreSQL."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from lms.courses import services as course_services
from lms.courses.models import ModuleCompletion
from lms.extensions import db
from lms.quizzes import grading
from lms.quizzes.models import Attempt, AttemptState
from tests.quiz_helpers import form_data, right_answers, wrong_answers

JSON = {"Accept": "application/json"}


def test_parallel_saves_keep_every_acknowledged_answer_and_parallel_submits_grade_once(app, make, login,
                                                                                         tmp_path):
    course = make.quiz_course(tmp_path)
    trainee = make.trainee()
    enrolment = course_services.enrol(trainee, course)
    clients = []
    for _ in range(6):
        client = app.test_client()
        login(client, trainee)
        clients.append(client)
    started = clients[0].post(f"/courses/{course.slug}/quizzes/khung-phap-ly/start")
    attempt = db.session.get(Attempt, int(started.location.rsplit("/", 1)[1]))
    right, wrong = right_answers(attempt), wrong_answers(attempt)
    slots = sorted(right)

    def save(seq: int):
        slot = slots[seq % len(slots)]
        answer = right[slot] if seq % 2 else wrong[slot]
        response = clients[seq % len(clients)].post(
            f"/attempts/{attempt.id}/save", data=form_data(attempt, seq, {slot: answer}), headers=JSON)
        return seq, slot, answer, response.status_code, response.json

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(save, range(1, 61)))
    assert {status for *_rest, status, _body in results} <= {200, 409}
    acknowledged = [(seq, slot, answer) for seq, slot, answer, status, _body in results if status == 200]
    assert acknowledged, "no save went through"
    refused = [body["reason"] for *_rest, status, body in results if status == 409]
    assert set(refused) <= {"stale"}
    db.session.expire_all()
    stored = {a.position: a.response for a in db.session.get(Attempt, attempt.id).answers}
    for slot in slots:
        mine = [(seq, answer) for seq, s, answer in acknowledged if s == slot]
        if mine:
            assert stored[slot] == max(mine)[1], f"slot {slot}: the last acknowledged answer was lost"

    # Six submits at once, each with different answers: one wins, the others see it already submitted.
    submissions = {100 + n: (right if n % 2 else wrong) for n in range(6)}

    def submit(seq: int):
        response = clients[seq % len(clients)].post(f"/attempts/{attempt.id}/submit",
                                                    data=form_data(attempt, seq, submissions[seq]))
        return response.status_code, response.location

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(submit, submissions))
    assert all(status in (303, 302) for status, _location in outcomes), outcomes
    db.session.expire_all()
    graded = db.session.get(Attempt, attempt.id)
    assert graded.state is AttemptState.GRADED
    # The grade is exactly the grade of the answers stored: no second grading overwrote it halfway.
    regraded = sum(grading.grade_slot(a.snapshot, a.response).points for a in graded.answers)
    assert graded.score_points == round(regraded, 4)
    assert {a.response.__repr__() for a in graded.answers} in (
        {repr(v) for v in right.values()}, {repr(v) for v in wrong.values()})
    completions = db.session.scalar(select(func.count(ModuleCompletion.id))
                                    .where(ModuleCompletion.enrolment_id == enrolment.id))
    assert completions == (1 if graded.passed else 0)
