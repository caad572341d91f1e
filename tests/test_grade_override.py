"""An admin corrects a graded attempt's grade with a reason: the answers stay as graded, a raised grade
counts like a pass, and the audit log keeps the old and new grade and why."""
from __future__ import annotations

from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.courses import services as course_services
from lms.extensions import db
from lms.quizzes import services as quiz_services
from lms.quizzes.models import AttemptAnswer
from tests.quiz_helpers import form_data, wrong_answers

REASON = "Câu 3 có hai đáp án đúng sau khi rà soát lại văn bản; Hội đồng chấp nhận khiếu nại."


def failed_module_quiz(make, course):
    trainee = make.trainee()
    enrolment = course_services.enrol(trainee, course)
    module = course.active_modules[0]
    quiz = quiz_services.quiz_for_module(module)
    attempt = quiz_services.start_attempt(enrolment, quiz)
    quiz_services.submit_attempt(attempt, 1, form_data(attempt, 1, wrong_answers(attempt)))
    db.session.refresh(attempt)
    assert attempt.passed is False
    return trainee, enrolment, module, attempt


def test_an_admin_raises_a_failed_grade_to_a_pass_and_the_module_completes(client, make, login, course):
    trainee, enrolment, module, attempt = failed_module_quiz(make, course)
    marks_before = [(a.position, a.fraction, a.points_awarded) for a in attempt.answers]
    admin = make.admin()
    login(client, admin)
    client.post("/language", data={"lang": "en"})
    listed = client.get(f"/admin/reports/people/{trainee.id}/grades").get_data(as_text=True)
    assert attempt.quiz.title in listed and "Change grade" in listed

    response = client.post(f"/admin/reports/people/{trainee.id}/grades/{attempt.id}",
                           data={"score_percent": "85", "reason": REASON})
    assert response.status_code == 302
    db.session.refresh(attempt)
    assert attempt.score_percent == 85 and attempt.passed is True
    assert module.id in course_services.completed_module_ids(enrolment), "a raised grade counts like a pass"
    marks_after = [(a.position, a.fraction, a.points_awarded) for a in db.session.scalars(
        select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id).order_by(AttemptAnswer.position))]
    assert marks_after == marks_before, "the answers stay exactly as they were graded"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attempt.grade_override"))
    assert event.actor_id == admin.id and event.object_id == str(attempt.id)
    assert event.before["passed"] is False and event.after == {**event.after, "score_percent": 85.0,
                                                               "passed": True, "reason": REASON}
    log = client.get("/admin/audit/", query_string={"action": "attempt.grade_override"}).get_data(as_text=True)
    assert "Grade changed" in log


def test_a_grade_override_needs_a_reason_and_a_grade_between_0_and_100(client, make, login, course):
    trainee, _enrolment, _module, attempt = failed_module_quiz(make, course)
    login(client, make.admin())
    before = attempt.score_percent
    for data in ({"score_percent": "85", "reason": ""}, {"score_percent": "120", "reason": REASON},
                 {"score_percent": "-1", "reason": REASON}, {"score_percent": "tám lăm", "reason": REASON}):
        response = client.post(f"/admin/reports/people/{trainee.id}/grades/{attempt.id}", data=data)
        assert response.status_code == 200, data  # the form again, with its error
    db.session.refresh(attempt)
    assert attempt.score_percent == before
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attempt.grade_override")) is None


def test_an_attempt_is_only_reachable_under_its_own_person_and_once_graded(client, make, login, course):
    trainee, enrolment, _module, attempt = failed_module_quiz(make, course)
    someone_else = make.trainee()
    login(client, make.admin())
    assert client.get(f"/admin/reports/people/{someone_else.id}/grades/{attempt.id}").status_code == 404
    open_attempt = quiz_services.start_attempt(enrolment, attempt.quiz)
    assert client.get(f"/admin/reports/people/{trainee.id}/grades/{open_attempt.id}").status_code == 404
