"""The admin's roster page (add by unit, by search, by CSV; remove), enrolling the class in its courses,
and the class's certificates (issue those missing, download them as one zip). Admins only."""
from __future__ import annotations

from io import BytesIO

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms.accounts.access import admin_required
from lms.accounts.services import units_in_tree_order
from lms.certificates import services as certificate_services
from lms.classes import roster, services
from lms.classes.forms import AddByUnitForm, AddChosenForm, EnrolClassForm, RosterFileForm, SearchForm
from lms.classes.models import ClassParticipant
from lms.classes.views import classes_bp, load_class
from lms.extensions import db
from lms.site.forms import ActionForm


def _unit_form(*, submitted: bool) -> AddByUnitForm:
    form = AddByUnitForm() if submitted else AddByUnitForm(formdata=None)
    form.unit.choices = [(unit.id, "\u2003" * depth + unit.name) for unit, depth in units_in_tree_order()]
    return form


def _added_message(added: list) -> str:
    if not added:
        return _("Everyone named is already on the roster; nobody was added.")
    return ngettext("%(num)d person added to the roster.", "%(num)d people added to the roster.", len(added))


@classes_bp.get("/<int:class_id>/roster")
@admin_required
def roster_page(class_id: int):
    training_class = load_class(class_id)
    search = SearchForm(request.args)
    found = roster.search_people(search.q.data) if search.q.data and search.validate() else []
    return render_template("classes/roster.html", c=training_class, unit_form=_unit_form(submitted=False),
                           search=search, found=found, on_roster=roster.participant_user_ids(training_class),
                           chosen_form=AddChosenForm(formdata=None), file_form=RosterFileForm(formdata=None),
                           problems=[])


@classes_bp.post("/<int:class_id>/roster/unit")
@admin_required
def add_by_unit(class_id: int):
    training_class = load_class(class_id)
    form = _unit_form(submitted=True)
    if form.validate_on_submit():
        added = roster.add_by_units(training_class, {form.unit.data},
                                    include_sub_units=form.include_sub_units.data, actor=current_user)
        flash(_added_message(added), "success" if added else "info")
        return redirect(url_for(".detail", class_id=class_id, _anchor="roster"))
    flash(_("Choose a unit from the list."), "error")
    return redirect(url_for(".roster_page", class_id=class_id))


@classes_bp.post("/<int:class_id>/roster/chosen")
@admin_required
def add_chosen(class_id: int):
    training_class = load_class(class_id)
    form = AddChosenForm()
    if not form.validate_on_submit():
        flash(_("Tick at least one person."), "error")
        return redirect(url_for(".roster_page", class_id=class_id, q=request.form.get("q", "")))
    try:
        added = roster.add_chosen(training_class, set(form.people.data), actor=current_user)
    except services.ClassError as error:
        flash(str(error.message), "error")
        return redirect(url_for(".roster_page", class_id=class_id))
    flash(_added_message(added), "success" if added else "info")
    return redirect(url_for(".detail", class_id=class_id, _anchor="roster"))


@classes_bp.post("/<int:class_id>/roster/file")
@admin_required
def add_from_file(class_id: int):
    training_class = load_class(class_id)
    form = RosterFileForm()
    problems = []
    if form.validate_on_submit():
        try:
            added = roster.add_from_file(training_class, form.file.data.read(), actor=current_user)
        except roster.RosterFileError as error:
            problems = error.problems
        else:
            flash(_added_message(added), "success" if added else "info")
            return redirect(url_for(".detail", class_id=class_id, _anchor="roster"))
    # Shown on the page (not flashed): every bad line, so the file can be fixed in one go.
    return render_template("classes/roster.html", c=training_class, unit_form=_unit_form(submitted=False),
                           search=SearchForm(formdata=None), found=[],
                           on_roster=roster.participant_user_ids(training_class),
                           chosen_form=AddChosenForm(formdata=None), file_form=form, problems=problems), 400


@classes_bp.post("/<int:class_id>/participants/<int:participant_id>/remove")
@admin_required
def remove_participant(class_id: int, participant_id: int):
    training_class = load_class(class_id)
    participant = db.session.get(ClassParticipant, participant_id)
    if participant is None or participant.class_id != training_class.id:
        flash(_("This person is no longer on the roster."), "info")
        return redirect(url_for(".detail", class_id=class_id, _anchor="roster"))
    if ActionForm().validate_on_submit():
        name = participant.user.full_name
        try:
            roster.remove_participant(participant, actor=current_user)
        except services.ClassError as error:
            flash(str(error.message), "error")
        else:
            flash(_("%(name)s was removed from the roster.", name=name), "success")
    return redirect(url_for(".detail", class_id=class_id, _anchor="roster"))


# --- enrolment and certificates ---------------------------------------------------------------------------

@classes_bp.post("/<int:class_id>/enrol")
@admin_required
def enrol(class_id: int):
    training_class = load_class(class_id)
    form = EnrolClassForm()
    if not form.validate_on_submit():
        flash(_("The due date is not a valid date."), "error")
        return redirect(url_for(".detail", class_id=class_id, _anchor="enrol"))
    try:
        totals = services.enrol_class(training_class, due_on=form.due_on.data, actor=current_user)
    except services.ClassError as error:
        flash(str(error.message), "error")
    else:
        flash(_("Enrolment done: %(enrolled)d new enrolments, %(changed)d due dates changed, %(unchanged)d "
                "unchanged.", enrolled=totals["enrolled"], changed=totals["due_changed"],
                unchanged=totals["unchanged"]), "success")
    return redirect(url_for(".detail", class_id=class_id, _anchor="enrol"))


@classes_bp.post("/<int:class_id>/certificates")
@admin_required
def issue_certificates(class_id: int):
    training_class = load_class(class_id)
    if ActionForm().validate_on_submit():
        report = services.issue_class_certificates(training_class, actor=current_user)
        if report.queued:
            flash(ngettext("%(num)d certificate is being issued; refresh in a minute.",
                           "%(num)d certificates are being issued; refresh in a minute.", report.queued),
                  "success")
        elif report.issued:
            flash(ngettext("%(num)d certificate issued.", "%(num)d certificates issued.", report.issued),
                  "success")
        elif not report.failed:
            flash(_("Every completed participant already has their certificates."), "info")
        if report.failed:
            flash(ngettext("%(num)d certificate could not be issued; it has been logged. Try again later.",
                           "%(num)d certificates could not be issued; they have been logged. Try again later.",
                           report.failed), "error")
    return redirect(url_for(".detail", class_id=class_id, _anchor="certificates"))


@classes_bp.get("/<int:class_id>/certificates.zip")
@admin_required
def certificates_zip(class_id: int):
    training_class = load_class(class_id)
    certificates = services.class_certificates(training_class)
    if not certificates:
        flash(_("No participant of this class holds a certificate yet."), "info")
        return redirect(url_for(".detail", class_id=class_id, _anchor="certificates"))
    return send_file(BytesIO(certificate_services.zip_of(certificates)), mimetype="application/zip",
                     as_attachment=True, download_name=f"chung-nhan-lop-{training_class.id}.zip", max_age=0)
