"""The admin's enrolment pages on reports_bp: assign a course to people or units with a due date (choose,
preview, confirm), and each course's enrolment list (filter, change due dates, withdraw assignments)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.accounts.access import admin_required
from lms.accounts.models import User
from lms.accounts.services import units_in_tree_order
from lms.courses import assignments
from lms.courses.models import Course
from lms.courses.services import progress_for
from lms.extensions import db
from lms.reports.enrolment_forms import AssignChoiceForm, AssignForm, EnrolmentActionForm, EnrolmentFilterForm
from lms.reports.enrolments import (EnrolmentFilter, active_people, course_counts, enrolment_list,
                                    enrolments_of_course, matching_enrolments, people_by_id, search_people)
from lms.reports.views import reports_bp

PREVIEW_NAMES = 200  # the preview lists this many people by name; beyond, it counts them
LIST_FILTERS = ("q", "unit", "status", "page")


def _course_or_404(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    return course


def _course_label(course: Course) -> str:
    return course.title if course.language == "vi" else f"{course.title} ({course.language.upper()})"


def _fill_assign_choices(form: AssignForm) -> None:
    form.course.choices = [("", _("Choose a course"))] + [
        (c.id, _course_label(c)) for c in db.session.scalars(select(Course).order_by(Course.title, Course.id))]
    form.units.choices = [(u.id, "\u2003" * depth + u.name) for u, depth in units_in_tree_order()]
    form.units.render_kw = {"size": max(4, min(len(form.units.choices), 12))}


def _first_errors(form) -> list[str]:
    return [str(errors[0]) for errors in form.errors.values() if errors]


def _everyone(chosen: list[User], unit_ids: list[int], include_sub_units: bool) -> list[User]:
    """The people chosen by name and the active people of the chosen units, each once, by name."""
    people = {p.id: p for p in chosen}
    for person in assignments.people_in_units(set(unit_ids), include_sub_units=include_sub_units):
        people.setdefault(person.id, person)
    return sorted(people.values(), key=lambda p: (p.full_name, p.id))


@dataclass
class Preview:
    course: Course
    people: list[User]
    report: assignments.AssignmentReport

    def status_of(self, user_id: int) -> str:
        for status in ("enrolled", "due_changed", "already_completed"):
            if user_id in getattr(self.report, status):
                return status
        return "unchanged"


# --- assigning --------------------------------------------------------------------------------------------------

@reports_bp.get("/assign")
@admin_required
def assign():
    form = AssignChoiceForm(request.args)
    _fill_assign_choices(form)
    if not form.chosen.data:  # first visit: sub-units are included unless the admin unticks the box
        form.sub_units.data = True
    valid = form.validate() if request.args else True
    chosen, _missing = active_people(form.people.data or [])
    found = search_people(form.q.data or "") if form.q.data else []
    results = [p for p in found if p not in chosen]
    preview = None
    if valid and request.args.get("preview"):
        course = db.session.get(Course, form.course.data) if form.course.data else None
        people = _everyone(chosen, form.units.data or [], form.sub_units.data)
        if course is None:
            form.course.errors.append(_("Choose a course."))
        elif not people:
            form.people.errors.append(_("Choose people, or units that have active members."))
        else:
            preview = Preview(course, people, assignments.plan_assignment(course, people, due_on=form.due.data))
    return render_template("reports/assign.html", form=form, chosen=chosen, results=results, preview=preview,
                           confirm_form=AssignForm(formdata=None), preview_names=PREVIEW_NAMES,
                           overview=course_counts(assignments.local_today()),
                           searched=bool(form.q.data), found_chosen=len(found) > len(results)), 400 if form.errors else 200


@reports_bp.post("/assign")
@admin_required
def assign_commit():
    form = AssignForm()
    _fill_assign_choices(form)
    back = url_for(".assign", course=request.form.get("course", ""), people=request.form.getlist("people"),
                   units=request.form.getlist("units"), sub_units=request.form.get("sub_units") or None,
                   due=request.form.get("due", ""), chosen="1", preview="1")
    if not form.validate():
        for message in _first_errors(form):
            flash(message, "error")
        return redirect(back)
    course = db.session.get(Course, form.course.data)
    chosen, missing = active_people(form.people.data or [])
    if missing:
        flash(_("Some of the chosen people are deactivated or no longer exist. Nothing was assigned: "
                "look at the preview again."), "error")
        return redirect(url_for(".assign", course=course.id, people=[p.id for p in chosen],
                                units=form.units.data, sub_units="y" if form.sub_units.data else None,
                                due=request.form.get("due", ""), chosen="1", preview="1"))
    people = _everyone(chosen, form.units.data or [], form.sub_units.data)
    if not people:
        flash(_("Choose people, or units that have active members."), "error")
        return redirect(back)
    report = assignments.assign_course(course, people, due_on=form.due.data, actor=current_user._get_current_object())
    flash(_("%(course)s: %(enrolled)d enrolled, %(changed)d given the new due date, %(completed)d had already "
            "completed it (not changed).", course=course.title, enrolled=len(report.enrolled),
            changed=len(report.due_changed), completed=len(report.already_completed)), "success")
    return redirect(url_for(".course_enrolments", slug=course.slug))


# --- a course's enrolments --------------------------------------------------------------------------------------

def _list_args() -> dict:
    """The list's filters, carried through a POST's query string so the admin comes back to the same view."""
    return {key: request.args[key] for key in LIST_FILTERS if request.args.get(key)}


def _list_filter() -> tuple[EnrolmentFilterForm, EnrolmentFilter]:
    """The list's filters from the query string (a POST carries them there too); none when they are bad."""
    form = EnrolmentFilterForm(request.args)
    form.unit.choices = [("", _("All units"))] + [
        (u.id, "\u2003" * depth + u.name) for u, depth in units_in_tree_order()]
    if any(request.args.get(key) for key in ("q", "unit", "status")) and form.validate():
        return form, EnrolmentFilter(unit_id=form.unit.data, status=form.status.data or "", text=form.q.data or "")
    return form, EnrolmentFilter()


@reports_bp.get("/courses/<slug>/enrolments")
@admin_required
def course_enrolments(slug: str):
    course = _course_or_404(slug)
    form, criteria = _list_filter()
    today = assignments.local_today()
    listing = enrolment_list(course, criteria, page=request.args.get("page", 1, type=int), today=today)
    return render_template("reports/course_enrolments.html", course=course, form=form, listing=listing,
                           progress=progress_for([row.enrolment for row in listing.rows]),
                           counts=course_counts(today, course.id)[0], today=today,
                           is_overdue=assignments.is_overdue, action_form=EnrolmentActionForm(formdata=None),
                           list_args=_list_args(),
                           filter_args={k: v for k, v in _list_args().items() if k != "page"})


def _selected(course: Course, form: EnrolmentActionForm):
    """The ticked enrolments of this course, or a flashed reason why there are none to act on."""
    if not form.validate():
        for message in _first_errors(form):
            flash(message, "error")
        return None
    if request.form.get("all_matching"):
        enrolments = matching_enrolments(course, _list_filter()[1])
    else:
        enrolments = enrolments_of_course(course, form.enrolment.data or [])
    if not enrolments:
        flash(_("Tick at least one person in the list."), "error")
        return None
    return enrolments


@reports_bp.post("/courses/<slug>/enrolments/due-date")
@admin_required
def change_due_dates(slug: str):
    course = _course_or_404(slug)
    back = redirect(url_for(".course_enrolments", slug=slug, **_list_args()))
    form = EnrolmentActionForm()
    enrolments = _selected(course, form)
    if enrolments is None:
        return back
    removing = request.form.get("action") == "remove"
    if not removing and form.due.data is None:
        flash(_("Enter the new due date, or choose “Remove the due date”."), "error")
        return back
    changed, skipped = assignments.set_due_date(course, enrolments, due_on=None if removing else form.due.data,
                                                actor=current_user._get_current_object())
    if removing:
        flash(_("Due date removed for %(n)d people.", n=len(changed)), "success")
    else:
        flash(_("Due date %(date)s set for %(n)d people.", date=form.due.data.strftime("%d/%m/%Y"),
                n=len(changed)), "success")
    if skipped:
        flash(_("%(n)d had already completed the course: their records are not changed.", n=len(skipped)), "info")
    return back


@reports_bp.post("/courses/<slug>/enrolments/withdraw")
@admin_required
def withdraw(slug: str):
    course = _course_or_404(slug)
    back = redirect(url_for(".course_enrolments", slug=slug, **_list_args()))
    form = EnrolmentActionForm()
    enrolments = _selected(course, form)
    if enrolments is None:
        return back
    if form.confirm.data != "yes":  # first the admin sees who will be withdrawn and who cannot be
        withdrawable, kept = assignments.split_withdrawable(enrolments)
        return render_template("reports/withdraw_confirm.html", course=course, withdrawable=withdrawable,
                               kept=kept, people=people_by_id({e.user_id for e in enrolments}),
                               confirm_form=EnrolmentActionForm(formdata=None), list_args=_list_args())
    withdrawn, kept = assignments.withdraw_assignments(enrolments, actor=current_user._get_current_object())
    if withdrawn:
        flash(_("Assignment withdrawn for %(n)d people.", n=len(withdrawn)), "success")
    if kept:
        flash(_("%(n)d kept: they have already started or completed the course, or enrolled themselves.",
                n=len(kept)), "info")
    return back
