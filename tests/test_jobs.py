"""Bulk work through lms.jobs: inline without Redis (done before the page or command returns), on the RQ
queue with Redis (nothing done until a worker runs the job), and never twice, however often a job runs.

The queue tests use the real Redis at 127.0.0.1:6379, database 9 (flushed around each test), and run the
queued jobs with an in-process burst worker, as `rq worker --burst` would."""
from __future__ import annotations

import signal
import socket
from datetime import date, time, timedelta

import pytest
from aiosmtpd.controller import Controller
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from lms import jobs
from lms.audit.models import AuditEvent
from lms.certificates import services as certificate_services
from lms.certificates.models import Certificate
from lms.classes import roster
from lms.classes import services as class_services
from lms.courses import services as course_services
from lms.courses.models import Course, Enrolment
from lms.db import utcnow
from lms.extensions import db
from lms.storage import get_storage
from tests.test_certificate_reminders import Inbox

TEST_REDIS_URL = "redis://127.0.0.1:6379/9"
QUEUE = "lms-test"


@pytest.fixture
def redis_queue(app):
    """Turn the queue on for this app: REDIS_URL at a dedicated, emptied Redis database."""
    connection = Redis.from_url(TEST_REDIS_URL)
    try:
        connection.ping()
    except RedisError as error:
        pytest.fail(f"Redis is needed at {TEST_REDIS_URL} for the job queue tests and is unreachable: {error}")
    connection.flushdb()
    app.config.update(REDIS_URL=TEST_REDIS_URL, JOB_QUEUE=QUEUE)
    yield Queue(QUEUE, connection=connection)
    connection.flushdb()
    connection.close()


def run_worker(queue: Queue) -> list:
    """What `rq worker --burst` does: every queued job, once; returns their results in order."""
    queued = list(queue.job_ids)
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        SimpleWorker([queue], connection=queue.connection).work(burst=True)
    finally:  # the worker takes Ctrl-C for its own warm shutdown; give it back to pytest
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    failed = queue.failed_job_registry
    assert failed.count == 0, [queue.fetch_job(job_id).latest_result().exc_string for job_id in failed.get_job_ids()]
    return [queue.fetch_job(job_id).return_value() for job_id in queued]


@pytest.fixture
def small_course(make, tmp_path) -> Course:
    course_services.import_content(make.course_folder(tmp_path / "content"))
    return db.session.scalar(select(Course).where(Course.slug == "khoa-thu"))


def completed_without_certificate(people, course):
    """As if each certificate's rendering had failed at completion (the case bulk issuing exists for)."""
    enrolments = [course_services.enrol(person, course) for person in people]
    for enrolment in enrolments:
        enrolment.completed_at = utcnow()
    db.session.commit()
    return enrolments


@pytest.fixture
def class_with_graduates(make, small_course):
    """A class of three who attended its one session; two completed the course online, one did not."""
    admin = make.admin(full_name="Quản Trị Viên")
    admin.locale = "en"  # the messages asserted below are the English ones, whatever the Vietnamese says
    db.session.commit()
    graduates = [make.trainee(full_name="Triệu Thị Mai"), make.trainee(full_name="Sùng A Dình")]
    studying = make.trainee(full_name="Giàng Thị Sua")
    training_class = class_services.create_class(class_services.ClassDetails(
        name="Lớp tập huấn nghiệp vụ", starts_on=date(2026, 11, 12), ends_on=date(2026, 11, 12),
        location="Hội trường", course_ids=[small_course.id]), actor=admin)
    session = class_services.add_session(training_class, title="Buổi 1", day=training_class.starts_on,
                                         starts=time(7, 30), ends=time(11, 0), actor=admin)
    roster.add_people(training_class, [*graduates, studying], actor=admin, how="test")
    participant_ids = {p.id for p in training_class.participants}
    class_services.mark_attendance(session, shown=participant_ids, present=participant_ids, actor=admin)
    completed_without_certificate(graduates, small_course)
    course_services.enrol(studying, small_course)
    return admin, training_class, graduates


def certificate_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Certificate.id)))


def issue_events() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "certificate.issue"))


def test_without_redis_the_class_certificates_are_issued_before_the_page_returns(client, login,
                                                                              class_with_graduates):
    admin, training_class, graduates = class_with_graduates
    login(client, admin)
    page = client.post(f"/admin/classes/{training_class.id}/certificates", follow_redirects=True)
    assert "2 certificates issued." in page.get_data(as_text=True)
    assert certificate_count() == 2
    assert all(get_storage().exists(c.pdf_key) for c in db.session.scalars(select(Certificate)))


def test_with_redis_the_class_action_queues_and_the_worker_issues_each_certificate_once(
        client, login, class_with_graduates, redis_queue):
    admin, training_class, graduates = class_with_graduates
    login(client, admin)
    url = f"/admin/classes/{training_class.id}/certificates"
    first = client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "2 certificates are being issued; refresh in a minute." in first
    assert certificate_count() == 0 and redis_queue.count == 1
    client.post(url)  # a double click before the worker got to it: a second job for the same people
    assert redis_queue.count == 2

    reports = run_worker(redis_queue)
    assert [(r.issued, r.already) for r in reports] == [(2, 0), (0, 2)]
    assert certificate_count() == 2 and issue_events() == 2
    certificates = list(db.session.scalars(select(Certificate)))
    assert {c.user_id for c in certificates} == {g.id for g in graduates}
    assert all(get_storage().exists(c.pdf_key) for c in certificates)

    # The worker died after finishing and RQ runs the job again: nothing more is issued or audited.
    finished = redis_queue.fetch_job(redis_queue.finished_job_registry.get_job_ids()[0])
    redis_queue.enqueue_call(finished.func_name, args=finished.args)
    assert run_worker(redis_queue)[0].issued == 0
    assert certificate_count() == 2 and issue_events() == 2

    again = client.post(url, follow_redirects=True).get_data(as_text=True)
    assert "Every completed participant already has their certificates." in again
    assert redis_queue.count == 0


def test_a_certificate_another_job_issued_meanwhile_is_neither_issued_nor_audited_again(class_with_graduates,
                                                                                        monkeypatch):
    admin, training_class, graduates = class_with_graduates
    enrolments = {e.user_id: e.id for e in db.session.scalars(select(Enrolment))}
    certificate_services.commit_issue(db.session.get(Enrolment, enrolments[graduates[0].id]))  # the other job
    real_lookup, looked_up = certificate_services.current_certificate, set()

    def lookup_racing_the_other_job(enrolment_id):
        """This job's first look comes before the other job's commit; every later look sees it."""
        if enrolment_id not in looked_up:
            looked_up.add(enrolment_id)
            return None
        return real_lookup(enrolment_id)

    monkeypatch.setattr(certificate_services, "current_certificate", lookup_racing_the_other_job)
    report = class_services.issue_class_certificate_batch(
        training_class.id, [enrolments[g.id] for g in graduates], admin.id)
    assert (report.issued, report.already, report.failed) == (1, 1, 0)
    assert certificate_count() == 2 and issue_events() == 1


def test_issue_certificates_command_queues_batches_that_the_worker_issues(runner, make, small_course, redis_queue,
                                                                          monkeypatch):
    monkeypatch.setattr(jobs, "CERTIFICATES_PER_JOB", 2)
    completed_without_certificate([make.trainee() for _ in range(3)], small_course)
    result = runner.invoke(args=["lms", "issue-certificates"])
    assert result.exit_code == 0, result.output
    assert "queued 3 certificate(s) in 2 job(s)" in result.output
    assert certificate_count() == 0

    assert [r.done for r in run_worker(redis_queue)] == [2, 1]
    assert certificate_count() == 3
    for job_id in redis_queue.finished_job_registry.get_job_ids():  # every job a second time
        finished = redis_queue.fetch_job(job_id)
        redis_queue.enqueue_call(finished.func_name, args=finished.args)
    assert [r.done for r in run_worker(redis_queue)] == [0, 0]
    assert certificate_count() == 3
    assert runner.invoke(args=["lms", "issue-certificates"]).output.strip().endswith("issued 0 certificate(s)")


def test_without_redis_the_command_issues_at_once(runner, make, small_course):
    completed_without_certificate([make.trainee() for _ in range(2)], small_course)
    result = runner.invoke(args=["lms", "issue-certificates"])
    assert result.exit_code == 0 and "issued 2 certificate(s)" in result.output
    assert certificate_count() == 2


@pytest.fixture
def inbox(app):
    handler = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="thiduakhenthuong@example.org",
                      CERTIFICATE_REMINDER_DAYS=(60, 30, 7))
    yield handler
    controller.stop()


def test_with_redis_reminders_are_queued_and_each_is_sent_once(runner, make, small_course, inbox, redis_queue):
    enrolments = completed_without_certificate([make.trainee(full_name="Lường Thị Đào")], small_course)
    certificate = certificate_services.commit_issue(enrolments[0])
    certificate.valid_until = certificate_services.local_today() + timedelta(days=10)
    db.session.commit()

    result = runner.invoke(args=["lms", "send-reminders"])
    assert result.exit_code == 0, result.output
    assert "queued 1 reminder(s) in 1 job(s)" in result.output
    assert inbox.messages == []

    assert run_worker(redis_queue)[0].done == 1
    assert [m["To"] for m in inbox.messages] == [certificate.user.email]
    finished = redis_queue.fetch_job(redis_queue.finished_job_registry.get_job_ids()[0])
    redis_queue.enqueue_call(finished.func_name, args=finished.args)  # the same job again
    assert run_worker(redis_queue)[0].done == 0
    assert len(inbox.messages) == 1
    assert runner.invoke(args=["lms", "send-reminders"]).output.strip() == "sent 0 reminder(s)"
