"""The admin's bulk import of people: upload → preview of every row → commit → the temporary passwords."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.accounts import import_service
from lms.accounts.access import admin_required
from lms.accounts.import_forms import ImportPasswordsForm, UserImportCommitForm, UserImportForm
from lms.accounts.import_service import ImportRejected, StagedUploadGone
from lms.accounts.import_tables import ImportFileError
from lms.accounts.models import OrgUnit
from lms.accounts.services import units_in_tree_order
from lms.accounts.views import _unit_choices, admin_bp
from lms.extensions import db
from lms.reports.exports import csv_response, xlsx_response

TEMPLATE_HEADERS = ["Họ và tên", "Tên đăng nhập", "Email", "Đơn vị", "Chức vụ", "Vai trò"]


def _upload_form(**kwargs) -> UserImportForm:
    form = UserImportForm(**kwargs)
    form.parent_id.choices = _unit_choices(blank_label=_("— none (top level) —"))
    return form


def _preview(check, *, filename: str, parent: OrgUnit | None, token: str | None, status: int = 200):
    return render_template("accounts/import_preview.html", check=check, filename=filename, parent=parent,
                           commit_form=UserImportCommitForm(upload=token) if token else None,
                           form=_upload_form(formdata=None)), status


@admin_bp.route("/users/import", methods=["GET", "POST"])
@admin_required
def users_import():
    form = _upload_form()
    if form.validate_on_submit():
        upload = form.file.data
        data, filename = upload.read(), upload.filename or ""
        parent_id = form.parent_id.data or None
        parent = db.session.get(OrgUnit, parent_id) if parent_id and form.create_units.data else None
        try:
            check = import_service.check_file(data, create_units=form.create_units.data)
        except ImportFileError as error:
            form.file.errors = [str(error.message)]
        else:
            # Only a file without problems is kept for the commit; a file with problems is fixed and sent again.
            token = import_service.stage_upload(
                data, filename=filename, create_units=form.create_units.data,
                parent_id=parent.id if parent else None, actor=current_user) if check.ok else None
            return _preview(check, filename=filename, parent=parent, token=token)
    return render_template("accounts/import_upload.html", form=form,
                           max_mb=current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024))


@admin_bp.post("/users/import/commit")
@admin_required
def users_import_commit():
    form = UserImportCommitForm()
    if not form.validate_on_submit():
        flash(_("This preview is not valid. Upload the file again."), "error")
        return redirect(url_for("admin.users_import"))
    try:
        staged = import_service.load_staged(form.upload.data, current_user)
    except StagedUploadGone as gone:
        flash(str(gone.args[0]), "error")
        return redirect(url_for("admin.users_import"))
    # Claimed before the import: a second click on the button finds nothing left to import.
    import_service.discard_staged(staged)
    parent = db.session.get(OrgUnit, staged.parent_id) if staged.parent_id else None
    try:
        result = import_service.import_people(staged.data, create_units=staged.create_units, parent=parent,
                                              actor=current_user, source=staged.filename)
    except ImportRejected as rejected:
        flash(str(rejected.message) if rejected.message else
              _("Something changed since the preview, so nothing was imported. Fix the rows below in the file "
                "and upload it again."), "error")
        if rejected.check is None:
            return redirect(url_for("admin.users_import"))
        return _preview(rejected.check, filename=staged.filename, parent=parent, token=None, status=409)
    except ImportFileError as error:  # cannot happen for a file that was read at the preview, but never a 500
        flash(str(error.message), "error")
        return redirect(url_for("admin.users_import"))
    # Rendered, not redirected: the passwords are shown this once and never put in a cookie or a log.
    return render_template("accounts/import_done.html", result=result, filename=staged.filename,
                           login_url=import_service.login_url(),
                           passwords_form=ImportPasswordsForm(
                               credentials=import_service.sign_credentials(result.credentials, current_user)))


@admin_bp.post("/users/import/passwords")
@admin_required
def users_import_passwords():
    form = ImportPasswordsForm()
    if not form.validate_on_submit():
        flash(_("This download is not valid."), "error")
        return redirect(url_for("admin.users_import"))
    try:
        credentials = import_service.load_credentials(form.credentials.data, current_user)
    except StagedUploadGone as gone:
        flash(str(gone.args[0]), "error")
        return redirect(url_for("admin.users_import"))
    headers, rows = import_service.credentials_table(credentials)
    name = _("temporary-passwords")
    if form.fmt.data == "xlsx":
        return xlsx_response(f"{name}.xlsx", _("Temporary passwords"), headers, rows)
    return csv_response(f"{name}.csv", headers, rows)


@admin_bp.get("/users/import/template.csv", defaults={"fmt": "csv"})
@admin_bp.get("/users/import/template.xlsx", defaults={"fmt": "xlsx"})
@admin_required
def users_import_template(fmt: str):
    rows = _template_rows()
    if fmt == "xlsx":
        return xlsx_response("danh-sach-hoc-vien.xlsx", "Danh sách", TEMPLATE_HEADERS, rows)
    return csv_response("danh-sach-hoc-vien.csv", TEMPLATE_HEADERS, rows)


def _template_rows() -> list[list[str]]:
    """Two examples, using this installation's units when it has some: one by name, one by code."""
    units = [unit for unit, _depth in units_in_tree_order()]
    first = units[-1].name if units else "UBND xã Hà Trì"
    second = units[0].code if units else "SNV"
    return [["Lường Thị Đào", "", "luongthidao@example.org", first, "Công chức Văn phòng – Thống kê", "học viên"],
            ["Hoàng Văn Thụ", "thuhv", "thuhv@example.org", second, "Chuyên viên", "giảng viên"]]
