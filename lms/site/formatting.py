"""Template helpers: dates as people in Vietnam write them, the current language, the language switch."""
from __future__ import annotations

from datetime import date, datetime

from flask import Flask, request
from flask_babel import format_date, format_datetime, get_locale

from lms.site.forms import LanguageForm

DATE_PATTERNS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
MOMENT_PATTERNS = {"vi": "HH:mm dd/MM/yyyy", "en": "d MMM yyyy, HH:mm"}


def _lang() -> str:
    return str(get_locale() or "vi")


def format_day(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if not isinstance(value, datetime):  # a calendar day (valid until, completed on): no clock to convert
        return format_date(value, DATE_PATTERNS.get(_lang(), DATE_PATTERNS["vi"]))
    return format_datetime(value, DATE_PATTERNS.get(_lang(), DATE_PATTERNS["vi"]))


def format_moment(value: datetime | None) -> str:
    """A date and time on the province's clock (Asia/Ho_Chi_Minh), as people there write it."""
    if value is None:
        return ""
    return format_datetime(value, MOMENT_PATTERNS.get(_lang(), MOMENT_PATTERNS["vi"]))


def register_template_helpers(app: Flask) -> None:
    app.add_template_filter(format_day, "day")
    app.add_template_filter(format_moment, "moment")

    @app.context_processor
    def inject_language():
        # Never read the request's own form: this runs for error pages too, and reading the body of a
        # request over MAX_CONTENT_LENGTH would turn its friendly 413 page into a 500.
        form = LanguageForm(formdata=None)
        form.next.data = request.full_path.rstrip("?") if request else "/"
        return {"current_lang": _lang(), "language_form": form}
