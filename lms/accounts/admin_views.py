"""The admin's pages for people and units: find, edit, deactivate, reset a password; the unit tree."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.accounts import admin_services, directory, services
from lms.accounts.access import admin_required
from lms.accounts.forms import PeopleFilterForm, UnitCreateForm, UnitEditForm, UserEditForm
from lms.accounts.models import OrgUnit, Role, UnitType, User
from lms.accounts.views import _unit_choices, admin_bp
from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.site.forms import ActionForm

PEOPLE_PER_PAGE = 50


def _user_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


# --- people ---------------------------------------------------------------------------------------------

def _people_filter() -> tuple[PeopleFilterForm, directory.PeopleFilter]:
    form = PeopleFilterForm(request.args)
    form.unit.choices = [("", _("All units"))] + [(unit_id, label) for unit_id, label in _unit_choices()]
    if request.args and not form.validate():
        return form, directory.PeopleFilter()  # a tampered address shows everyone, with the errors
    return form, directory.PeopleFilter(text=form.q.data or "", unit_id=form.unit.data,
                                        role=form.role.data or "", status=form.status.data or "")


@admin_bp.get("/users")
@admin_required
def users():
    form, criteria = _people_filter()
    counts = directory.status_counts(criteria)
    # The status counts already hold the total: no second COUNT over the same search.
    page = db.paginate(directory.people_query(criteria), per_page=PEOPLE_PER_PAGE, error_out=False, count=False)
    page.total = counts.get(criteria.status or "all", counts["all"])
    query_args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("accounts/admin_users.html", form=form, page=page, query_args=query_args,
                           counts=counts, status_args={k: v for k, v in query_args.items() if k != "status"})


def _edit_form(user: User) -> UserEditForm:
    """Filled from the account on GET; on POST only what was sent counts (a missing field is an error)."""
    form = UserEditForm() if request.method == "POST" else UserEditForm(data={
        "full_name": user.full_name, "username": user.username, "email": user.email, "position": user.position,
        "role": user.role.value, "org_unit_id": user.org_unit_id or 0})
    form.org_unit_id.choices = _unit_choices(blank_label=_("— no unit —"))
    return form


def _edit_page(user: User, form: UserEditForm, status: int = 200):
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "user", AuditEvent.object_id == str(user.id))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(10)).all()
    return render_template("accounts/admin_user_edit.html", person=user, form=form, action_form=ActionForm(),
                           events=events), status


@admin_bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def edit_user(user_id: int):
    user = _user_or_404(user_id)
    form = _edit_form(user)
    if form.validate_on_submit():
        try:
            admin_services.update_user(
                user, full_name=form.full_name.data, username=form.username.data, email=form.email.data,
                position=form.position.data or "", role=Role(form.role.data),
                unit=db.session.get(OrgUnit, form.org_unit_id.data) if form.org_unit_id.data else None,
                actor=current_user)
        except services.AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "full_name").errors.append(str(error.message))
        else:
            flash(_("Changes to %(name)s saved.", name=user.full_name), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return _edit_page(user, form)


def _account_action(user_id: int, act, done_message):
    """Deactivate or reactivate: a bare button (CSRF only), then back to the person's page."""
    user = _user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        act(user, actor=current_user)
    except services.AccountError as error:
        db.session.rollback()
        flash(str(error.message), "error")
    else:
        flash(done_message(user), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@admin_bp.post("/users/<int:user_id>/deactivate")
@admin_required
def deactivate_user(user_id: int):
    return _account_action(user_id, admin_services.deactivate_user, lambda user: _(
        "%(name)s can no longer sign in; every session they had has ended. Their records are kept.",
        name=user.full_name))


@admin_bp.post("/users/<int:user_id>/reactivate")
@admin_required
def reactivate_user(user_id: int):
    return _account_action(user_id, admin_services.reactivate_user,
                           lambda user: _("%(name)s can sign in again.", name=user.full_name))


@admin_bp.post("/users/<int:user_id>/reset-password")
@admin_required
def reset_password(user_id: int):
    user = _user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        password = admin_services.reset_password(user, actor=current_user)
    except services.AccountError as error:
        flash(str(error.message), "error")
        return redirect(url_for("admin.edit_user", user_id=user.id))
    # Rendered, not redirected: the password is shown this once and never kept in a cookie or the log.
    return render_template("accounts/admin_password_reset.html", person=user, password=password)


# --- units ----------------------------------------------------------------------------------------------

@admin_bp.route("/units", methods=["GET", "POST"])
@admin_required
def units():
    form = UnitCreateForm()
    form.parent_id.choices = _unit_choices(blank_label=_("— none (top level) —"))
    if form.validate_on_submit():
        try:
            unit = services.create_unit(name=form.name.data, code=form.code.data,
                                        unit_type=UnitType(form.unit_type.data),
                                        parent=db.session.get(OrgUnit, form.parent_id.data or 0))
        except services.AccountError as error:
            getattr(form, error.field or "name").errors.append(str(error.message))
        else:
            flash(_("Unit %(name)s created.", name=unit.name), "success")
            return redirect(url_for("admin.units"))
    return render_template("accounts/admin_units.html", form=form, tree=services.units_in_tree_order(),
                           member_counts=directory.unit_member_counts())


@admin_bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@admin_required
def edit_unit(unit_id: int):
    unit = db.get_or_404(OrgUnit, unit_id)
    form = UnitEditForm() if request.method == "POST" else UnitEditForm(data={
        "name": unit.name, "unit_type": unit.unit_type.value, "parent_id": unit.parent_id or 0})
    inside = services.unit_subtree_ids(unit.id)
    # A unit's own branch is listed but cannot be picked: moving there would make a loop.
    form.parent_id.choices = [(0, _("— none (top level) —"), {})] + [
        (choice.id, "\u2003" * depth + choice.name, {"disabled": True} if choice.id in inside else {})
        for choice, depth in services.units_in_tree_order()]
    if form.validate_on_submit():
        try:
            admin_services.update_unit(unit, name=form.name.data, unit_type=UnitType(form.unit_type.data),
                                       parent=db.session.get(OrgUnit, form.parent_id.data or 0),
                                       actor=current_user)
        except services.AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "name").errors.append(str(error.message))
        else:
            flash(_("Unit %(name)s saved.", name=unit.name), "success")
            return redirect(url_for("admin.units"))
    counts = directory.unit_member_counts().get(unit.id, (0, 0))
    return render_template("accounts/admin_unit_edit.html", unit=unit, form=form, counts=counts)
