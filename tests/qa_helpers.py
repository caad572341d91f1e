"""Builders for the Q&A tests: a course with its trainer, trainees enrolled, questions asked in the browser."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lms.courses import services as course_services
from lms.courses.models import Course, CourseTrainer
from lms.db import utcnow
from lms.extensions import db
from lms.qa.models import ModuleQuestion


def assign_trainer(course: Course, trainer) -> None:
    db.session.add(CourseTrainer(course_id=course.id, user_id=trainer.id))
    db.session.commit()


def enrolled(make, course: Course, **kwargs):
    trainee = make.trainee(**kwargs)
    course_services.enrol(trainee, course)
    return trainee


def signed_in(app, login, user, lang: str | None = "en"):
    client = app.test_client()
    login(client, user)
    if lang:
        client.post("/language", data={"lang": lang})
    return client


def module_url(course: Course, module=None) -> str:
    module = module or course.active_modules[0]
    return f"/courses/{course.slug}/modules/{module.key}"


def ask(client, course: Course, body: str, visibility: str = "private", module=None):
    return client.post(module_url(course, module) + "/questions", data={"body": body, "visibility": visibility})


def asked(client, course: Course, body: str, visibility: str = "private", *, days_ago: int = 0,
          module=None) -> ModuleQuestion:
    """Ask through the form; the question, made `days_ago` old."""
    response = ask(client, course, body, visibility, module)
    assert response.status_code == 302, response.get_data(as_text=True)
    question = db.session.scalar(select(ModuleQuestion).order_by(ModuleQuestion.id.desc()).limit(1))
    assert question.body_markdown == body
    if days_ago:
        question.created_at = utcnow() - timedelta(days=days_ago)
        db.session.commit()
    return question


def answer(client, question: ModuleQuestion, body: str):
    return client.post(f"/qa/{question.id}/answer", data={"body": body})
