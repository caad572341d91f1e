from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.accounts.models import OrgUnit, User
from lms.courses.models import Course, Enrolment
from lms.db import utcnow, value_enum
from lms.extensions import db


class CertificateStatus(str, enum.Enum):
    """What is stored. "Expired" is not stored: it follows from valid_until and today's date."""

    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class Certificate(db.Model):
    """A completion certificate, with every printed value frozen as it stood at issue.

    One per completion (enrolment cycle): edition 1 is issued on completion, and a re-issue after a
    correction is edition 2, 3, … of the same completion, the earlier one marked superseded.
    """

    __tablename__ = "certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="RESTRICT"))
    edition: Mapped[int] = mapped_column(default=1)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="RESTRICT"), index=True)
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_unit.id", ondelete="SET NULL"),
                                                    index=True)

    serial_year: Mapped[int]
    serial_number: Mapped[int]
    serial: Mapped[str] = mapped_column(String(40), unique=True)  # printed: "CN-2026-00042"
    code: Mapped[str] = mapped_column(String(32), unique=True)  # the unguessable verification code

    holder_name: Mapped[str] = mapped_column(String(200))
    unit_name: Mapped[str] = mapped_column(String(200), default="")
    course_title: Mapped[str] = mapped_column(String(300))
    completed_on: Mapped[date]
    score_percent: Mapped[float | None]
    completion_note: Mapped[str] = mapped_column(String(300), default="")
    authority_name: Mapped[str] = mapped_column(String(200), default="")
    issuer_name: Mapped[str] = mapped_column(String(200))
    signatory_name: Mapped[str] = mapped_column(String(200), default="")
    signatory_title: Mapped[str] = mapped_column(String(200), default="")
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    valid_until: Mapped[date | None]  # None: does not expire

    status: Mapped[CertificateStatus] = mapped_column(
        value_enum(CertificateStatus, "certificate_status"),
        default=CertificateStatus.VALID)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificate.id", ondelete="RESTRICT"))

    pdf_key: Mapped[str] = mapped_column(String(300))
    pdf_sha256: Mapped[str] = mapped_column(String(64))

    enrolment: Mapped[Enrolment] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()
    org_unit: Mapped[OrgUnit | None] = relationship()
    superseded_by: Mapped[Certificate | None] = relationship(remote_side=[id])

    __table_args__ = (
        UniqueConstraint("enrolment_id", "edition"),  # one certificate per completion, and per re-issue
        UniqueConstraint("serial_year", "serial_number"),
        Index("ix_certificate_valid_until", "status", "valid_until"),
        # "Holds a valid certificate of this course?", asked per enrolment by the completion reports.
        Index("ix_certificate_user_course", "user_id", "course_id", "status", "valid_until"),
    )

    def effective_status(self, today: date) -> str:
        """valid, expired, revoked or superseded, as the verification page says it."""
        if self.status is CertificateStatus.VALID and self.valid_until is not None and self.valid_until < today:
            return "expired"
        return self.status.value


class CertificateReminder(db.Model):
    """An expiry reminder: claimed before it is sent, so two cron runs never send it twice."""

    __tablename__ = "certificate_reminder"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificate.id", ondelete="CASCADE"))
    days_before: Mapped[int]
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    sent_to: Mapped[str] = mapped_column(String(254), default="")

    __table_args__ = (UniqueConstraint("certificate_id", "days_before"),)
