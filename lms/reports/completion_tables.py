"""The completion matrix and the year-end view as plain tables (headers and rows) for the CSV and XLSX
exports in lms.reports.exports: the same figures as the pages, one row per unit and course."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask_babel import pgettext

from lms.reports.services import NO_UNIT, OWN, CompletionMatrix, Counts
from lms.reports.year_end import YearEnd


def _unit_cells(key, unit) -> tuple[str, str]:
    if key == NO_UNIT:
        return _("Without a unit"), ""
    if key == OWN:
        return _("%(unit)s (its own staff)", unit=unit.name), unit.code
    if key == "total":
        return _("All units"), ""
    return unit.name, unit.code


def _period(start: date | None, end: date | None) -> str:
    return f"{start.isoformat() if start else '…'}_{end.isoformat() if end else '…'}"


def matrix_filename(matrix: CompletionMatrix, extension: str) -> str:
    return f"hoan-thanh_{_period(matrix.filters.start, matrix.filters.end)}.{extension}"


def matrix_table(matrix: CompletionMatrix) -> tuple[list[str], list[list]]:
    headers = [_("Unit"), _("Unit code"), _("Course"), _("Enrolled"), pgettext("completion", "In progress"),
               pgettext("completion", "Completed"),
               _("Overdue"), _("Certified"), _("% completed"), _("From"), _("To")]
    start, end = matrix.filters.start, matrix.filters.end
    rows = []
    units = [(row.key, row.unit, row.cells) for row in matrix.rows] + [("total", None, matrix.totals)]
    for key, unit, cells in units:
        name, code = _unit_cells(key, unit)
        for course in matrix.courses:
            counts = cells.get(course.id) or Counts()
            rows.append([name, code, course.title, counts.enrolled, counts.in_progress, counts.completed,
                         counts.overdue, counts.certified, counts.percent, start, end])
    return headers, rows


def year_end_filename(view: YearEnd, extension: str) -> str:
    return f"tong-ket-{view.year}.{extension}"


def year_end_table(view: YearEnd) -> tuple[list[str], list[list]]:
    headers = [_("Unit"), _("Unit code"), _("Staff"), _("Completed every required course"), _("Share (%)")]
    headers += [_("Completed: %(course)s", course=course.title) for course in view.required]
    rows = []
    for row in [*view.rows, view.total]:
        name, code = _unit_cells(row.key, row.unit)
        rows.append([name, code, row.staff, row.completed_all, row.share,
                     *(row.per_course.get(course.id, 0) for course in view.required)])
    return headers, rows
