"""Expiry reminders: one email per certificate and threshold (e.g. 60, 30, 7 days before expiry).

Safe to run from cron as often as you like, by several hosts at once: a reminder row is claimed (unique
certificate + threshold) and committed before the mail goes out, marked sent after, and released if
sending failed so the next run retries it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import delete, select, update

from lms.accounts.models import User
from lms.certificates.models import Certificate, CertificateReminder, CertificateStatus
from lms.certificates.document import format_code, short_date
from lms.certificates.services import local_today
from lms.courses.models import Enrolment
from lms.db import insert_ignoring_conflicts, utcnow
from lms.extensions import db
from lms.mail import compose, smtp_connection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReminderReport:
    sent: int = 0
    failed: int = 0


def due_reminders(today: date, certificate_ids: list[int] | None = None) -> list[tuple[Certificate, int, list[int]]]:
    """(certificate, the threshold to send now, every threshold it covers) for certificates close to expiry,
    all of them or those among `certificate_ids` (one job's batch, lms.certificates.jobs).

    A certificate found late (cron did not run for a while) gets one reminder for the nearest threshold,
    which also stands for the earlier ones it passed.
    """
    thresholds = current_app.config["CERTIFICATE_REMINDER_DAYS"]
    if not thresholds:
        return []
    renewed = select(Enrolment.id).where(Enrolment.user_id == Certificate.user_id,
                                         Enrolment.course_id == Certificate.course_id,
                                         Enrolment.completed_at.is_not(None),
                                         Enrolment.id != Certificate.enrolment_id,
                                         Enrolment.completed_at > Certificate.issued_at)
    query = select(Certificate).where(
        Certificate.status == CertificateStatus.VALID, Certificate.valid_until.is_not(None),
        Certificate.valid_until >= today, Certificate.valid_until <= today + timedelta(days=max(thresholds)),
        ~renewed.exists())
    if certificate_ids is not None:
        query = query.where(Certificate.id.in_(certificate_ids))
    candidates = list(db.session.scalars(query.order_by(Certificate.valid_until)))
    done = {(certificate_id, days) for certificate_id, days in db.session.execute(
        select(CertificateReminder.certificate_id, CertificateReminder.days_before)
        .where(CertificateReminder.certificate_id.in_([c.id for c in candidates])))}
    due = []
    for certificate in candidates:
        days_left = (certificate.valid_until - today).days
        crossed = [t for t in thresholds if days_left <= t]
        if crossed and (certificate.id, min(crossed)) not in done:
            due.append((certificate, min(crossed), crossed))
    return due


def _claim(certificate_id: int, days_before: int) -> bool:
    claimed = insert_ignoring_conflicts(db.session, CertificateReminder, certificate_id=certificate_id,
                                        days_before=days_before, claimed_at=utcnow(), sent_to="")
    db.session.commit()
    return claimed


def reminder_message(certificate: Certificate, user: User, days_left: int):
    public = current_app.config["PUBLIC_URL"]
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _("Your certificate for %(course)s expires on %(date)s",
                    course=certificate.course_title, date=short_date(certificate.valid_until))
        body = "\n\n".join([
            _("Dear %(name)s,", name=user.full_name),
            _("Your certificate %(serial)s for the course “%(course)s” is valid until %(date)s "
              "(%(days)d days from today).", serial=certificate.serial, course=certificate.course_title,
              date=short_date(certificate.valid_until), days=days_left),
            _("To renew it, open My certificates and choose “Renew”: you study the course again and take the "
              "final exam; your earlier results are kept."),
            f"{public}/certificates",
            _("Verification code: %(code)s", code=format_code(certificate.code)),
            _("This message was sent by the emulation and commendation training platform."),
        ])
    return compose(user.email, subject, body)


def send_reminders(today: date | None = None, certificate_ids: list[int] | None = None) -> ReminderReport:
    today = today or local_today()
    due = due_reminders(today, certificate_ids)
    if not due:
        return ReminderReport()
    sent = failed = 0
    with smtp_connection() as smtp:
        for certificate, threshold, covered in due:
            if not _claim(certificate.id, threshold):
                continue  # another run has it
            user = db.session.get(User, certificate.user_id)
            try:
                smtp.send_message(reminder_message(certificate, user, (certificate.valid_until - today).days))
            except Exception:  # noqa: BLE001 - one refused address must not stop the batch; retried next run
                log.exception("expiry reminder for certificate %s not sent", certificate.id)
                db.session.execute(delete(CertificateReminder).where(
                    CertificateReminder.certificate_id == certificate.id,
                    CertificateReminder.days_before == threshold))
                db.session.commit()
                failed += 1
                continue
            now = utcnow()
            db.session.execute(update(CertificateReminder).where(
                CertificateReminder.certificate_id == certificate.id, CertificateReminder.days_before == threshold)
                .values(sent_at=now, sent_to=user.email))
            for earlier in covered:
                if earlier != threshold:
                    _claim_covered(certificate.id, earlier, now, user.email)
            db.session.commit()
            sent += 1
    return ReminderReport(sent=sent, failed=failed)


def _claim_covered(certificate_id: int, days_before: int, now, email: str) -> None:
    insert_ignoring_conflicts(db.session, CertificateReminder, certificate_id=certificate_id,
                              days_before=days_before, claimed_at=now, sent_at=now, sent_to=email)
