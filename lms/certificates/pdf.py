"""Certificate PDFs: a trusted Jinja template, escaped values, WeasyPrint with a locked-down URL fetcher.

WeasyPrint would fetch whatever a document points at (files, web addresses, attachments). Here it only
ever receives the app's own template with every value escaped by Jinja, and its fetcher serves nothing but
the files in `assets/` under the `lms-asset:` scheme; everything else is refused and recorded.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import segno
from flask import current_app
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

ASSETS = (Path(__file__).resolve().parent / "assets").resolve()
ASSET_SCHEME = "lms-asset:"
ASSET_TYPES = {".ttf": "font/ttf", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


class RefusedURL(ValueError):
    pass


class AppAssetFetcher(URLFetcher):
    """Serves `lms-asset:<path>` from the assets folder; refuses file:, http(s):, data: and all else."""

    def __init__(self):
        super().__init__(allowed_protocols={ASSET_SCHEME.rstrip(":")}, allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        path = self._asset_path(url)
        if path is None:
            self.refused.append(url)
            raise RefusedURL(f"certificate documents may only use the app's own assets, not {url[:200]!r}")
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": ASSET_TYPES[path.suffix]})

    @staticmethod
    def _asset_path(url: str) -> Path | None:
        if not url.startswith(ASSET_SCHEME):
            return None
        name = url[len(ASSET_SCHEME):].lstrip("/")
        if "?" in name or "#" in name or "\\" in name or "%" in name:
            return None
        path = (ASSETS / name).resolve()
        if not path.is_relative_to(ASSETS) or path.suffix not in ASSET_TYPES or not path.is_file():
            return None
        return path


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


def render_pdf(html: str, fetcher: AppAssetFetcher | None = None) -> bytes:
    """Any HTML to PDF through the locked-down fetcher, with no attachments whatever the markup asks."""
    fetcher = fetcher or AppAssetFetcher()
    document = HTML(string=html, base_url=None, url_fetcher=fetcher).render()
    document.metadata.attachments = []  # a <link rel="attachment"> never embeds anything, even an asset
    return document.write_pdf()


def render_certificate_pdf(content: CertificateContent) -> bytes:
    return render_pdf(certificate_html(content))


def verify_url(code: str) -> str:
    return f"{current_app.config['PUBLIC_URL']}/verify/{code}"
