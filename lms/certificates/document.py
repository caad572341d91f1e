"""What a certificate says, and its HTML: the values printed on it, their formats and the QR code.

Kept apart from WeasyPrint (pdf.py) so that pages, emails and reports that only format a code or a date do
not load it: WeasyPrint and its fonts add ~26 MB to a process, and a web worker only needs them when it renders.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import segno
from flask import current_app
from markupsafe import Markup


@dataclass(frozen=True)
class CertificateContent:
    """Everything printed on a certificate. The template receives this and nothing else."""

    holder_name: str
    unit_name: str
    course_title: str
    completed_on: date
    score_percent: float | None
    completion_note: str
    authority_name: str
    issuer_name: str
    signatory_name: str
    signatory_title: str
    place: str
    issued_on: date
    valid_until: date | None
    serial: str
    code: str
    verify_url: str
    sample: bool = False
    # An English edition's certificate: the Vietnamese document with each label translated beneath, so a
    # foreign partner can read it and it remains the Board's own Vietnamese document.
    english: bool = False

    @property
    def printed_code(self) -> str:
        return format_code(self.code)


def format_code(code: str) -> str:
    """ABCD-EFGH-JKMN-PQRS: groups of four are easy to read aloud and to type."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def vietnamese_long_date(day: date) -> str:
    # Administrative documents write the day and month with two digits: "ngày 05 tháng 11 năm 2026".
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def short_date(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def format_score(value: float) -> str:
    rounded = round(value, 1)
    text = str(int(rounded)) if float(rounded).is_integer() else f"{rounded:.1f}".replace(".", ",")
    return f"{text}/100"


def qr_svg(url: str) -> Markup:
    """The QR code as inline SVG: drawn by segno from our own URL, so nothing is fetched to draw it."""
    return Markup(segno.make(url, error="m", micro=False).svg_inline(scale=4, border=0, dark="#111"))


def certificate_html(content: CertificateContent) -> str:
    # Straight from the app's Jinja environment (autoescaping on for .html): no request, no context
    # processors, so the CLI and a background job render exactly what a web request would.
    template = current_app.jinja_env.get_template("certificates/pdf.html")
    return template.render(c=content, qr=qr_svg(content.verify_url), long_date=vietnamese_long_date,
                           short_date=short_date, score=format_score)


def verify_url(code: str) -> str:
    return f"{current_app.config['PUBLIC_URL']}/verify/{code}"
