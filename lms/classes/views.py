"""Training classes: the admin's class pages and the trainer's attendance sheet.

Admins see and change every class; a trainer sees the classes they train (another class does not exist
for them: 404) and marks their attendance; trainees have no business here (403). The roster, enrolment,
certificate and report pages are in lms/classes/roster_views.py and report_views.py.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, func, select

from lms.accounts.access import admin_required, role_required
from lms.accounts.models import Role, User
from lms.accounts.services import units_in_tree_order
from lms.classes import models  # noqa: F401 - the tables must be known to the app and to migrations
from lms.classes import services
from lms.classes.forms import AttendanceForm, ClassForm, EnrolClassForm, SessionForm
from lms.classes.models import Attendance, ClassParticipant, ClassSession, TrainingClass
from lms.classes.results import class_results, name_order
from lms.courses.models import Course
from lms.extensions import db
from lms.site.forms import ActionForm

classes_bp = Blueprint("classes", __name__, template_folder="templates", url_prefix="/admin/classes")
staff_required = role_required(Role.TRAINER, Role.ADMIN)


@classes_bp.app_template_filter("clock")
def clock_filter(value) -> str:
    """A time of day on the province's clock."""
    return format_datetime(value, "HH:mm") if value else ""


def load_class(class_id: int) -> TrainingClass:
    training_class = db.session.get(TrainingClass, class_id)
    if training_class is None or not services.can_see_class(current_user, training_class):
        abort(404)
    return training_class


def load_session(training_class: TrainingClass, session_id: int) -> ClassSession:
    session = db.session.get(ClassSession, session_id)
    if session is None or session.class_id != training_class.id:
        abort(404)
    return session


def _fill_choices(form: ClassForm, training_class: TrainingClass | None = None) -> None:
    form.org_unit_id.choices = [("", _("— none —"))] + [
        (unit.id, "\u2003" * depth + unit.name) for unit, depth in units_in_tree_order()]
    form.courses.choices = [(c.id, f"{c.title} ({c.language})")
                            for c in db.session.scalars(select(Course).order_by(Course.title))]
    trainers = services.trainer_candidates()
    for current in (training_class.trainers if training_class else []):
        if current not in trainers:
            trainers.append(current)
    form.trainers.choices = [(t.id, f"{t.full_name} ({t.username})") for t in trainers]


def _details(form: ClassForm) -> services.ClassDetails:
    return services.ClassDetails(
        name=form.name.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
        location=form.location.data or "", notes=form.notes.data or "", org_unit_id=form.org_unit_id.data,
        course_ids=form.courses.data or [], trainer_ids=form.trainers.data or [])


# --- the list, creating and editing ----------------------------------------------------------------------------

@classes_bp.get("/")
@staff_required
def index():
    return render_template("classes/list.html", summaries=services.class_summaries(current_user))


@classes_bp.route("/new", methods=["GET", "POST"])
@admin_required
def create():
    form = ClassForm()
    _fill_choices(form)
    if form.validate_on_submit():
        try:
            training_class = services.create_class(_details(form), actor=current_user)
        except services.ClassError as error:
            getattr(form, error.field or "name").errors.append(str(error.message))
        else:
            flash(_("Class “%(name)s” created. Add its sessions and participants.", name=training_class.name),
                  "success")
            return redirect(url_for(".detail", class_id=training_class.id))
    return render_template("classes/form.html", form=form, training_class=None)


@classes_bp.route("/<int:class_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(class_id: int):
    training_class = load_class(class_id)
    form = ClassForm(obj=training_class) if request.method == "GET" else ClassForm()
    _fill_choices(form, training_class)
    if request.method == "GET":
        form.courses.data = [c.id for c in training_class.courses]
        form.trainers.data = [t.id for t in training_class.trainers]
    if form.validate_on_submit():
        try:
            services.update_class(training_class, _details(form), actor=current_user)
        except services.ClassError as error:
            getattr(form, error.field or "name").errors.append(str(error.message))
        else:
            flash(_("The class has been saved."), "success")
            return redirect(url_for(".detail", class_id=training_class.id))
    return render_template("classes/form.html", form=form, training_class=training_class)


# --- the class page ------------------------------------------------------------------------------------------

def _session_counts(training_class: TrainingClass) -> dict[int, tuple[int, int]]:
    """session id → (present, marked), in one GROUP BY."""
    rows = db.session.execute(
        select(Attendance.session_id, func.count(Attendance.id),
               func.sum(case((Attendance.present.is_(True), 1), else_=0)))
        .join(ClassSession, Attendance.session_id == ClassSession.id)
        .where(ClassSession.class_id == training_class.id).group_by(Attendance.session_id))
    return {session_id: (int(present or 0), marked) for session_id, marked, present in rows}


@classes_bp.get("/<int:class_id>")
@staff_required
def detail(class_id: int):
    training_class = load_class(class_id)
    return render_template(
        "classes/detail.html", c=training_class, results=class_results(training_class),
        session_counts=_session_counts(training_class), session_form=SessionForm(formdata=None),
        enrol_form=EnrolClassForm(formdata=None), action_form=ActionForm(),
        certificate_count=len(services.class_certificates(training_class)) if current_user.is_admin else 0)


# --- sessions ------------------------------------------------------------------------------------------------------

@classes_bp.post("/<int:class_id>/sessions")
@admin_required
def add_session(class_id: int):
    training_class = load_class(class_id)
    form = SessionForm()
    if form.validate_on_submit():
        try:
            services.add_session(training_class, title=form.title.data or "", day=form.day.data,
                                 starts=form.starts_at.data, ends=form.ends_at.data, actor=current_user)
        except services.ClassError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Session added."), "success")
    else:
        for errors in form.errors.values():
            flash(" ".join(str(e) for e in errors), "error")
    return redirect(url_for(".detail", class_id=training_class.id, _anchor="sessions"))


@classes_bp.post("/<int:class_id>/sessions/<int:session_id>/remove")
@admin_required
def remove_session(class_id: int, session_id: int):
    training_class = load_class(class_id)
    session = load_session(training_class, session_id)
    if ActionForm().validate_on_submit():
        try:
            services.remove_session(session, actor=current_user)
        except services.ClassError as error:
            flash(str(error.message), "error")
        else:
            flash(_("Session removed."), "success")
    return redirect(url_for(".detail", class_id=training_class.id, _anchor="sessions"))


# --- attendance ----------------------------------------------------------------------------------------------------

def _roster(training_class: TrainingClass) -> list[tuple[ClassParticipant, User, str]]:
    from lms.accounts.models import OrgUnit

    roster = db.session.execute(
        select(ClassParticipant, User, OrgUnit.name).join(User, ClassParticipant.user_id == User.id)
        .outerjoin(OrgUnit, User.org_unit_id == OrgUnit.id)
        .where(ClassParticipant.class_id == training_class.id)).all()
    return sorted(roster, key=lambda found: (name_order(found[1].full_name), found[1].username))


@classes_bp.route("/<int:class_id>/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
@staff_required
def attendance(class_id: int, session_id: int):
    training_class = load_class(class_id)
    session = load_session(training_class, session_id)
    roster = _roster(training_class)
    form = AttendanceForm()
    form.present.choices = [(participant.id, user.full_name) for participant, user, _unit in roster]
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                shown = {int(value) for value in form.shown.data.split(",") if value.strip()}
            except ValueError:
                shown = set()
            present = shown if "everyone" in request.form else set(form.present.data or [])
            try:
                report = services.mark_attendance(session, shown=shown, present=present, actor=current_user)
            except services.ClassError as error:
                flash(str(error.message), "error")
                return redirect(url_for(".attendance", class_id=class_id, session_id=session_id))
            flash(_("Attendance saved: %(present)d present, %(absent)d absent.", present=report.present,
                    absent=report.absent), "success")
            return redirect(url_for(".detail", class_id=class_id, _anchor=f"session-{session.id}"))
        flash(_("This sheet does not match the class's roster. Reload it and mark again."), "error")
        return redirect(url_for(".attendance", class_id=class_id, session_id=session_id))
    marks = services.attendance_of(session)
    form.shown.data = ",".join(str(participant.id) for participant, _user, _unit in roster)
    return render_template("classes/attendance.html", c=training_class, session=session, roster=roster,
                           marks=marks, form=form)


from lms.classes import report_views, roster_views  # noqa: E402,F401 - their routes join classes_bp
