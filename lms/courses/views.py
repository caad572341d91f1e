from __future__ import annotations

import re

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale, gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.authoring.access import can_edit_course
from lms.certificates.services import current_certificate
from lms.courses import services
from lms.courses.assignments import is_overdue, local_today
from lms.courses.models import Course, EnrolmentPolicy, Module
from lms.courses.rendering import COURSE_FILE_TYPES
from lms.extensions import db
from lms.storage import StoredFileMissing
from lms.qa import services as qa_services
from lms.quizzes import services as quiz_services
from lms.site.forms import ActionForm

courses_bp = Blueprint("courses", __name__, template_folder="templates")


def _visible_course_or_404(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    # An assigned course the person is not enrolled in is "not found": its existence is nobody's business.
    if course is None or not services.can_view_course(current_user, course):
        abort(404)
    return course


def _module_of_course_or_404(course: Course, key: str) -> Module:
    module = db.session.scalar(select(Module).where(Module.course_id == course.id, Module.key == key,
                                                    Module.retired.is_(False), Module.is_published.is_(True)))
    if module is None:
        abort(404)
    return module


@courses_bp.get("/dashboard")
@login_required
def dashboard():
    enrolments = services.dashboard_enrolments(current_user)
    enrolled_ids = {enrolment.course_id for enrolment, _progress in enrolments}
    # A course is offered once, in the person's language, and not at all when they study another edition.
    open_courses = [course for course, others in services.one_edition_each(
                        services.visible_courses(current_user), str(get_locale()), enrolled_ids)
                    if course.enrolment_policy is EnrolmentPolicy.OPEN
                    and not {course.id, *(o.id for o in others)} & enrolled_ids]
    today = local_today()
    return render_template("courses/dashboard.html", enrolments=enrolments, open_courses=open_courses,
                           overdue={e.id for e, _progress in enrolments if is_overdue(e, today)},
                           action_form=ActionForm())


@courses_bp.get("/courses")
@login_required
def catalogue():
    enrolled = services.enrolled_course_ids(current_user)
    return render_template("courses/catalogue.html", enrolled=enrolled, action_form=ActionForm(),
                           courses=services.one_edition_each(services.visible_courses(current_user),
                                                             str(get_locale()), enrolled))


@courses_bp.get("/courses/<slug>")
@login_required
def course(slug: str):
    course = _visible_course_or_404(slug)
    enrolment = services.find_enrolment(current_user, course)
    progress = services.progress_for([enrolment])[enrolment.id] if enrolment else None
    done = services.completed_module_ids(enrolment)
    next_module = next((m for m in course.active_modules if m.id not in done), None)
    quizzes = quiz_services.course_quizzes(course)
    final_exam = next((q for q in quizzes if q.is_final), None)
    certificate = current_certificate(enrolment.id) if enrolment and enrolment.completed_at else None
    return render_template("courses/course.html", course=course, enrolment=enrolment, progress=progress,
                           overdue=bool(enrolment and is_overdue(enrolment)),
                           other_editions=services.other_editions(current_user, course),
                           certificate=certificate, can_edit=can_edit_course(current_user, course),
                           done=done, next_module=next_module, action_form=ActionForm(),
                           can_read=services.can_read_modules(current_user, course),
                           module_quizzes={q.module_id: q for q in quizzes if q.module_id},
                           final_exam=final_exam,
                           final_status=quiz_services.quiz_status(enrolment, final_exam)
                           if final_exam and enrolment else None)


@courses_bp.post("/courses/<slug>/enrol")
@login_required
def enrol(slug: str):
    course = _visible_course_or_404(slug)
    try:
        services.enrol(current_user, course)
    except services.EnrolmentRefused:
        abort(403)
    flash(_("You are enrolled in %(title)s.", title=course.title), "success")
    first = course.active_modules[0] if course.active_modules else None
    if first is None:
        return redirect(url_for("courses.course", slug=slug))
    return redirect(url_for("courses.module", slug=slug, key=first.key))


@courses_bp.get("/courses/<slug>/modules/<key>")
@login_required
def module(slug: str, key: str):
    # Every trainee reads this page on every click, so it asks each question of the database once: the
    # enrolment and the module list are looked up here and handed to the checks and the sections below.
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    enrolment = services.find_enrolment(current_user, course) if course is not None else None
    if course is None or not services.can_view_course(current_user, course, enrolment):
        abort(404)
    module = next((m for m in course.active_modules if m.key == key), None)
    if module is None:
        abort(404)
    if not services.can_read_modules(current_user, course, enrolment):
        flash(_("Enrol in the course to read its modules."), "info")
        return redirect(url_for("courses.course", slug=slug))
    revision = services.published_revision(module)
    if revision is None:
        abort(404)
    previous_module, next_module = services.neighbours(course, module)
    quiz = quiz_services.quiz_for_module(module)
    return render_template("courses/module.html", course=course, module=module, revision=revision,
                           enrolment=enrolment, is_done=module.id in services.completed_module_ids(enrolment),
                           previous_module=previous_module, next_module=next_module,
                           quiz=quiz, quiz_status=quiz_services.quiz_status(enrolment, quiz)
                           if quiz and enrolment else None, action_form=ActionForm(),
                           qa=qa_services.module_section(current_user, module, enrolment),
                           can_edit=can_edit_course(current_user, course))


DIGEST_RE = re.compile(r"^[0-9a-f]{32}$")


@courses_bp.get("/courses/<slug>/export.zip")
@login_required
def export_zip(slug: str):
    """The course in the content/ format, to review, version or import on another platform: for those who
    edit it (a course someone may not edit is "not found" for them, as on the authoring pages)."""
    from lms.courses.export import course_zip

    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not can_edit_course(current_user, course):
        abort(404)
    return Response(course_zip(course), content_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{course.slug}.zip"'})


@courses_bp.get("/courses/<slug>/files/<digest>/<name>")
@login_required
def course_file(slug: str, digest: str, name: str):
    """An image or PDF a module shows, to those who may read the course's modules."""
    course = _visible_course_or_404(slug)
    if not services.can_read_modules(current_user, course):
        abort(404)
    content_type = COURSE_FILE_TYPES.get("." + name.rsplit(".", 1)[-1].lower()) if "." in name else None
    if not DIGEST_RE.fullmatch(digest) or content_type is None:
        abort(404)
    try:
        data = services.load_course_file(digest)
    except StoredFileMissing:
        abort(404)
    response = Response(data, content_type=content_type)
    # The address names the bytes (a digest), so they never change: cache them for good, privately.
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    response.headers["Content-Disposition"] = "inline"
    return response


@courses_bp.post("/courses/<slug>/modules/<key>/complete")
@login_required
def complete(slug: str, key: str):
    course = _visible_course_or_404(slug)
    module = _module_of_course_or_404(course, key)
    enrolment = services.find_enrolment(current_user, course)
    if enrolment is None:
        abort(403)
    progress = services.complete_module(enrolment, module)
    if progress.complete:
        if enrolment.completed_at is None:
            flash(_("You have completed every module. Pass the final exam to complete the course."), "success")
        else:
            flash(_("You have completed every module of %(title)s.", title=course.title), "success")
        return redirect(url_for("courses.course", slug=slug))
    flash(_("Module marked as complete (%(done)d of %(total)d).", done=progress.done, total=progress.total),
          "success")
    _previous, following = services.neighbours(course, module)
    if following is not None:
        return redirect(url_for("courses.module", slug=slug, key=following.key))
    return redirect(url_for("courses.course", slug=slug))
