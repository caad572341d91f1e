"""Vietnamese by default, English on request, the choice sticks; every string has a Vietnamese text."""
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.pofile import read_po
from sqlalchemy import select

from lms.accounts.models import User
from lms.extensions import db

ROOT = Path(__file__).resolve().parent.parent


def test_login_page_is_vietnamese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in page
    assert "Đăng nhập" in page


def test_switching_to_english_sticks_in_the_session_and_the_account(app, make, login):
    user = make.trainee()
    browser = app.test_client()
    login(browser, user)
    browser.post("/language", data={"lang": "en", "next": "/dashboard"})
    assert '<html lang="en">' in browser.get("/dashboard").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "en"
    # A new device: the account remembers the choice after signing in.
    other = app.test_client()
    login(other, user)
    assert '<html lang="en">' in other.get("/dashboard").get_data(as_text=True)


def test_language_switch_refuses_unknown_languages_and_foreign_redirects(client):
    response = client.post("/language", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302 and response.location == "/"
    assert '<html lang="vi">' in client.get("/login").get_data(as_text=True)


def test_every_message_has_a_vietnamese_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."], cwd=ROOT, check=True)
    with open(pot, "rb") as f:
        extracted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    with open(ROOT / "lms/translations/vi/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f)
    translated = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalog
                  if m.id and m.string and all(m.string if isinstance(m.string, tuple) else [m.string])
                  and not m.fuzzy}
    missing = sorted(extracted - translated)
    assert missing == [], f"untranslated for vi (run make extract-messages and translate): {missing[:10]}"


def test_dates_read_dd_mm_yyyy_in_vietnamese(app):
    from lms.site.formatting import format_day

    with app.test_request_context("/"):
        # 23:30 UTC on 31 Dec is already 1 January in Hà Nội.
        assert format_day(datetime(2025, 12, 31, 23, 30, tzinfo=timezone.utc)) == "01/01/2026"


def test_english_interface_has_no_vietnamese_leftovers_in_chrome(app, make, login, course):
    user = make.trainee()
    browser = app.test_client()
    login(browser, user)
    browser.post("/language", data={"lang": "en"})
    page = browser.get("/dashboard").get_data(as_text=True)
    assert "My learning" in page and "Sign out" in page
    assert db.session.scalar(select(User.locale).where(User.id == user.id)) == "en"
