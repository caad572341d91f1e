"""Expiry reminders, caught on a real SMTP server listening on loopback (aiosmtpd)."""
from __future__ import annotations

import email
import email.policy
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from lms.certificates import services
from lms.certificates.models import Certificate, CertificateReminder
from lms.certificates.reminders import send_reminders
from lms.extensions import db
from tests.certificate_helpers import complete_course


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.refused: set[str] = set()  # mailboxes the server says do not exist

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def inbox(app):
    handler = Inbox()
    with socket.socket() as probe:  # a free port (the controller checks readiness by connecting to its port)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                      MAIL_FROM="thiduakhenthuong@example.org", CERTIFICATE_REMINDER_DAYS=(60, 30, 7))
    yield handler
    controller.stop()


@pytest.fixture
def certificate(make, course):
    holder = make.trainee(full_name="Lường Thị Đào")
    complete_course(holder, course)
    return db.session.scalar(select(Certificate).where(Certificate.user_id == holder.id))


def expire_in(certificate: Certificate, days: int) -> None:
    certificate.valid_until = services.local_today() + timedelta(days=days)
    db.session.commit()


def test_a_reminder_goes_out_once_per_threshold(inbox, certificate):
    expire_in(certificate, 59)
    assert send_reminders().sent == 1
    assert send_reminders().sent == 0  # cron again the same day: nothing more
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == certificate.user.email
    assert certificate.course_title in message["Subject"]
    body = message.get_content()
    assert "Lường Thị Đào" in body and certificate.serial in body and "/certificates" in body
    # 30 days before: the next reminder, once.
    expire_in(certificate, 30)
    assert send_reminders().sent == 1 and send_reminders().sent == 0
    assert len(inbox.messages) == 2
    rows = db.session.scalars(select(CertificateReminder.days_before).order_by(CertificateReminder.days_before))
    assert list(rows) == [30, 60]


def test_a_late_run_sends_only_the_nearest_reminder(inbox, certificate):
    expire_in(certificate, 5)  # cron did not run for two months
    assert send_reminders().sent == 1
    assert send_reminders().sent == 0
    assert len(inbox.messages) == 1
    assert db.session.scalar(select(func.count(CertificateReminder.id))) == 3  # 60 and 30 are covered by it


def test_reminders_follow_the_holders_language(inbox, certificate):
    certificate.user.locale = "en"
    expire_in(certificate, 7)
    send_reminders()
    assert inbox.messages[0]["Subject"].startswith("Your certificate")


def test_expired_revoked_and_far_off_certificates_get_no_reminder(inbox, make, certificate):
    expire_in(certificate, 120)
    assert send_reminders().sent == 0
    expire_in(certificate, -1)
    assert send_reminders().sent == 0
    expire_in(certificate, 20)
    services.revoke_certificate(certificate, reason="Sai hồ sơ", actor=make.admin())
    assert send_reminders().sent == 0
    assert inbox.messages == []


def test_a_failed_send_is_released_for_the_next_run(app, inbox, certificate):
    expire_in(certificate, 10)
    inbox.refused.add(certificate.user.email)  # the mailbox is full or gone today
    report = send_reminders()
    assert report.sent == 0 and report.failed == 1
    assert db.session.scalar(select(func.count(CertificateReminder.id))) == 0
    inbox.refused.clear()
    assert send_reminders().sent == 1
    assert len(inbox.messages) == 1


def test_the_command_says_when_mail_is_not_configured(app, runner, certificate):
    expire_in(certificate, 10)
    app.config["MAIL_SERVER"] = None
    result = runner.invoke(args=["lms", "send-reminders"])
    assert result.exit_code != 0 and "MAIL_SERVER" in result.output
    assert db.session.scalar(select(func.count(CertificateReminder.id))) == 0


def test_the_command_reports_what_it_sent(runner, inbox, certificate):
    expire_in(certificate, 10)
    result = runner.invoke(args=["lms", "send-reminders"])
    assert result.exit_code == 0 and "sent 1 reminder" in result.output
