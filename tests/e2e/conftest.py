"""A live server on a free port and Debian's Chromium driven by Playwright (no browser download)."""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from lms.accounts.demo import seed_demo
from lms.courses import services as course_services
from tests.conftest import ROOT, _app_for

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
# Without these, Chromium keeps trying to reach Google's services, which a closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make browser` (apt-get install chromium).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(database_url, tmp_path):
    """The real app (CSRF on) with the shipped content and demo accounts, served from a thread."""
    app = _app_for(database_url, WTF_CSRF_ENABLED=True, STORAGE_DIR=tmp_path / "storage")
    with app.app_context():
        course_services.import_content(ROOT / "content")
        seed_demo()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"  # what the QR codes point at
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shoot():
    """shoot(page, name) saves a full-page screenshot under tests/e2e/screenshots/ (git-ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
