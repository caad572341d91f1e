"""Configuration classes. `LMS_ENV` picks one; every setting can be overridden from the environment.

Production fails fast: no default secret, no default database. Development and testing keep their data
under `instance/` so a fresh clone needs nothing but `make run`.
"""
from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("LMS_INSTANCE_DIR", BASE_DIR / "instance"))


class ConfigurationError(RuntimeError):
    """Raised when the environment does not describe a safe configuration."""


class BaseConfig:
    ENV_NAME = "base"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    # Each process keeps its own pool of database connections: at most pool size + overflow at once. Size
    # PostgreSQL's max_connections for every process of every host (docs/deployment.md). Unset: SQLAlchemy's 5 + 10.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, **{
        option: int(os.environ[variable]) for option, variable in
        (("pool_size", "LMS_DB_POOL_SIZE"), ("max_overflow", "LMS_DB_MAX_OVERFLOW")) if os.environ.get(variable)}}
    SQLITE_BUSY_TIMEOUT_MS = 5000

    # How many reverse proxies (nginx, a load balancer) stand in front of the app and set X-Forwarded-For,
    # -Proto and -Host. 0 trusts none of those headers: a client could forge them to dodge the per-address
    # rate limits. Set it to the real number, never more (lms/__init__.py wraps the app in ProxyFix).
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))

    # Sessions are signed cookies: any process holding SECRET_KEY can read them, so no sticky sessions.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "lms_session"
    PERMANENT_SESSION_LIFETIME = 60 * 60 * 12

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session; a long exam never loses its form

    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")

    # With Redis, rate limits are counted there (shared by every process) and bulk work (certificate
    # rendering, reminder email) goes on this RQ queue for `rq worker` (lms/jobs.py); without it, inline.
    REDIS_URL = os.environ.get("REDIS_URL") or None
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    JOB_QUEUE = os.environ.get("LMS_QUEUE", "lms")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_LOGIN = os.environ.get("RATELIMIT_LOGIN", "10 per minute")  # per client address

    # Saves and submits that left the browser before the deadline may arrive a little after it.
    QUIZ_GRACE_SECONDS = int(os.environ.get("LMS_QUIZ_GRACE_SECONDS", "30"))

    CONTENT_DIR = Path(os.environ.get("LMS_CONTENT_DIR", BASE_DIR / "content"))
    # Stored files (certificate PDFs, uploads) go through lms.storage; see README "Configuration".
    STORAGE_BACKEND = os.environ.get("LMS_STORAGE_BACKEND", "filesystem")
    STORAGE_DIR = Path(os.environ.get("LMS_STORAGE_DIR", INSTANCE_DIR / "storage"))

    # The address printed on certificates and in their QR codes: it must be the one the public reaches.
    PUBLIC_URL = os.environ.get("LMS_PUBLIC_URL", "http://127.0.0.1:5000")
    # Who issues certificates and signs them, as printed (and recorded on each certificate at issue).
    CERTIFICATE_AUTHORITY = os.environ.get("LMS_CERTIFICATE_AUTHORITY", "Ủy ban nhân dân tỉnh")
    CERTIFICATE_ISSUER = os.environ.get("LMS_CERTIFICATE_ISSUER", "Ban Thi đua – Khen thưởng tỉnh")
    CERTIFICATE_SIGNATORY_NAME = os.environ.get("LMS_CERTIFICATE_SIGNATORY_NAME", "")
    CERTIFICATE_SIGNATORY_TITLE = os.environ.get("LMS_CERTIFICATE_SIGNATORY_TITLE", "Trưởng ban")
    CERTIFICATE_PLACE = os.environ.get("LMS_CERTIFICATE_PLACE", "")  # "Hà Giang" in "Hà Giang, ngày …"
    CERTIFICATE_SERIAL_PREFIX = os.environ.get("LMS_CERTIFICATE_SERIAL_PREFIX", "CN")
    # Days before expiry at which a holder is reminded by email, each once.
    CERTIFICATE_REMINDER_DAYS = tuple(sorted(
        {int(day) for day in os.environ.get("LMS_CERTIFICATE_REMINDER_DAYS", "60,30,7").split(",") if day.strip()},
        reverse=True))
    RATELIMIT_VERIFY = os.environ.get("RATELIMIT_VERIFY", "30 per minute")  # per client address
    # The share of a training class's sessions a participant must attend to complete it (lms.classes.results).
    CLASS_ATTENDANCE_PERCENT = min(100, max(1, int(os.environ.get("LMS_CLASS_ATTENDANCE_PERCENT", "100"))))

    # Outgoing mail (expiry reminders). Without MAIL_SERVER nothing is sent and nothing is recorded as sent.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_STARTTLS = os.environ.get("MAIL_USE_STARTTLS", "") in ("1", "true", "yes")
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "") in ("1", "true", "yes")
    MAIL_FROM = os.environ.get("MAIL_FROM", "no-reply@localhost")
    MAIL_TIMEOUT_SECONDS = 20
    PREFERRED_URL_SCHEME = "http"
    SEND_FILE_MAX_AGE_DEFAULT = 60 * 60 * 24 * 7
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    DEMO_DATA_ALLOWED = False


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"
    DEBUG = False  # the debugger is opt-in (FLASK_DEBUG=1): it executes code for anyone who can reach it
    DEMO_DATA_ALLOWED = True
    CERTIFICATE_SIGNATORY_NAME = os.environ.get("LMS_CERTIFICATE_SIGNATORY_NAME", "Hoàng Văn Minh (mẫu)")


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"
    TESTING = True
    DEMO_DATA_ALLOWED = True
    RATELIMIT_STORAGE_URI = "memory://"
    REDIS_URL = None  # bulk work runs inline; a test of the queue passes its own Redis (tests/test_jobs.py)


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {c.ENV_NAME: c for c in (DevelopmentConfig, TestingConfig, ProductionConfig)}
MIN_SECRET_KEY_LENGTH = 32


def load_config(env_name: str | None = None, overrides: dict | None = None) -> dict:
    """Resolve the settings for one environment into a plain dict, refusing unsafe production set-ups."""
    env_name = env_name or os.environ.get("LMS_ENV", "development")
    if env_name not in CONFIGS:
        raise ConfigurationError(
            f"LMS_ENV={env_name!r} is not one of: {', '.join(sorted(CONFIGS))}"
        )
    cls = CONFIGS[env_name]
    settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}

    settings["SECRET_KEY"] = os.environ.get("SECRET_KEY") or settings["SECRET_KEY"]
    settings["SQLALCHEMY_DATABASE_URI"] = (
        os.environ.get("DATABASE_URL") or settings["SQLALCHEMY_DATABASE_URI"]
    )
    settings.update(overrides or {})

    if env_name == "production":
        secret = settings.get("SECRET_KEY") or ""
        if len(secret) < MIN_SECRET_KEY_LENGTH:
            raise ConfigurationError(
                "Production needs SECRET_KEY set to a random string of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if not settings.get("SQLALCHEMY_DATABASE_URI"):
            raise ConfigurationError(
                "Production needs DATABASE_URL, e.g. postgresql+psycopg://lms:…@127.0.0.1/lms"
            )
        if not os.environ.get("LMS_PUBLIC_URL") and "PUBLIC_URL" not in (overrides or {}):
            raise ConfigurationError(
                "Production needs LMS_PUBLIC_URL, the address the public reaches the platform at "
                "(it is printed on certificates and in their QR codes), e.g. https://taphuan.example.gov.vn"
            )
    else:
        if not settings.get("SQLALCHEMY_DATABASE_URI"):
            INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
            settings["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{INSTANCE_DIR / f'lms-{env_name}.sqlite3'}"
        if not settings.get("SECRET_KEY"):
            settings["SECRET_KEY"] = _instance_secret(env_name)
    settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(settings["SQLALCHEMY_DATABASE_URI"])
    settings["PUBLIC_URL"] = settings["PUBLIC_URL"].rstrip("/")
    if settings["PROXY_COUNT"] < 0:
        raise ConfigurationError("PROXY_COUNT is the number of reverse proxies in front of the app: 0 or more")
    return settings


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and route them to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _instance_secret(env_name: str) -> str:
    """Outside production, keep a random per-checkout key in instance/ rather than a default in code."""
    import secrets

    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / f"secret-key-{env_name}"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()
