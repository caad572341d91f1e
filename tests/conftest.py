"""Fixtures: a migrated database per test (SQLite file copy, or a truncated PostgreSQL schema), the app,
clients, a CLI runner, log-in helpers and factories.

Set TEST_DATABASE_URL=postgresql+psycopg://… to run the whole suite on PostgreSQL.
"""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_migrate import upgrade

from lms import create_app
from lms.extensions import db, limiter
from tests.factories import Factories

ROOT = Path(__file__).resolve().parent.parent
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_SECRET = "test-" + uuid.uuid4().hex * 2


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production.

    The tests hold an app context open (for factories and queries); without this, requests would reuse
    it, and `g` (where Flask-Login keeps the signed-in user) and the database session would leak from one
    client to the next.
    """

    def open(self, *args, **kwargs):
        token = _cv_app.set(None)
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)
            if _cv_app.get(None) is not None:
                db.session.expire_all()  # what the request committed is what the test reads next


def _app_for(url: str, **overrides):
    settings = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": TEST_SECRET, "WTF_CSRF_ENABLED": False,
                "CONTENT_DIR": ROOT / "content"}
    settings.update(overrides)
    app = create_app("testing", settings)
    app.test_client_class = IsolatedClient
    return app


def _with_search_path(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """Run the real migrations once; each test then gets a copy (SQLite) or a truncated schema (PostgreSQL)."""
    if TEST_DATABASE_URL:
        schema = f"lms_test_{os.getpid()}"
        admin = sa.create_engine(TEST_DATABASE_URL)
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = _with_search_path(TEST_DATABASE_URL, schema)
        app = _app_for(url)
        with app.app_context():
            upgrade()
            db.engine.dispose()
        yield {"kind": "postgresql", "url": url, "schema": schema}
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
    else:
        template = tmp_path_factory.mktemp("db") / "template.sqlite3"
        app = _app_for(f"sqlite:///{template}")
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:  # fold the WAL into the main file before it is copied
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            db.engine.dispose()
        yield {"kind": "sqlite", "template": template}


def _fresh_database_url(migrated: dict, tmp_path: Path) -> str:
    if migrated["kind"] == "sqlite":
        target = tmp_path / "lms.sqlite3"
        shutil.copyfile(migrated["template"], target)
        return f"sqlite:///{target}"
    engine = sa.create_engine(migrated["url"])
    with engine.begin() as conn:
        tables = [name for name in sa.inspect(conn).get_table_names() if name != "alembic_version"]
        conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()
    return migrated["url"]


@pytest.fixture
def database_url(migrated_database, tmp_path) -> str:
    return _fresh_database_url(migrated_database, tmp_path)


@pytest.fixture
def app(database_url, tmp_path):
    app = _app_for(database_url, STORAGE_DIR=tmp_path / "storage")
    limiter.reset()
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app) -> Factories:
    return Factories()


@pytest.fixture
def login(app):
    """login(client, user) signs the user in through the real form."""

    def do_login(client, user, password: str | None = None):
        response = client.post("/login", data={"username": user.username,
                                               "password": password or Factories.PASSWORD})
        assert response.status_code == 302, "log-in failed in a test helper"
        return response

    return do_login


@pytest.fixture
def course(make):
    """The starter course imported from content/, as a fresh install has it."""
    return make.starter_course()
