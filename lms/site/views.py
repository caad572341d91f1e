from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, session, url_for
from flask_login import current_user
from sqlalchemy import text

from lms.accounts import services as account_services
from lms.extensions import db
from lms.site.forms import LanguageForm
from lms.site.safety import safe_next_url

site_bp = Blueprint("site", __name__)


@site_bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("courses.dashboard"))
    return redirect(url_for("auth.login"))


@site_bp.post("/language")
def switch_language():
    """Works without JavaScript: two submit buttons, one per language; the choice sticks to the account."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            account_services.set_locale(current_user, form.lang.data)
    return redirect(safe_next_url(form.next.data) or url_for("site.index"))


@site_bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
