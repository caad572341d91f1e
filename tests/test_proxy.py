"""PROXY_COUNT: behind nginx the client's address comes from X-Forwarded-For (the rate limits key on it);
with no proxy configured the header is the client's own and is ignored, so forging it gains nothing."""
from __future__ import annotations

import io
from contextlib import contextmanager

import pytest
from flask import request

from config import ConfigurationError
from lms.extensions import db, limiter
from tests.conftest import _app_for
from tests.factories import Factories

# The client put a forged address first; nginx appended the address it really saw.
FORWARDED = {"X-Forwarded-For": "198.51.100.66, 203.0.113.9", "X-Forwarded-Proto": "https",
             "X-Forwarded-Host": "taphuan.example.gov.vn", "X-Forwarded-Prefix": "/forged"}


@contextmanager
def app_behind(database_url: str, tmp_path, proxies: int):
    app = _app_for(database_url, PROXY_COUNT=proxies, STORAGE_DIR=tmp_path / "storage")

    @app.get("/_probe")
    def probe():
        return {"address": request.remote_addr, "scheme": request.scheme, "host": request.host,
                "root": request.script_root}

    limiter.reset()
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def probe(app, headers: dict) -> dict:
    return app.test_client().get("/_probe", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"}).json


def test_behind_one_proxy_the_app_sees_the_address_the_proxy_saw(database_url, tmp_path):
    with app_behind(database_url, tmp_path, proxies=1) as app:
        seen = probe(app, FORWARDED)

    assert seen == {"address": "203.0.113.9", "scheme": "https", "host": "taphuan.example.gov.vn", "root": ""}


def test_without_a_proxy_forwarded_headers_are_ignored(database_url, tmp_path):
    with app_behind(database_url, tmp_path, proxies=0) as app:
        seen = probe(app, FORWARDED)

    assert seen == {"address": "127.0.0.1", "scheme": "http", "host": "localhost", "root": ""}


def failed_logins(app, username: str, addresses: list[str]) -> list[int]:
    client = app.test_client()
    return [client.post("/login", data={"username": username, "password": "not-the-password"},
                        headers={"X-Forwarded-For": address}, environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code
            for address in addresses]


def test_behind_a_proxy_the_login_limit_counts_each_client_address(database_url, tmp_path):
    with app_behind(database_url, tmp_path, proxies=1) as app:
        user = Factories().trainee()
        limit = int(app.config["RATELIMIT_LOGIN"].split()[0])

        from_one_hall = failed_logins(app, user.username, ["203.0.113.9"] * (limit + 1))
        from_another = failed_logins(app, user.username, ["198.51.100.20"])

    assert from_one_hall[:limit] == [200] * limit and from_one_hall[limit] == 429
    assert from_another == [200]  # the proxy's own address (10.0.0.2) is not what is counted


def test_without_a_proxy_a_forged_header_cannot_dodge_the_login_limit(database_url, tmp_path):
    with app_behind(database_url, tmp_path, proxies=0) as app:
        user = Factories().trainee()
        limit = int(app.config["RATELIMIT_LOGIN"].split()[0])

        statuses = failed_logins(app, user.username, [f"198.51.100.{n}" for n in range(limit + 1)])

    assert statuses[:limit] == [200] * limit and statuses[limit] == 429


def test_a_negative_proxy_count_is_refused(database_url, tmp_path):
    with pytest.raises(ConfigurationError, match="PROXY_COUNT"):
        _app_for(database_url, PROXY_COUNT=-1)


def test_a_body_over_the_limit_gets_the_apps_own_page(client, app):
    """nginx lets bodies a little over MAX_CONTENT_LENGTH through (docs/deployment.md) so that the app,
    not nginx, tells the person, in their language, that the file is too large."""
    too_big = b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1)

    response = client.post("/login", data={"username": "a", "file": (io.BytesIO(too_big), "danh-sach.xlsx")},
                           content_type="multipart/form-data")

    assert response.status_code == 413
    assert "Tệp quá lớn" in response.get_data(as_text=True)  # "File too large", in the default Vietnamese
