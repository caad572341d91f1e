"""The audit log viewer for admins: filter, read the before/after of each change, export what is shown."""
from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from lms.accounts.access import admin_required
from lms.audit import services
from lms.audit.forms import AuditFilterForm
from lms.extensions import db
from lms.reports.exports import csv_response, xlsx_response

audit_bp = Blueprint("audit", __name__, template_folder="templates", url_prefix="/admin/audit")

EVENTS_PER_PAGE = 50
MAX_EXPORT_ROWS = 50_000

ACTION_LABELS = {
    "user.role": _l("Role changed"),
    "user.update": _l("Account details changed"),
    "user.deactivate": _l("Account deactivated"),
    "user.reactivate": _l("Account reactivated"),
    "user.password_reset": _l("Password reset"),
    "user.import": _l("People imported from a file"),
    "unit.update": _l("Unit renamed or retyped"),
    "unit.move": _l("Unit moved"),
    "enrolment.assign": _l("Course assigned"),
    "enrolment.withdraw": _l("Enrolment withdrawn"),
    "enrolment.due_date": _l("Due date changed"),
    "content.publish": _l("Course content published"),
    "class.create": _l("Class created"),
    "class.update": _l("Class changed"),
    "class.session_add": _l("Class session added"),
    "class.session_remove": _l("Class session removed"),
    "class.roster_add": _l("People added to a class"),
    "class.roster_remove": _l("Person removed from a class"),
    "class.attendance": _l("Attendance marked"),
    "certificate.issue": _l("Certificate issued"),
    "attempt.grade_override": _l("Grade changed"),
    "certificate.issue_in_person": _l("Certificate issued for a class"),
    "certificate.revoke": _l("Certificate revoked"),
    "certificate.reissue": _l("Certificate re-issued"),
    # H2: the course hub and module history.
    "course.settings": _l("Course settings changed"),
    "course.trainer_add": _l("Trainer assigned to a course"),
    "course.trainer_remove": _l("Trainer removed from a course"),
    "module.move": _l("Module moved"),
    "module.restore": _l("Old module revision restored"),
    # H1: the module editor.
    "module.create": _l("Module created"),
    "module.publish": _l("Module published"),
    # H3: the question bank and quiz settings.
    "question.create": _l("Question written in the browser"),
    "question.edit": _l("Question changed"),
    "question.retire": _l("Question retired"),
    "question.unretire": _l("Retired question brought back"),
    "quiz.settings": _l("Quiz settings changed"),
    # H4: questions and answers.
    "qa.faq_promote": _l("Question added to a module's FAQ"),
    "qa.faq_remove": _l("Question removed from a module's FAQ"),
}
OBJECT_TYPE_LABELS = {"question": _l("Bank question"), "quiz": _l("Quiz"),  # H3
                      "user": _l("Account"), "unit": _l("Unit"), "course": _l("Course"),
                      "training_class": _l("Class"), "attempt": _l("Quiz attempt"),
                      "enrolment": _l("Enrolment"), "certificate": _l("Certificate")}
KEY_LABELS = {"role": _l("Role"), "full_name": _l("Full name"), "username": _l("Username"), "email": _l("Email"),
              "position": _l("Position"), "unit": _l("Unit"), "active": _l("Active"),
              "deactivated_at": _l("Deactivated on"), "must_change_password": _l("Must change password"),
              "name": _l("Unit name"), "unit_type": _l("Type"), "parent": _l("Belongs to"),
              "due_on": _l("Due on"), "course": _l("Course"), "score_percent": _l("Grade (%)"),
              "passed": _l("Passed")}
# H2: the course hub and module history (setdefault: the module editor may name modules too).
OBJECT_TYPE_LABELS.setdefault("module", _l("Module"))
KEY_LABELS.update({"title": _l("Title"), "summary": _l("Summary"), "enrolment_policy": _l("Enrolment"),
                   "certificate_validity_months": _l("Certificate valid for (months)"),
                   "legal_basis_as_of": _l("Legal texts reflected"), "order": _l("Order in the course"),
                   "trainer": _l("Trainer"), "revision": _l("Revision"),
                   "restored_from": _l("Restored from revision")})
# H1: the module editor.
KEY_LABELS.setdefault("minutes", _l("Reading time (minutes)"))
KEY_LABELS.setdefault("key", _l("Module id"))
# Where an event's record can be opened.
OBJECT_ENDPOINTS = {"user": ("admin.edit_user", "user_id"), "unit": ("admin.edit_unit", "unit_id"),
                    "certificate": ("certificate_admin.detail", "certificate_id"),
                    "training_class": ("classes.detail", "class_id")}
# H3: a bank question's settings as its bank file names them, and a quiz's settings.
_QUESTION_KEY_LABELS = {
    "prompt": _l("Question text"), "explanation": _l("Explanation"), "source": _l("Legal source"),
    "category": _l("Category"), "tags": _l("Tags"), "points": _l("Points"), "options": _l("Choices"),
    "answer": _l("Answer"), "answers": _l("Accepted answers"), "tolerance": _l("Tolerance"), "range": _l("Range"),
    "pairs": _l("Pairs"), "distractors": _l("Extra wrong matches"), "items": _l("Items in order"),
    "scoring": _l("Scoring"), "shuffle": _l("Shuffled"), "retired": _l("Retired"),
    "pass_mark": _l("Pass mark (%)"), "time_limit_minutes": _l("Time limit (minutes)"),
    "max_attempts": _l("Attempts allowed"), "wait_minutes": _l("Wait between attempts (minutes)"),
    "grading": _l("Grade"), "review": _l("Review after an attempt"), "draw": _l("Questions drawn")}
KEY_LABELS.update({k: v for k, v in _QUESTION_KEY_LABELS.items() if k not in KEY_LABELS})
# H4: questions and answers ("faq" is the before/after of a promotion).
OBJECT_TYPE_LABELS["module_question"] = _l("Question on a module")
KEY_LABELS.setdefault("faq", _l("In the module's FAQ"))
OBJECT_ENDPOINTS["module_question"] = ("qa.thread", "question_id")


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def object_type_label(object_type: str) -> str:
    return str(OBJECT_TYPE_LABELS.get(object_type, object_type))


def object_url(object_type: str, object_id: str) -> str | None:
    if object_type not in OBJECT_ENDPOINTS or not object_id.isdigit():
        return None
    endpoint, argument = OBJECT_ENDPOINTS[object_type]
    return url_for(endpoint, **{argument: int(object_id)})


@audit_bp.app_context_processor
def audit_helpers():
    return {"action_label": action_label}


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def _filter() -> tuple[AuditFilterForm, services.AuditFilter]:
    form = AuditFilterForm(request.args)
    form.action.choices = [("", _("Any action"))] + [
        (action, f"{action_label(action)} ({action})" if action in ACTION_LABELS else action)
        for action in services.actions_present()]
    form.object_type.choices = [("", _("Any kind"))] + [
        (kind, object_type_label(kind)) for kind in services.object_types_present()]
    if request.args and not form.validate():
        return form, services.AuditFilter()
    return form, services.AuditFilter(action=form.action.data or "", actor=form.actor.data or "",
                                      object_type=form.object_type.data or "", object_id=form.object_id.data or "",
                                      date_from=form.date_from.data, date_to=form.date_to.data)


def _show_value(key: str, value) -> str:
    """A before/after value as a person reads it: labels for roles and unit types, yes/no, a dash for none."""
    from lms.accounts.forms import role_choices, unit_type_choices

    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key == "role":
        return str(dict(role_choices()).get(value, value))
    if key == "unit_type":
        return str(dict(unit_type_choices()).get(value, value))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@audit_bp.get("/")
@admin_required
def log():
    form, criteria = _filter()
    page = db.paginate(services.search_query(criteria, _zone()), per_page=EVENTS_PER_PAGE, error_out=False)
    query_args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("audit/log.html", form=form, page=page, query_args=query_args,
                           names=services.object_names(page.items), changes=services.changes,
                           show_value=_show_value, key_label=lambda key: str(KEY_LABELS.get(key, key)),
                           object_type_label=object_type_label, object_url=object_url)


def _export_rows(criteria: services.AuditFilter):
    """The filtered events as plain rows, or None when there are too many for one file."""
    zone = _zone()
    events = db.session.execute(services.export_query(criteria, zone).limit(MAX_EXPORT_ROWS + 1)).all()
    if len(events) > MAX_EXPORT_ROWS:
        return None
    names = services.object_names(events)
    labels = {action: action_label(action) for action in {event.action for event in events}}

    def as_json(value):
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value is not None else ""

    return [[event.occurred_at.astimezone(zone).replace(tzinfo=None, microsecond=0), event.actor_name or "",
             event.actor_username or "", event.action, labels[event.action], event.object_type, event.object_id,
             names.get((event.object_type, event.object_id), ""), event.summary, as_json(event.before),
             as_json(event.after)] for event in events]


def _export_headers() -> list[str]:
    return [_("Time"), _("Done by"), _("Username"), _("Action code"), _("Action"), _("Kind of record"),
            _("Record number"), _("Record"), _("Summary"), _("Before"), _("After")]


def _too_many():
    flash(_("More than %(n)d events match: narrow the filters (a date range or an action).", n=MAX_EXPORT_ROWS),
          "error")
    return redirect(url_for(".log", **request.args))


@audit_bp.get("/export.csv")
@admin_required
def export_csv():
    _form, criteria = _filter()
    rows = _export_rows(criteria)
    if rows is None:
        return _too_many()
    for row in rows:  # a spreadsheet reads dd/mm/yyyy hh:mm:ss as a date in a Vietnamese locale
        row[0] = row[0].strftime("%d/%m/%Y %H:%M:%S")
    return csv_response("nhat-ky-thay-doi.csv", _export_headers(), rows)


@audit_bp.get("/export.xlsx")
@admin_required
def export_xlsx():
    _form, criteria = _filter()
    rows = _export_rows(criteria)
    if rows is None:
        return _too_many()
    return xlsx_response("nhat-ky-thay-doi.xlsx", _("Audit log"), _export_headers(), rows)
