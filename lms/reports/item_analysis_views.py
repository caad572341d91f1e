"""Item analysis pages for trainers and admins: the course list, one course's questions, and its exports."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from lms.accounts.access import role_required
from lms.accounts.models import Role
from lms.courses.models import Course
from lms.extensions import db
from lms.quizzes import grading
from lms.reports import item_analysis as analysis
from lms.reports.exports import csv_response, xlsx_response
from lms.reports.views import reports_bp

staff_required = role_required(Role.TRAINER, Role.ADMIN)

FLAG_LABELS = {
    analysis.Flag.NEGATIVE_DISCRIMINATION: _l("Negative discrimination"),
    analysis.Flag.NO_ONE_RIGHT: _l("No one gets it right"),
    analysis.Flag.LOW_DISCRIMINATION: _l("Low discrimination"),
    analysis.Flag.EVERYONE_RIGHT: _l("Everyone gets it right"),
    analysis.Flag.TOO_FEW_ANSWERS: _l("Too few answers to judge"),
}
FLAG_HINTS = {
    analysis.Flag.NEGATIVE_DISCRIMINATION: _l("Weaker attempts get it right more often than stronger ones: "
                                              "check the answer key and the wording."),
    analysis.Flag.NO_ONE_RIGHT: _l("Check the answer key, or whether the module teaches this."),
    analysis.Flag.LOW_DISCRIMINATION: _l("It hardly tells strong attempts from weak ones: check for an "
                                         "ambiguous wording or a second defensible answer."),
    analysis.Flag.EVERYONE_RIGHT: _l("Too easy to tell anyone apart: the answer may be given away."),
    analysis.Flag.TOO_FEW_ANSWERS: _l("Fewer than %(n)d graded answers.", n=analysis.MIN_ANSWERS),
}
TYPE_LABELS = {
    grading.SINGLE: _l("One answer"), grading.MULTIPLE: _l("Several answers"),
    grading.TRUE_FALSE: _l("True or false"), grading.SHORT_ANSWER: _l("Short answer"),
    grading.NUMERIC: _l("Number"), grading.MATCHING: _l("Matching"), grading.ORDERING: _l("Ordering"),
}


class ItemFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that only narrows what is shown

    quiz = SelectField(_l("Quiz"), coerce=lambda v: int(v) if v else None, validators=[Optional()])
    start = DateField(_l("Submitted from"), validators=[Optional()])
    end = DateField(_l("Submitted until"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.start.data and self.end.data and self.start.data > self.end.data:
            self.end.errors = [_("The end of the period is before its start.")]
            return False
        return True


def _course_or_404(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    return course


def _filter_form(quizzes) -> ItemFilterForm:
    form = ItemFilterForm(request.args)
    form.quiz.choices = [("", _("All quizzes"))] + [
        (q.id, (_("Final exam: %(title)s", title=q.title) if q.is_final else q.title)
         + (" " + _("(retired)") if q.retired else "")) for q in quizzes]
    return form


def _filter_args() -> dict[str, str]:
    """The filters of this request, for the export links (other parameters are dropped)."""
    return {key: request.args[key] for key in ("quiz", "start", "end") if key in request.args}


def _criteria(form: ItemFilterForm) -> analysis.ItemFilter | None:
    """The filter the form describes, or None when it does not validate (its errors say why)."""
    if not request.args:
        return analysis.ItemFilter()
    if not form.validate():
        return None
    return analysis.ItemFilter(quiz_id=form.quiz.data or None, start=form.start.data, end=form.end.data)


@reports_bp.get("/items")
@staff_required
def item_courses():
    return render_template("reports/item_analysis_courses.html", courses=analysis.courses_with_counts())


@reports_bp.get("/courses/<slug>/items")
@staff_required
def item_analysis(slug: str):
    course = _course_or_404(slug)
    form = _filter_form(analysis.course_quizzes(course))
    criteria = _criteria(form)
    report = analysis.item_analysis(course, criteria or analysis.ItemFilter())
    return render_template("reports/item_analysis.html", course=course, form=form, report=report,
                           filtered=criteria is not None, query_args=_filter_args(),
                           flag_labels=FLAG_LABELS, flag_hints=FLAG_HINTS, type_labels=TYPE_LABELS,
                           Flag=analysis.Flag, thresholds=analysis)


def _export_rows(report: analysis.ItemReport):
    def number(value):
        return "" if value is None else value

    for item in report.items:
        yield (item.key, item.category, str(TYPE_LABELS.get(item.qtype, item.qtype)), item.prompt_text,
               item.points, item.answers, number(item.facility), number(item.discrimination),
               number(item.upper_facility), number(item.lower_facility),
               str(FLAG_LABELS[item.flag]) if item.flag else "", _("Yes") if item.retired else "")


def _export(slug: str, kind: str):
    course = _course_or_404(slug)
    form = _filter_form(analysis.course_quizzes(course))
    criteria = _criteria(form)
    if criteria is None:
        flash(_("Check the filters: the export was not made."), "error")
        return redirect(url_for(".item_analysis", slug=slug, **_filter_args()))
    report = analysis.item_analysis(course, criteria)
    headers = [_("Question id"), _("Category"), _("Type"), _("Question"), _("Points"), _("Graded answers"),
               _("Facility (%)"), _("Discrimination"), _("Facility in the top group (%)"),
               _("Facility in the bottom group (%)"), _("Flag"), _("Retired")]
    filename = f"phan-tich-cau-hoi-{course.slug}.{kind}"
    if kind == "csv":
        return csv_response(filename, headers, _export_rows(report))
    return xlsx_response(filename, _("Item analysis"), headers, _export_rows(report))


@reports_bp.get("/courses/<slug>/items.csv")
@staff_required
def item_analysis_csv(slug: str):
    return _export(slug, "csv")


@reports_bp.get("/courses/<slug>/items.xlsx")
@staff_required
def item_analysis_xlsx(slug: str):
    return _export(slug, "xlsx")
