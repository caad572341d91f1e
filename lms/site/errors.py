"""Error pages in the user's language that say what happened and leak nothing about the internals."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from lms.extensions import db

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Not allowed"), _l("Your account does not have access to this page.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist or has moved.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (_l("File too large"), _l("The file you sent is larger than allowed.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Wait a minute and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. It has been logged; please try "
                                         "again in a moment.")),
}


def wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def render_error(status: int, detail=None):
    title, message = MESSAGES.get(status, MESSAGES[500])
    return render_template("errors/error.html", status=status, title=title,
                           message=detail or message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = _l("The form had expired or was sent from elsewhere, so nothing was changed. Reload the "
                     "page and try again.")
        if wants_json():  # the quiz autosave script shows the message instead of a page
            return jsonify(ok=False, reason="csrf", message=str(message)), 400
        return render_error(400, message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith("/static/"):
            return error
        return render_error(error.code or 500)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500)
