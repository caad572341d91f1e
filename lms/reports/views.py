"""Completion dashboards, exports and item analysis.

Who sees what: admins see everything. Trainers see the figures by unit (the dashboard, its chart, a unit's
sub-units, the year-end view and their exports), never a named person's record: a unit's people and
their transcripts are for admins only.
"""
from __future__ import annotations

from dataclasses import replace
from io import BytesIO

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts.access import admin_required, role_required
from lms.accounts.models import OrgUnit, Role, User
from lms.accounts.services import units_in_tree_order
from lms.certificates.services import local_today
from lms.extensions import db
from lms.reports import completion_tables as tables
from lms.reports.exports import csv_response, xlsx_response
from lms.reports.filters import CompletionFilterForm, YearEndForm
from lms.reports.services import (ReportFilter, completion_matrix, own_people_query, people_statuses,
                                  report_courses)
from lms.reports.transcript import transcript_of, transcript_pdf
from lms.reports.year_end import YearEnd, year_end_view

reports_bp = Blueprint("reports", __name__, template_folder="templates", url_prefix="/admin/reports")

staff_required = role_required(Role.TRAINER, Role.ADMIN)
FILTER_KEYS = ("start", "end", "course", "unit")
PEOPLE_PER_PAGE = 100
MAX_MATRIX_ROWS_SHOWN = 400  # beyond, the units × courses table is left to the exports (and the filters)


# --- reading the filters ---------------------------------------------------------------------------------------

def _unit_choices() -> list:
    return [("", _("All units"))] + [(u.id, "\u2003" * depth + u.name) for u, depth in units_in_tree_order()]


def _completion_form(*, with_unit: bool = True) -> CompletionFilterForm:
    form = CompletionFilterForm(request.args)
    form.course.choices = [("", _("All courses"))] + [(c.id, c.title) for c in report_courses()]
    if with_unit:
        form.unit.choices = _unit_choices()
    else:
        del form.unit
    return form


def _completion_filters(form: CompletionFilterForm) -> tuple[ReportFilter, bool]:
    """The filters asked for, or this calendar year when nothing was asked; (filters, valid)."""
    default = ReportFilter.this_year()
    if not any(key in request.args for key in FILTER_KEYS):
        form.start.data, form.end.data = default.start, default.end
        return default, True
    if not form.validate():
        return default, False
    return ReportFilter(start=form.start.data, end=form.end.data, course_id=form.course.data,
                        unit_id=form.unit.data if "unit" in form else None), True


def _query_args(filters: ReportFilter) -> dict:
    """What a drill-down link carries so the next page counts the same period and course."""
    return {"start": filters.start.isoformat() if filters.start else "",
            "end": filters.end.isoformat() if filters.end else "",
            "course": filters.course_id or ""}


# --- the dashboard and its drill-down ----------------------------------------------------------------------------

@reports_bp.get("/")
@staff_required
def dashboard():
    form = _completion_form()
    filters, _valid = _completion_filters(form)
    matrix = completion_matrix(filters)
    return render_template("reports/dashboard.html", form=form, matrix=matrix, query_args=_query_args(filters),
                           export_args={**_query_args(filters), "unit": filters.unit_id or ""},
                           max_matrix_rows=MAX_MATRIX_ROWS_SHOWN)


@reports_bp.get("/units/<int:unit_id>")
@staff_required
def unit(unit_id: int):
    unit = db.get_or_404(OrgUnit, unit_id)
    form = _completion_form(with_unit=False)
    filters, _valid = _completion_filters(form)
    filters = replace(filters, unit_id=unit.id)
    matrix = completion_matrix(filters)
    people = statuses = None
    if current_user.is_admin:  # trainers see the figures, not the named people behind them
        people = db.paginate(own_people_query(unit), per_page=PEOPLE_PER_PAGE, error_out=False)
        statuses = people_statuses(filters, [person.id for person in people.items])
    return render_template("reports/unit.html", unit=unit, form=form, matrix=matrix, people=people,
                           statuses=statuses, query_args=_query_args(filters),
                           export_args={**_query_args(filters), "unit": unit.id}, max_matrix_rows=MAX_MATRIX_ROWS_SHOWN)


@reports_bp.get("/people/<int:person_id>")
@admin_required
def person(person_id: int):
    person = db.get_or_404(User, person_id)
    return render_template("reports/transcript.html", t=transcript_of(person))


@reports_bp.get("/people/<int:person_id>/transcript.pdf")
@admin_required
def transcript_download(person_id: int):
    person = db.get_or_404(User, person_id)
    pdf = transcript_pdf(transcript_of(person))
    return send_file(BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"ket-qua-hoc-tap_{person.username}_{local_today().isoformat()}.pdf",
                     max_age=0)


# --- exports of the matrix -----------------------------------------------------------------------------------------

def _matrix_for_export():
    form = _completion_form()
    filters, valid = _completion_filters(form)
    if not valid:
        flash(_("The filters are not valid; nothing was exported. Correct them and export again."), "error")
        return None
    return completion_matrix(filters)


@reports_bp.get("/matrix.csv")
@staff_required
def matrix_csv():
    matrix = _matrix_for_export()
    if matrix is None:
        return redirect(url_for(".dashboard", **request.args.to_dict(flat=False)))
    return csv_response(tables.matrix_filename(matrix, "csv"), *tables.matrix_table(matrix))


@reports_bp.get("/matrix.xlsx")
@staff_required
def matrix_xlsx():
    matrix = _matrix_for_export()
    if matrix is None:
        return redirect(url_for(".dashboard", **request.args.to_dict(flat=False)))
    return xlsx_response(tables.matrix_filename(matrix, "xlsx"), _("Completion"), *tables.matrix_table(matrix))


# --- the year-end view -----------------------------------------------------------------------------------------------

def _year_end() -> tuple[YearEndForm, YearEnd, bool]:
    """The form, the view it asks for (this year's when nothing or something invalid was asked), valid."""
    form = YearEndForm(request.args)
    form.courses.choices = [(c.id, c.title) for c in report_courses()]
    form.unit.choices = _unit_choices()
    this_year = local_today().year
    if not request.args:
        form.year.data = this_year
        return form, year_end_view(this_year), True
    valid = form.validate()
    if not valid:
        return form, year_end_view(this_year), False
    return form, year_end_view(form.year.data or this_year, course_ids=form.courses.data or None,
                               unit_id=form.unit.data), True


@reports_bp.get("/year-end")
@staff_required
def year_end():
    form, view, _valid = _year_end()
    return render_template("reports/year_end.html", form=form, view=view,
                           export_args=request.args.to_dict(flat=False))


def _year_end_for_export():
    form, view, valid = _year_end()
    if not valid:
        flash(_("The filters are not valid; nothing was exported. Correct them and export again."), "error")
        return None
    return view


@reports_bp.get("/year-end.csv")
@staff_required
def year_end_csv():
    view = _year_end_for_export()
    if view is None:
        return redirect(url_for(".year_end", **request.args.to_dict(flat=False)))
    return csv_response(tables.year_end_filename(view, "csv"), *tables.year_end_table(view))


@reports_bp.get("/year-end.xlsx")
@staff_required
def year_end_xlsx():
    view = _year_end_for_export()
    if view is None:
        return redirect(url_for(".year_end", **request.args.to_dict(flat=False)))
    return xlsx_response(tables.year_end_filename(view, "xlsx"), _("Year-end %(year)d", year=view.year),
                         *tables.year_end_table(view))


from lms.reports import enrolment_views as _enrolment_views  # noqa: E402,F401 - adds its routes
from lms.reports import item_analysis_views as _item_analysis_views  # noqa: E402,F401 - adds its routes
from lms.reports import grade_views as _grade_views  # noqa: E402,F401 - adds its routes
