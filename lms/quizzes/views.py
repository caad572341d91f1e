from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.courses import services as course_services
from lms.certificates.services import current_certificate
from lms.courses.models import Course, Enrolment
from lms.db import utcnow
from lms.extensions import db
from lms.quizzes import banks, grading, services
from lms.quizzes.forms import AttemptForm
from lms.quizzes.models import Attempt
from lms.site.errors import wants_json
from lms.site.forms import ActionForm

quizzes_bp = Blueprint("quizzes", __name__, template_folder="templates")

REFUSAL_MESSAGES = {
    "stale": lambda: _("These answers were already saved from another window or device, so this older page "
                       "was not saved. Reload the page to continue with the latest answers."),
    "closed": lambda: _("This attempt has already been submitted."),
    "late": lambda: _("Time is up. The answers saved before the deadline have been graded."),
}


def _quiz_or_404(slug: str, key: str):
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not course_services.can_view_course(current_user, course):
        abort(404)
    quiz = services.find_quiz(course, key)
    if quiz is None:
        abort(404)
    return course, quiz


def _own_attempt_or_404(attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    # Someone else's attempt does not exist as far as this user can tell.
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


@quizzes_bp.get("/courses/<slug>/quizzes/<key>")
@login_required
def overview(slug: str, key: str):
    course, quiz = _quiz_or_404(slug, key)
    # Attempts abandoned past their deadline get graded even without cron: a few on each visit here.
    services.close_overdue_attempts(limit=20)
    enrolment = course_services.find_enrolment(current_user, course)
    if enrolment is None and not current_user.is_staff:
        flash(_("Enrol in the course to take its quizzes."), "info")
        return redirect(url_for("courses.course", slug=slug))
    status = services.quiz_status(enrolment, quiz) if enrolment else None
    question_count = banks.questions_per_attempt(quiz)
    return render_template("quizzes/overview.html", course=course, quiz=quiz, status=status,
                           enrolment=enrolment, question_count=question_count, action_form=ActionForm())


@quizzes_bp.post("/courses/<slug>/quizzes/<key>/start")
@login_required
def start(slug: str, key: str):
    course, quiz = _quiz_or_404(slug, key)
    enrolment = course_services.find_enrolment(current_user, course)
    if enrolment is None:
        abort(403)
    try:
        attempt = services.start_attempt(enrolment, quiz)
    except services.AttemptRefused as refused:
        flash(str(refused.message), "error")
        return redirect(url_for("quizzes.overview", slug=slug, key=key))
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))


@quizzes_bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int):
    attempt = _own_attempt_or_404(attempt_id)
    services.close_if_overdue(attempt)
    if not attempt.is_open:
        return redirect(url_for("quizzes.result", attempt_id=attempt.id))
    form = AttemptForm()
    form.seq.data = services.first_seq_for_page(attempt)
    return render_template(
        "quizzes/attempt.html", attempt=attempt, quiz=attempt.quiz, course=attempt.quiz.course, form=form,
        slots=[(a.position, grading.public_view(a.snapshot), a.response) for a in attempt.answers],
        seconds_left=services.seconds_left(attempt), answered=services.answered_count(attempt))


def _envelope_or_400() -> tuple[AttemptForm, int]:
    form = AttemptForm()
    if not form.validate_on_submit():
        abort(400)
    return form, form.seq.data


def _refused(attempt: Attempt, reason: str, status: int = 409):
    message = REFUSAL_MESSAGES[reason]()
    if wants_json():
        return jsonify(ok=False, reason=reason, message=message,
                       redirect=url_for("quizzes.result", attempt_id=attempt.id)
                       if reason != "stale" else url_for("quizzes.attempt", attempt_id=attempt.id)), status
    flash(message, "error" if reason == "stale" else "info")
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id), code=303)


def _invalid(attempt: Attempt):
    message = _("The answers sent do not match the questions of this attempt, so nothing was saved. Reload "
                "the page and answer again.")
    if wants_json():
        return jsonify(ok=False, reason="invalid", message=message), 400
    flash(message, "error")
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id), code=303)


@quizzes_bp.post("/attempts/<int:attempt_id>/save")
@login_required
def save(attempt_id: int):
    attempt = _own_attempt_or_404(attempt_id)
    _form, seq = _envelope_or_400()
    try:
        services.save_answers(attempt, seq, request.form)
    except services.InvalidAnswer:
        return _invalid(attempt)
    except services.SaveRefused as refused:
        return _refused(attempt, refused.reason)
    if wants_json():
        return jsonify(ok=True, seq=attempt.last_seq, saved_at=attempt.last_saved_at.isoformat(),
                       seconds_left=services.seconds_left(attempt))
    flash(_("Your answers are saved."), "success")
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id), code=303)


@quizzes_bp.post("/attempts/<int:attempt_id>/submit")
@login_required
def submit(attempt_id: int):
    attempt = _own_attempt_or_404(attempt_id)
    _form, seq = _envelope_or_400()
    try:
        outcome = services.submit_attempt(attempt, seq, request.form)
    except services.InvalidAnswer:
        return _invalid(attempt)
    except services.SaveRefused as refused:
        return _refused(attempt, refused.reason)
    if outcome.already_submitted:
        flash(REFUSAL_MESSAGES["closed"](), "info")
    elif outcome.late:
        flash(REFUSAL_MESSAGES["late"](), "info")
    return redirect(url_for("quizzes.result", attempt_id=attempt.id), code=303)


@quizzes_bp.get("/attempts/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    attempt = _own_attempt_or_404(attempt_id)
    services.close_if_overdue(attempt)
    if attempt.is_open:
        return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))
    quiz = attempt.quiz
    enrolment = db.session.get(Enrolment, attempt.enrolment_id)
    status = services.quiz_status(enrolment, quiz, utcnow())
    certificate = current_certificate(enrolment.id) if enrolment.completed_at else None
    return render_template("quizzes/result.html", attempt=attempt, quiz=quiz, course=quiz.course,
                           status=status, review=services.review_allowed(attempt), enrolment=enrolment,
                           certificate=certificate,
                           number=grading.format_number, action_form=ActionForm())
