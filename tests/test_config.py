import pytest

from config import ConfigurationError, load_config
from lms import create_app


def test_production_refuses_a_missing_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://lms@127.0.0.1/lms")
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app("production")


def test_production_refuses_a_short_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 31)
    monkeypatch.setenv("DATABASE_URL", "postgresql://lms@127.0.0.1/lms")
    with pytest.raises(ConfigurationError, match="at least 32"):
        load_config("production")


def test_production_refuses_a_missing_database_url(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        load_config("production")


def test_production_refuses_a_missing_public_url(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgres://lms@127.0.0.1/lms")
    monkeypatch.delenv("LMS_PUBLIC_URL", raising=False)
    with pytest.raises(ConfigurationError, match="LMS_PUBLIC_URL"):
        load_config("production")


def test_production_starts_with_all_three_and_secures_the_cookie(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgres://lms@127.0.0.1/lms")
    monkeypatch.setenv("LMS_PUBLIC_URL", "https://taphuan.example.gov.vn/")
    settings = load_config("production")
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("LMS_ENV", "staging")
    with pytest.raises(ConfigurationError, match="staging"):
        load_config()


def test_development_defaults_to_sqlite_in_instance(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr("config.INSTANCE_DIR", tmp_path)
    settings = load_config("development")
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'lms-development.sqlite3'}"
    assert len(settings["SECRET_KEY"]) >= 32, "development keeps a random key, not a default in the code"
    assert load_config("development")["SECRET_KEY"] == settings["SECRET_KEY"], "the key survives restarts"


def test_environment_overrides_apply_everywhere(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    for env in ("development", "testing"):
        settings = load_config(env)
        assert settings["SQLALCHEMY_DATABASE_URI"].endswith("x.db")
        assert settings["SECRET_KEY"] == "k" * 40


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app):
    from lms.extensions import db

    if db.engine.dialect.name != "sqlite":
        assert db.engine.dialect.name == "postgresql"
        return
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == app.config["SQLITE_BUSY_TIMEOUT_MS"]
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
