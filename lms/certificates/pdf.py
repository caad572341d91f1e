"""Certificate PDFs: a trusted Jinja template, escaped values, WeasyPrint with a locked-down URL fetcher.

WeasyPrint would fetch whatever a document points at (files, web addresses, attachments). Here it only
ever receives the app's own template with every value escaped by Jinja, and its fetcher serves nothing but
the files in `assets/` under the `lms-asset:` scheme; everything else is refused and recorded.
"""
from __future__ import annotations

import atexit
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from lms.certificates.document import CertificateContent, certificate_html

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


def render_pdf(html: str, fetcher: AppAssetFetcher | None = None, *, stylesheets: list[CSS] | None = None,
               font_config: FontConfiguration | None = None) -> bytes:
    """Any HTML to PDF through the locked-down fetcher, with no attachments whatever the markup asks."""
    fetcher = fetcher or AppAssetFetcher()
    document = HTML(string=html, base_url=None, url_fetcher=fetcher).render(
        font_config=font_config, stylesheets=stylesheets)
    document.metadata.attachments = []  # a <link rel="attachment"> never embeds anything, even an asset
    return document.write_pdf()


@dataclass(frozen=True)
class _CertificateStyle:
    font_config: FontConfiguration
    stylesheet: CSS
    made_at: float


# What every certificate shares, made once per process: WeasyPrint's default is a new FontConfiguration per
# document, which copies the five fonts to a temporary folder and loads them into a fresh Pango font map with
# cold caches, and a process's memory then grew about 0.3 MB a document; the stylesheet is parsed once too.
# Measured: a quarter less CPU per certificate (the stylesheet's flex rule saves half of the rest), and the
# memory stays flat.
_style: _CertificateStyle | None = None
# Pango and Fontconfig objects are not to be shared between threads at once (a web worker has several):
# renders in one process take turns. A render is CPU work under the GIL anyway; bulk issuing uses processes.
_style_lock = threading.Lock()
# The fonts live in a temporary folder for as long as the FontConfiguration does; made afresh every hour so
# a long-lived web worker never depends on files a /tmp cleaner might have removed meanwhile.
STYLE_MAX_AGE_SECONDS = 3600


def _certificate_style() -> _CertificateStyle:
    """Under _style_lock."""
    global _style
    if _style is not None and time.monotonic() - _style.made_at > STYLE_MAX_AGE_SECONDS:
        _drop_style()
    if _style is None:
        font_config = FontConfiguration()
        stylesheet = CSS(url=f"{ASSET_SCHEME}certificate.css", url_fetcher=AppAssetFetcher(), font_config=font_config)
        _style = _CertificateStyle(font_config, stylesheet, time.monotonic())
    return _style


def _drop_style() -> None:
    """Under _style_lock. Removes the fonts' folder now: WeasyPrint removes it when the FontConfiguration is
    collected, which neither an ending interpreter nor os._exit (below) promises."""
    global _style
    folder = getattr(_style.font_config, "_folder", None) if _style is not None else None
    _style = None
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


@atexit.register
def release_fonts() -> None:
    """Lets the fonts go (the next render loads them again): when the process ends normally, and at the end
    of a job, since an `rq worker` job runs in a forked process that ends with os._exit, skipping atexit."""
    locked = _style_lock.acquire(timeout=10)  # never hang an exiting process on a render stuck in a thread
    try:
        _drop_style()
    finally:
        if locked:
            _style_lock.release()


def render_certificate_html(html: str) -> bytes:
    """A certificate's HTML (from certificate_html) to PDF, with the certificate's stylesheet and fonts loaded
    once per process. A module-level function of plain values, so a process pool can run it (see bulk.py)."""
    with _style_lock:
        style = _certificate_style()
        return render_pdf(html, stylesheets=[style.stylesheet], font_config=style.font_config)


def warm_up() -> None:
    """Load the fonts and stylesheet now (a render process does it as it starts, not at its first job)."""
    with _style_lock:
        _certificate_style()


def render_certificate_pdf(content: CertificateContent) -> bytes:
    return render_certificate_html(certificate_html(content))
