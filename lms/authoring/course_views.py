"""The course hub (/author/courses/<slug>): where a trainer lands to work on a course. Its settings, its
modules in order with their state, links to the question bank and the quiz settings, the export, and
(for admins) who its trainers are."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.accounts.access import admin_required
from lms.accounts.models import User
from lms.authoring import course_services
from lms.authoring.access import course_trainers, editable_course_or_404, editable_module_or_404
from lms.authoring.course_forms import AddTrainerForm, CourseSettingsForm, MoveModuleForm
from lms.authoring.views import authoring_bp
from lms.courses.models import Course, EnrolmentPolicy
from lms.extensions import db
from lms.quizzes import services as quiz_services
from lms.site.forms import ActionForm


def _settings_form(course: Course) -> CourseSettingsForm:
    return CourseSettingsForm(data={
        "title": course.title, "summary": course.summary, "enrolment_policy": course.enrolment_policy.value,
        "certificate_validity_months": course.certificate_validity_months,
        "legal_basis_as_of": course.legal_basis_as_of})


def _hub(course: Course, settings_form: CourseSettingsForm, status: int = 200):
    quizzes = quiz_services.course_quizzes(course)
    trainer_form = None
    if current_user.is_admin:
        trainer_form = AddTrainerForm()
        trainer_form.user_id.choices = [(t.id, f"{t.full_name} ({t.username})")
                                        for t in course_services.trainer_candidates(course)]
    return render_template(
        "authoring/course.html", course=course, settings_form=settings_form,
        statuses=course_services.module_statuses(course), move_form=MoveModuleForm(),
        module_quizzes={q.module_id: q for q in quizzes if q.module_id},
        final_exams=[q for q in quizzes if q.is_final], trainers=course_trainers(course),
        trainer_form=trainer_form, action_form=ActionForm()), status


@authoring_bp.get("/courses/<slug>")
@login_required
def course(slug: str):
    course = editable_course_or_404(slug)
    return _hub(course, _settings_form(course))


@authoring_bp.post("/courses/<slug>/settings")
@login_required
def course_settings(slug: str):
    course = editable_course_or_404(slug)
    form = CourseSettingsForm()
    if not form.validate_on_submit():
        flash(_("The settings were not saved: see what is missing below."), "error")
        return _hub(course, form)
    changed = course_services.update_course_settings(course, course_services.CourseSettings(
        title=form.title.data, summary=form.summary.data or "",
        enrolment_policy=EnrolmentPolicy(form.enrolment_policy.data),
        certificate_validity_months=form.certificate_validity_months.data,
        legal_basis_as_of=form.legal_basis_as_of.data or ""), actor=current_user)
    if changed:
        flash(_("The course settings have been saved."), "success")
    else:
        flash(_("Nothing changed: the settings are as they were."), "info")
    return redirect(url_for("authoring.course", slug=course.slug))


@authoring_bp.post("/courses/<slug>/modules/<key>/move")
@login_required
def move_module(slug: str, key: str):
    course = editable_course_or_404(slug)
    module = editable_module_or_404(course, key)
    form = MoveModuleForm()
    if not form.validate_on_submit():
        flash(_("Choose whether to move the module up or down."), "error")
    elif course_services.move_module(course, module, form.direction.data, actor=current_user):
        flash(_("“%(title)s” moved up.", title=module.title) if form.direction.data == "up"
              else _("“%(title)s” moved down.", title=module.title), "success")
    else:
        flash(_("“%(title)s” is already the first module.", title=module.title) if form.direction.data == "up"
              else _("“%(title)s” is already the last module.", title=module.title), "info")
    return redirect(url_for("authoring.course", slug=course.slug, _anchor="modules"))


@authoring_bp.post("/courses/<slug>/trainers")
@admin_required
def add_trainer(slug: str):
    course = editable_course_or_404(slug)
    form = AddTrainerForm()
    trainer = db.session.get(User, form.user_id.data) if form.validate_on_submit() else None
    if trainer is None:
        flash(_("Choose a trainer to assign."), "error")
    else:
        try:
            course_services.add_trainer(course, trainer, actor=current_user)
        except course_services.CourseChangeRefused as refusal:
            flash(str(refusal.message), "error")
        else:
            flash(_("%(name)s now edits this course and answers its questions.", name=trainer.full_name),
                  "success")
    return redirect(url_for("authoring.course", slug=course.slug, _anchor="trainers"))


@authoring_bp.post("/courses/<slug>/trainers/<int:user_id>/remove")
@admin_required
def remove_trainer(slug: str, user_id: int):
    course = editable_course_or_404(slug)
    trainer = db.session.get(User, user_id)
    if trainer is None or not course_services.is_assigned(course, trainer):
        abort(404)
    if ActionForm().validate_on_submit():
        course_services.remove_trainer(course, trainer, actor=current_user)
        flash(_("%(name)s is no longer a trainer of this course.", name=trainer.full_name), "success")
    return redirect(url_for("authoring.course", slug=course.slug, _anchor="trainers"))
