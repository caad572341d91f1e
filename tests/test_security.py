import re

from sqlalchemy import func, select

from lms import create_app
from lms.courses.models import Enrolment
from lms.extensions import db
from tests.conftest import _app_for


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_carry_no_inline_script_or_style(client, make, login, course):
    login(client, make.trainer())
    for url in ("/login", "/dashboard", "/courses", f"/courses/{course.slug}",
                f"/courses/{course.slug}/modules/{course.active_modules[0].key}"):
        page = client.get(url).get_data(as_text=True)
        assert "<script" not in page and " style=" not in page and "<style" not in page, url


def test_session_cookie_is_httponly_and_samesite(client, make):
    user = make.trainee()
    response = client.post("/login", data={"username": user.username, "password": make.PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_every_post_needs_a_csrf_token(database_url, make, course):
    app = _app_for(database_url, WTF_CSRF_ENABLED=True)
    with app.app_context():
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        forged = client.post("/login", data={"username": "x", "password": "y"})
        assert forged.status_code == 400
        assert "Đăng nhập" in forged.get_data(as_text=True) or "<html" in forged.get_data(as_text=True)
        user = make.trainee()
        ok = client.post("/login", data={"username": user.username, "password": make.PASSWORD,
                                         "csrf_token": token})
        assert ok.status_code == 302
        assert client.post(f"/courses/{course.slug}/enrol").status_code == 400
        assert db.session.scalar(select(func.count(Enrolment.id))) == 0


def test_errors_leak_nothing(database_url):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "e" * 40,
                                 "PROPAGATE_EXCEPTIONS": False})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    with app.app_context():
        response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internal detail" not in body and "Traceback" not in body
    assert '<html lang="vi">' in body


def test_healthz_checks_the_database(client, app):
    assert client.get("/healthz").json == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.db",
                                 "SECRET_KEY": "h" * 40})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503 and response.json["database"] == "unreachable"
