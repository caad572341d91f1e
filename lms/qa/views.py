"""Questions and answers: ask under a module, read a thread, answer and promote (the course's trainers), and
the trainer's desk of questions waiting for an answer."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.accounts.access import role_required
from lms.accounts.models import Role
from lms.authoring.access import editable_courses
from lms.courses.models import Course, Module
from lms.courses.services import can_view_course
from lms.db import utcnow
from lms.extensions import db, limiter
from lms.qa import models  # noqa: F401 - the tables must be known to the app and to migrations
from lms.qa import services
from lms.qa.forms import VISIBILITY_PUBLIC, AnswerForm, AskForm, FaqForm

qa_bp = Blueprint("qa", __name__, template_folder="templates")


@qa_bp.app_context_processor
def qa_helpers():
    # Functions, so that only the pages that show them pay for the query or the form.
    def qa_unanswered_count() -> int:
        if not current_user or not current_user.is_authenticated or not current_user.is_staff:
            return 0
        return services.unanswered_count(current_user)

    return {"qa_ask_form": AskForm, "qa_unanswered_count": qa_unanswered_count}


def _ask_limit() -> str:
    return current_app.config.get("RATELIMIT_QA_ASK", "20 per hour")


def _ask_key() -> str:
    # Per person: a training hall behind one address can all ask at once; one person cannot flood the desk.
    return f"qa-ask:{current_user.id if current_user.is_authenticated else 'anonymous'}"


def _readable_module_or_404(slug: str, key: str) -> Module:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not can_view_course(current_user, course):
        abort(404)
    module = db.session.scalar(select(Module).where(Module.course_id == course.id, Module.key == key,
                                                    Module.retired.is_(False), Module.is_published.is_(True)))
    if module is None:
        abort(404)
    return module


@qa_bp.post("/courses/<slug>/modules/<key>/questions")
@login_required
@limiter.limit(_ask_limit, key_func=_ask_key)
def ask(slug: str, key: str):
    module = _readable_module_or_404(slug, key)
    if not services.can_ask(current_user, module):
        abort(403)
    form = AskForm()
    if not form.validate_on_submit():
        # Shown again on a page of its own, with what was written kept and what is wrong said.
        return render_template("qa/ask.html", module=module, course=module.course, form=form)
    question = services.ask(current_user, module, form.body.data, public=form.visibility.data == VISIBILITY_PUBLIC)
    flash(_("Your question has been sent to the course's trainers. You will be told when it is answered."),
          "success")
    return redirect(url_for("qa.thread", question_id=question.id))


def _render_thread(question, answer_form: AnswerForm | None = None, status: int = 200):
    trainer = services.is_course_trainer(current_user, question.course)
    return render_template("qa/thread.html", question=question, course=question.course, module=question.module,
                           is_trainer=trainer, show_asker=services.shows_asker(current_user, question),
                           answer_form=answer_form or (AnswerForm() if trainer else None),
                           faq_form=FaqForm() if trainer else None), status


@qa_bp.get("/qa/<int:question_id>")
@login_required
def thread(question_id: int):
    return _render_thread(services.question_or_404(current_user, question_id))


@qa_bp.post("/qa/<int:question_id>/answer")
@login_required
def answer(question_id: int):
    question = services.answerable_question_or_404(current_user, question_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _render_thread(question, form)
    services.answer(current_user, question, form.body.data)
    flash(_("Your answer is published; the person who asked has been told."), "success")
    return redirect(url_for("qa.thread", question_id=question.id))


@qa_bp.post("/qa/<int:question_id>/faq")
@login_required
def promote(question_id: int):
    question = services.answerable_question_or_404(current_user, question_id)
    form = FaqForm()
    if not form.validate_on_submit():
        flash(_("Nothing was changed: choose to add the question to the FAQ or remove it."), "error")
        return redirect(url_for("qa.thread", question_id=question.id))
    in_faq = form.in_faq.data == "1"
    if services.set_faq(current_user, question, in_faq):
        flash(_("The question is now in the module's FAQ, shown to everyone who reads the module, without "
                "the name of the person who asked.") if in_faq
              else _("The question is no longer in the module's FAQ."), "success")
    return redirect(url_for("qa.thread", question_id=question.id))


@qa_bp.get("/teach")
@role_required(Role.TRAINER, Role.ADMIN)
def desk():
    return render_template("qa/desk.html", courses=editable_courses(current_user),
                           unanswered=services.unanswered_for(current_user),
                           unanswered_total=services.unanswered_count(current_user),
                           answered=services.recently_answered_for(current_user), now=utcnow())
