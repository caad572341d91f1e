from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from lms.accounts import services
from lms.accounts.access import admin_required
from lms.accounts.forms import LoginForm, PasswordChangeForm, UserCreateForm
from lms.accounts.models import OrgUnit, Role, UnitType
from lms.accounts.passwords import generate_password
from lms.extensions import db, limiter
from lms.site.safety import safe_next_url

auth_bp = Blueprint("auth", __name__, template_folder="templates")
admin_bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


def _login_key() -> str:
    # Per address *and* username: a whole training hall behind one NAT address can still sign in at once.
    from flask_limiter.util import get_remote_address

    return f"{get_remote_address()}|{services.normalise_username(request.form.get('username', ''))}"


def _fresh_session() -> None:
    """Drop everything from the previous session except the language the person chose."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@auth_bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"], key_func=_login_key)
def login():
    next_url = safe_next_url(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("courses.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None:
            _fresh_session()
            login_user(user)
            if user.must_change_password:
                return redirect(url_for("auth.change_password"))
            return redirect(next_url or url_for("courses.dashboard"))
        flash(_("Wrong username or password."), "error")
    return render_template("accounts/login.html", form=form)


@auth_bp.post("/logout")
@login_required
def logout():
    # CSRFProtect has already checked the token of this POST (as of every POST in the app).
    services.end_sessions(current_user)
    logout_user()
    _fresh_session()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


# What someone with an admin-given temporary password may still reach before choosing their own.
_ALLOWED_BEFORE_NEW_PASSWORD = {"auth.change_password", "auth.logout", "static", "site.switch_language",
                                "site.healthz"}


@auth_bp.before_app_request
def require_own_password():
    if request.endpoint in _ALLOWED_BEFORE_NEW_PASSWORD or request.endpoint is None:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return None


@auth_bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()  # the real User, not the request-bound proxy
        try:
            services.change_password(user, form.current_password.data, form.new_password.data)
        except services.AccountError as error:
            getattr(form, error.field or "new_password").errors.append(str(error.message))
        else:
            login_user(user)  # keep this session, with the new token
            flash(_("Your password has been changed. Other sessions have been signed out."), "success")
            return redirect(url_for("courses.dashboard"))
    return render_template("accounts/password.html", form=form)


# --- admin: people and units (fuller management arrives with the admin issue) -------------------------

def _unit_choices(blank_label: str | None = None) -> list[tuple[int, str]]:
    choices = [(unit.id, "\u2003" * depth + unit.name) for unit, depth in services.units_in_tree_order()]
    return ([(0, blank_label)] if blank_label is not None else []) + choices


@admin_bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def create_user():
    form = UserCreateForm()
    form.org_unit_id.choices = _unit_choices()
    if form.validate_on_submit():
        password = generate_password()
        try:
            user = services.create_user(
                full_name=form.full_name.data, username=form.username.data, email=form.email.data,
                password=password, role=Role(form.role.data), position=form.position.data or "",
                unit=db.session.get(OrgUnit, form.org_unit_id.data))
        except services.AccountError as error:
            getattr(form, error.field or "full_name").errors.append(str(error.message))
        else:
            # Rendered, not redirected: the password is shown this once and never stored in a cookie.
            return render_template("accounts/admin_user_created.html", user=user, password=password)
    return render_template("accounts/admin_user_new.html", form=form)


@auth_bp.app_context_processor
def account_labels():
    from lms.accounts.forms import role_choices, unit_type_choices

    roles, unit_types = dict(role_choices()), dict(unit_type_choices())
    return {"role_label": lambda role: roles[Role(role).value],
            "unit_type_label": lambda kind: unit_types[UnitType(kind).value]}


# The admin's people and unit pages live in their own module, on admin_bp.
from lms.accounts import admin_views  # noqa: E402,F401 - importing registers the routes
from lms.accounts import import_views  # noqa: E402,F401 - the bulk import of people, also on admin_bp
