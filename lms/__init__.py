"""Application factory: configuration, extensions, blueprints, CLI, error handlers, security headers."""
from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import load_config
from lms.extensions import babel, csrf, db, limiter, login_manager, migrate

# No inline script or style anywhere: every asset is a file under /static, so the CSP can forbid inline code.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
                           "frame-ancestors 'none'")


def create_app(env_name: str | None = None, overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(load_config(env_name, overrides))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {"timeout": app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"),
                     render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: app.config[
        "BABEL_DEFAULT_TIMEZONE"])
    _init_login(app)

    from lms.accounts.views import admin_bp, auth_bp
    from lms.audit.views import audit_bp
    from lms.authoring.views import authoring_bp
    from lms.certificates.views import certificate_admin_bp, certificates_bp
    from lms.classes.views import classes_bp
    from lms.courses.views import courses_bp
    from lms.notifications.views import notifications_bp
    from lms.qa.views import qa_bp
    from lms.quizzes.views import quizzes_bp
    from lms.reports.views import reports_bp
    from lms.site.views import site_bp

    for blueprint in (site_bp, auth_bp, admin_bp, courses_bp, quizzes_bp, certificates_bp, certificate_admin_bp,
                      classes_bp, reports_bp, audit_bp, authoring_bp, qa_bp, notifications_bp):
        app.register_blueprint(blueprint)

    from lms.cli import register_commands

    register_commands(app)

    from lms.site.errors import register_error_handlers
    from lms.site.formatting import register_template_helpers

    register_error_handlers(app)
    register_template_helpers(app)
    _trust_proxies(app)
    app.after_request(_security_headers)
    return app


def _trust_proxies(app: Flask) -> None:
    """Take the client's address, scheme and host from the headers the last PROXY_COUNT proxies set.

    Only the headers the documented nginx set (and overwrite) are trusted: X-Forwarded-For (the rate
    limits key on the address), -Proto (HTTPS) and -Host. Not -Port or -Prefix: nginx passes a client's
    own copy of a header it does not set, so trusting those would let a client forge them. With 0 proxies
    nothing is trusted: requests come straight from clients, and any such header is theirs to forge.
    """
    count = app.config["PROXY_COUNT"]
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=0, x_prefix=0)


def select_locale() -> str:
    """The language chosen with the switch, else the account's, else Vietnamese."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang") if request else None
    if chosen in languages:
        return chosen
    if request and current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _init_login(app: Flask) -> None:
    from lms.accounts.services import load_user_from_session

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user_from_session)

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to see this page.")


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint != "static":
        # Personal pages must not be kept by shared proxies or the back button of a shared computer.
        response.headers.setdefault("Cache-Control", "no-store")
    lang = str(get_locale() or "vi")
    response.headers.setdefault("Content-Language", lang)
    return response


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL lets readers and the one writer work together (the busy timeout is set via connect_args)."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
