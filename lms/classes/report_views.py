"""A class's results report (page, CSV, XLSX) and its printable roster and attendance sheet (PDF), for
admins and the class's trainers."""
from __future__ import annotations

from collections import Counter
from io import BytesIO

from flask import render_template, send_file
from flask_babel import gettext as _

from lms.accounts.text_search import sort_key
from lms.classes.results import COMPLETED, IN_PROGRESS, NOT_STARTED, class_results, export_table
from lms.classes.sheet import attendance_sheet_pdf
from lms.classes.views import classes_bp, load_class, staff_required
from lms.reports.exports import csv_response, xlsx_response


def _labels() -> dict[str, str]:
    return {"number": _("No."), "name": _("Full name"), "username": _("Username"), "email": _("Email"),
            "unit": _("Unit"), "present": _("Sessions attended"), "sessions": _("Sessions"),
            "progress": _("progress %"), "completed_on": _("completed on"), "certificate": _("certificate"),
            "status": _("Status"), COMPLETED: _("Completed"), IN_PROGRESS: _("In progress"),
            NOT_STARTED: _("Not started")}


def _file_name(class_id: int, extension: str) -> str:
    return f"ket-qua-lop-{class_id}.{extension}"


@classes_bp.get("/<int:class_id>/results")
@staff_required
def results(class_id: int):
    training_class = load_class(class_id)
    report = class_results(training_class)
    by_unit: dict[str, Counter] = {}
    for row in report.rows:
        counts = by_unit.setdefault(row.unit_name or "—", Counter())
        counts["people"] += 1
        counts["attendance"] += row.attendance_met
        counts["online"] += row.online_met
        counts["completed"] += row.completed
    return render_template("classes/results.html", c=training_class, results=report,
                           by_unit=sorted(by_unit.items(), key=lambda item: sort_key(item[0])))


@classes_bp.get("/<int:class_id>/results.csv")
@staff_required
def results_csv(class_id: int):
    headers, rows = export_table(class_results(load_class(class_id)), _labels())
    return csv_response(_file_name(class_id, "csv"), headers, rows)


@classes_bp.get("/<int:class_id>/results.xlsx")
@staff_required
def results_xlsx(class_id: int):
    headers, rows = export_table(class_results(load_class(class_id)), _labels())
    return xlsx_response(_file_name(class_id, "xlsx"), _("Results"), headers, rows)


@classes_bp.get("/<int:class_id>/sheet.pdf")
@staff_required
def sheet(class_id: int):
    training_class = load_class(class_id)
    return send_file(BytesIO(attendance_sheet_pdf(training_class)), mimetype="application/pdf",
                     as_attachment=False, download_name=f"diem-danh-lop-{training_class.id}.pdf", max_age=0)
