"""Scale-out: two app instances (two gunicorn processes on two ports, production configuration) against one
PostgreSQL and one Redis, spoken to over real HTTP. A sign-in made through one is valid on the other, a
rate limit counts across both, and bulk certificate rendering queued through one is done by `rq worker`.

This test always uses PostgreSQL (a private schema of the test database) and Redis (database 10), under
`make test` as under `make test-postgres`; it fails, saying which, when either is unreachable.
"""
from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from datetime import date, time as clock
from http.cookiejar import CookieJar, DefaultCookiePolicy
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select

from lms import create_app
from lms.certificates.models import Certificate
from lms.classes import roster
from lms.classes import services as class_services
from lms.courses import services as course_services
from lms.courses.models import Course
from lms.db import utcnow
from lms.extensions import db
from tests.factories import ROOT, STARTER_SLUG, Factories

BIN = Path(sys.executable).parent  # the venv's bin/: gunicorn and rq beside the python running the tests
# The suite's PostgreSQL under `make test-postgres`, else the same default database as the Makefile's.
POSTGRES_URL = next(url for url in (os.environ.get("TEST_DATABASE_URL", ""), os.environ.get("POSTGRES_TEST_URL", ""),
                                    "postgresql+psycopg://postgres@127.0.0.1:5432/test")
                    if url.startswith("postgres"))
REDIS_URL = "redis://127.0.0.1:6379/10"
LOGIN_LIMIT = 4  # per minute, per address and username, for the whole deployment
DEADLINE_SECONDS = 45


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def output(self) -> str:
        return f"--- {self.name} (exit {self.popen.poll()}) ---\n" + self.log.read_text(errors="replace")[-6000:]


@dataclass
class Deployment:
    env: dict
    storage: Path
    tmp: Path
    processes: list[Process] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def start(self, name: str, command: list[str]) -> Process:
        log = self.tmp / f"{name}.log"
        popen = subprocess.Popen(command, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL,
                                 stdout=log.open("wb"), stderr=subprocess.STDOUT)
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def start_instance(self, name: str) -> str:
        port = free_port()
        self.start(name, [str(BIN / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{port}",
                          "--log-level", "warning", "wsgi:app"])
        url = f"http://127.0.0.1:{port}"
        self.urls.append(url)
        return url

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + DEADLINE_SECONDS
        for url, process in zip(self.urls, self.processes, strict=True):
            while True:
                if process.popen.poll() is not None:
                    pytest.fail(f"{process.name} exited before serving\n{self.logs()}")
                try:
                    with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:  # not listening yet, or its worker still loading the app
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"{process.name} did not answer /healthz at {url} in time\n{self.logs()}")
                time.sleep(0.2)

    def logs(self) -> str:
        return "\n".join(process.output() for process in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            if process.popen.poll() is None:
                process.popen.terminate()
        for process in self.processes:
            try:
                process.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait()


class Browser:
    """One person's browser: a cookie jar shared by both instances, as behind one proxy address."""

    def __init__(self):
        # The production cookie is Secure; the proxy in front speaks HTTPS, this test speaks HTTP on loopback.
        self.jar = CookieJar(DefaultCookiePolicy(secure_protocols=("https", "wss", "http")))
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, url: str, data: dict | None = None) -> tuple[int, str, bytes]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(url, data=body, timeout=30) as response:
                content = response.read()
                return response.status, response.geturl(), content
        except urllib.error.HTTPError as error:
            return error.code, url, error.read()

    def get(self, url: str) -> tuple[int, str]:
        status, _url, content = self.request(url)
        return status, content.decode()

    def csrf_token(self, url: str) -> str:
        status, page = self.get(url)
        assert status == 200, f"GET {url}: {status}"
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def post_form(self, page_url: str, action_url: str, data: dict) -> tuple[int, str]:
        status, _url, content = self.request(action_url, {"csrf_token": self.csrf_token(page_url), **data})
        return status, content.decode()

    def log_in(self, base: str, username: str, password: str) -> tuple[int, str]:
        return self.post_form(f"{base}/login", f"{base}/login", {"username": username, "password": password})


@pytest.fixture
def deployment(tmp_path):
    schema = f"lms_two_instances_{os.getpid()}"
    admin_engine = sa.create_engine(POSTGRES_URL)
    try:
        with admin_engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    except sa.exc.OperationalError as error:
        pytest.fail(f"the two-instance test needs PostgreSQL at {POSTGRES_URL} and cannot reach it: {error}")
    redis = Redis.from_url(REDIS_URL)
    try:
        redis.flushdb()
    except RedisError as error:
        pytest.fail(f"the two-instance test needs Redis at {REDIS_URL} and cannot reach it: {error}")
    database_url = f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}options=-csearch_path%3D{schema}"
    storage = tmp_path / "storage"  # shared by both instances and the worker, as an NFS mount would be
    env = {**os.environ, "LMS_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": database_url,
           "REDIS_URL": REDIS_URL, "LMS_QUEUE": "lms", "LMS_STORAGE_DIR": str(storage),
           "LMS_PUBLIC_URL": "https://taphuan.example.gov.vn", "LMS_INSTANCE_DIR": str(tmp_path / "instance"),
           "RATELIMIT_LOGIN": f"{LOGIN_LIMIT} per minute", "PYTHONUNBUFFERED": "1"}
    setup = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": env["SECRET_KEY"],
                                   "STORAGE_DIR": storage, "CONTENT_DIR": ROOT / "content"})
    cluster = Deployment(env=env, storage=storage, tmp=tmp_path)
    try:
        with setup.app_context():
            runner = setup.test_cli_runner()
            for command in (["db", "upgrade"], ["lms", "import-content", str(ROOT / "content" / STARTER_SLUG)]):
                result = runner.invoke(args=command)
                assert result.exit_code == 0, f"{' '.join(command)}: {result.output}"
            cluster.start_instance("instance A")  # they start while the people are made
            cluster.start_instance("instance B")
            people = make_people()
            yield cluster, people
            db.session.remove()
    finally:
        cluster.stop()
        with setup.app_context():
            db.engine.dispose()
        with admin_engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin_engine.dispose()
        redis.flushdb()
        redis.close()


def make_people() -> dict:
    """An admin (reading English), a trainee, and a class whose two participants completed the course but
    lack their certificates (as if rendering had failed when they finished)."""
    make = Factories()
    admin = make.admin(full_name="Hoàng Văn Minh", username="quantri")
    admin.locale = "en"
    trainee = make.trainee(full_name="Lường Thị Đào", username="hocvien")
    graduates = [make.trainee(full_name="Triệu Thị Mai"), make.trainee(full_name="Sùng A Dình")]
    course = db.session.scalar(select(Course).where(Course.slug == STARTER_SLUG))
    training_class = class_services.create_class(class_services.ClassDetails(
        name="Lớp tập huấn nghiệp vụ", starts_on=date(2026, 11, 12), ends_on=date(2026, 11, 12),
        course_ids=[course.id]), actor=admin)
    session = class_services.add_session(training_class, title="Buổi 1", day=date(2026, 11, 12),
                                         starts=clock(7, 30), ends=clock(11, 0), actor=admin)
    roster.add_people(training_class, graduates, actor=admin, how="test")
    everyone = {p.id for p in training_class.participants}
    class_services.mark_attendance(session, shown=everyone, present=everyone, actor=admin)
    for person in graduates:
        course_services.enrol(person, course).completed_at = utcnow()
    db.session.commit()
    return {"admin": admin, "trainee": trainee, "class_id": training_class.id,
            "graduates": {g.id for g in graduates}}


def certificates_in_database() -> list[Certificate]:
    db.session.expire_all()
    return list(db.session.scalars(select(Certificate)))


def test_two_instances_share_sessions_rate_limits_and_the_job_queue(deployment):
    cluster, people = deployment
    a, b = cluster.urls
    try:
        cluster.wait_until_serving()
        check_a_sign_in_on_one_is_valid_on_the_other(a, b, people)
        check_the_login_limit_counts_across_both(a, b, people)
        check_bulk_certificates_queued_through_one_are_done_by_the_worker(cluster, a, b, people)
    except BaseException:
        print(cluster.logs())
        raise


def check_a_sign_in_on_one_is_valid_on_the_other(a: str, b: str, people: dict) -> None:
    browser = Browser()
    status, _page = browser.log_in(a, "quantri", Factories.PASSWORD)
    assert status == 200
    status, page = browser.get(f"{b}/dashboard")
    assert status == 200 and "Hello, Hoàng Văn Minh" in page, "B does not know the session made on A"
    assert browser.get(f"{a}/dashboard")[0] == 200


def check_the_login_limit_counts_across_both(a: str, b: str, people: dict) -> None:
    guesser = Browser()
    guesser.post_form(f"{a}/login", f"{a}/language", {"lang": "en", "next": "/login"})  # for the messages
    for attempt in range(LOGIN_LIMIT):  # A, B, A, B: each refused as a wrong password, none blocked yet
        status, page = guesser.log_in((a, b)[attempt % 2], "hocvien", f"wrong-{attempt}")
        assert status == 200 and "Wrong username or password." in page, f"attempt {attempt + 1}: {status}"
    # Each process has seen only half of them; the shared count in Redis has reached the limit.
    assert guesser.log_in(a, "hocvien", "wrong-again")[0] == 429
    assert guesser.log_in(b, "hocvien", Factories.PASSWORD)[0] == 429
    other = Browser()  # another username from the same address is not held up
    assert other.log_in(b, "quantri", Factories.PASSWORD)[0] == 200


def check_bulk_certificates_queued_through_one_are_done_by_the_worker(cluster: Deployment, a: str, b: str,
                                                                      people: dict) -> None:
    admin = Browser()
    assert admin.log_in(a, "quantri", Factories.PASSWORD)[0] == 200
    class_page = f"{b}/admin/classes/{people['class_id']}"
    status, page = admin.post_form(class_page, f"{class_page}/certificates", {})
    assert status == 200 and "2 certificates are being issued; refresh in a minute." in page
    assert certificates_in_database() == [], "the request rendered the certificates instead of queueing them"

    worker = cluster.start("rq worker", [str(BIN / "rq"), "worker", "--burst", "-c", "lms.worker_settings"])
    try:
        worker.popen.wait(timeout=DEADLINE_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"rq worker --burst did not finish in {DEADLINE_SECONDS} s")
    assert worker.popen.returncode == 0
    deadline = time.monotonic() + DEADLINE_SECONDS
    while len(certificates := certificates_in_database()) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert {c.user_id for c in certificates} == people["graduates"]
    assert all((cluster.storage / c.pdf_key).is_file() for c in certificates)

    status, _url, bundle = admin.request(f"{a}/admin/classes/{people['class_id']}/certificates.zip")
    assert status == 200
    assert len(zipfile.ZipFile(BytesIO(bundle)).namelist()) == 2
    assert db.session.scalar(select(func.count(Certificate.id))) == 2
