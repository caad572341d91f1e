"""The certificate life cycle: issue (on completion, for an in-person class), verify, revoke, re-issue,
recertify. Every function here that changes data commits once; the PDF is rendered once, at issue, and
stored through lms.storage before the row that points at it is committed."""
from __future__ import annotations

import hashlib
import logging
import secrets
import zipfile
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from io import BytesIO
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.accounts.services import unit_subtree_ids
from lms.audit.services import record_event
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.document import CertificateContent, verify_url
from lms.courses.models import Course, Enrolment
from lms.db import insert_ignoring_conflicts, utcnow
from lms.extensions import db
from lms.storage import get_storage

log = logging.getLogger(__name__)

# Crockford's base32: no I, L, O or U, so a code read aloud or typed from paper survives. 16 characters
# are 80 bits: with the verification rate limit, guessing a code is hopeless.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
_TYPO_FIXES = str.maketrans({"O": "0", "I": "1", "L": "1"})


class CertificateRefused(ValueError):
    """An action the certificate's state does not allow; the message is for the person who asked."""


# --- small pieces --------------------------------------------------------------------------------------------

def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str | None:
    """A typed or scanned code in canonical form, or None when it cannot be one of ours."""
    code = "".join(ch for ch in (typed or "").upper() if ch not in " -–.\t").translate(_TYPO_FIXES)
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


def province_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_date(moment: datetime) -> date:
    return moment.astimezone(province_zone()).date()


def local_today() -> date:
    return local_date(utcnow())


def add_months(day: date, months: int) -> date:
    """The same day N months later, or the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def renewal_window_days() -> int:
    return max(current_app.config["CERTIFICATE_REMINDER_DAYS"], default=0)


# --- reading ----------------------------------------------------------------------------------------------

def find_by_code(code: str) -> Certificate | None:
    canonical = normalise_code(code)
    if canonical is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == canonical))


def current_certificate(enrolment_id: int) -> Certificate | None:
    """The certificate of a completion that is not superseded (valid, expired or revoked)."""
    return db.session.scalar(select(Certificate).where(
        Certificate.enrolment_id == enrolment_id, Certificate.status != CertificateStatus.SUPERSEDED)
        .order_by(Certificate.edition.desc()).limit(1))


def certificates_of(user: User) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)
                                   .order_by(Certificate.issued_at.desc(), Certificate.id.desc())))


def latest_edition(certificate: Certificate) -> Certificate:
    """Follow "superseded by" to the edition that stands now."""
    seen = {certificate.id}
    while certificate.superseded_by is not None and certificate.superseded_by.id not in seen:
        certificate = certificate.superseded_by
        seen.add(certificate.id)
    return certificate


def stored_pdf(certificate: Certificate) -> bytes:
    return get_storage().load(certificate.pdf_key)


def is_renewable(certificate: Certificate, today: date | None = None) -> bool:
    """Expired, or close enough to expiry to have been reminded, and not already renewed."""
    today = today or local_today()
    if certificate.status is not CertificateStatus.VALID or certificate.valid_until is None:
        return False
    if today < certificate.valid_until - timedelta(days=renewal_window_days()):
        return False
    newer = db.session.scalar(select(Enrolment.id).where(
        Enrolment.user_id == certificate.user_id, Enrolment.course_id == certificate.course_id,
        Enrolment.cycle > certificate.enrolment.cycle).limit(1))
    return newer is None


# --- issuing ------------------------------------------------------------------------------------------------

def issue_certificate(enrolment: Enrolment, *, issued_by: User | None = None,
                      now: datetime | None = None) -> Certificate:
    """The certificate of a completed enrolment: the existing one, or a new one rendered and stored.

    Issuing again (a second tab, a retried job, the CLI after the web) returns the same certificate: the
    unique (enrolment, edition) constraint lets only one edition 1 exist.
    """
    existing = current_certificate(enrolment.id)
    if existing is not None:
        return existing
    if enrolment.completed_at is None:
        raise CertificateRefused("The course is not completed yet.")
    return _issue_edition(enrolment, edition=1, issued_by=issued_by, now=now or utcnow())


def issue_after_completion(enrolment: Enrolment) -> Certificate | None:
    """Called once a completion is committed. A failure here never undoes the completion: the certificate
    can be issued later (`lms issue-certificates`), so it is logged rather than raised."""
    if enrolment.completed_at is None:
        return None
    try:
        return commit_issue(enrolment)
    except Exception:  # noqa: BLE001 - rendering or storage trouble must not turn a passed exam into an error
        db.session.rollback()
        log.exception("certificate for enrolment %s not issued; `lms issue-certificates` will retry",
                      enrolment.id)
        return None


def _final_exam_score(enrolment: Enrolment) -> float | None:
    from lms.quizzes.results import counting_attempt, final_exam_of, graded_attempts

    final_exam = final_exam_of(enrolment.course_id)
    if final_exam is None:
        return None
    attempt = counting_attempt(final_exam, graded_attempts(enrolment.id, final_exam))
    return attempt.score_percent if attempt else None


@dataclass(frozen=True)
class HolderDetails:
    holder_name: str
    unit_name: str


def _holder_now(user: User) -> HolderDetails:
    return HolderDetails(holder_name=user.full_name, unit_name=user.org_unit.name if user.org_unit else "")


def _insert(values: dict) -> bool:
    """INSERT … ON CONFLICT DO NOTHING: False when another certificate already holds the edition or serial."""
    return insert_ignoring_conflicts(db.session, Certificate, **values)


def _next_serial_number(year: int) -> int:
    return (db.session.scalar(select(func.max(Certificate.serial_number))
                              .where(Certificate.serial_year == year)) or 0) + 1


def _edition_values(enrolment: Enrolment, *, edition: int, issued_by: User | None, now: datetime,
                    holder: HolderDetails | None = None, previous: Certificate | None = None) -> tuple[dict, bool]:
    """The new edition's row but for its serial, code and PDF; and whether it is an English edition's."""
    config = current_app.config
    user = db.session.get(User, enrolment.user_id)
    course = db.session.get(Course, enrolment.course_id)
    holder = holder or _holder_now(user)
    completed_on = previous.completed_on if previous else local_date(enrolment.completed_at)
    months = course.certificate_validity_months
    values = dict(
        enrolment_id=enrolment.id, edition=edition, user_id=user.id, course_id=course.id,
        org_unit_id=user.org_unit_id, holder_name=holder.holder_name, unit_name=holder.unit_name,
        course_title=previous.course_title if previous else course.title, completed_on=completed_on,
        score_percent=previous.score_percent if previous else _final_exam_score(enrolment),
        completion_note=enrolment.completion_note or "", authority_name=config["CERTIFICATE_AUTHORITY"],
        issuer_name=config["CERTIFICATE_ISSUER"], signatory_name=config["CERTIFICATE_SIGNATORY_NAME"],
        signatory_title=config["CERTIFICATE_SIGNATORY_TITLE"], issued_at=now,
        issued_by_id=issued_by.id if issued_by else None,
        valid_until=previous.valid_until if previous else (add_months(completed_on, months) if months else None),
        status=CertificateStatus.VALID, revoked_reason="")
    return values, course.language == "en"


def _serial(year: int, number: int) -> str:
    return f"{current_app.config['CERTIFICATE_SERIAL_PREFIX']}-{year}-{number:05d}"


def _store_and_insert(values: dict, *, year: int, number: int, code: str, pdf: bytes) -> bool:
    """Store the PDF, then insert its row; False, the file removed again, when the edition or serial is taken."""
    serial, storage = _serial(year, number), get_storage()
    key = f"certificates/{year}/{serial}-{code}.pdf"
    storage.save(key, pdf)
    if _insert({**values, "serial_year": year, "serial_number": number, "serial": serial, "code": code,
                "pdf_key": key, "pdf_sha256": hashlib.sha256(pdf).hexdigest()}):
        return True
    storage.delete(key)
    return False


def _issue_edition(enrolment: Enrolment, *, edition: int, issued_by: User | None, now: datetime,
                   holder: HolderDetails | None = None, previous: Certificate | None = None) -> Certificate:
    """Render, store, insert. Does not commit: the caller commits with whatever else belongs with it."""
    values, english = _edition_values(enrolment, edition=edition, issued_by=issued_by, now=now, holder=holder,
                                      previous=previous)
    year = local_date(now).year
    for _try in range(5):
        number, code = _next_serial_number(year), new_code()
        pdf = _render(_content(values, serial=_serial(year, number), code=code, issued_on=local_date(now),
                               english=english))
        if _store_and_insert(values, year=year, number=number, code=code, pdf=pdf):
            return db.session.scalar(select(Certificate).where(Certificate.code == code))
        if edition > 1 and db.session.scalar(select(Certificate.id).where(
                Certificate.enrolment_id == enrolment.id, Certificate.edition == edition)) is not None:
            raise CertificateRefused("The certificate changed meanwhile; reload the page.")
        if edition == 1 and (existing := current_certificate(enrolment.id)) is not None:
            return existing  # issued by someone else a moment ago
    raise RuntimeError("could not allocate a certificate serial number after 5 tries")


def _content(values: dict, *, serial: str, code: str, issued_on: date, sample: bool = False,
             english: bool = False) -> CertificateContent:
    return CertificateContent(
        holder_name=values["holder_name"], unit_name=values["unit_name"], course_title=values["course_title"],
        completed_on=values["completed_on"], score_percent=values["score_percent"],
        completion_note=values["completion_note"], authority_name=values["authority_name"],
        issuer_name=values["issuer_name"], signatory_name=values["signatory_name"],
        signatory_title=values["signatory_title"], place=current_app.config["CERTIFICATE_PLACE"],
        issued_on=issued_on, valid_until=values["valid_until"], serial=serial, code=code,
        verify_url=verify_url(code), sample=sample, english=english)


def commit_issue(enrolment: Enrolment, **kwargs) -> Certificate:
    certificate = issue_certificate(enrolment, **kwargs)
    db.session.commit()
    return certificate


def _render(content: CertificateContent) -> bytes:
    # WeasyPrint loads on the first render only: a web worker that never renders never carries it (~26 MB).
    from lms.certificates.pdf import render_certificate_pdf

    return render_certificate_pdf(content)


def preview_pdf(*, holder_name: str, course: Course, unit_name: str = "") -> bytes:
    """A sample certificate for checking the template and fonts; nothing is recorded or stored."""
    today = local_today()
    months = course.certificate_validity_months
    values = dict(holder_name=holder_name, unit_name=unit_name, course_title=course.title, completed_on=today,
                  score_percent=92.5, completion_note="", authority_name=current_app.config["CERTIFICATE_AUTHORITY"],
                  issuer_name=current_app.config["CERTIFICATE_ISSUER"],
                  signatory_name=current_app.config["CERTIFICATE_SIGNATORY_NAME"],
                  signatory_title=current_app.config["CERTIFICATE_SIGNATORY_TITLE"],
                  valid_until=add_months(today, months) if months else None)
    return _render(_content(values, serial=_serial(today.year, 0), code="0" * CODE_LENGTH, issued_on=today,
                            sample=True, english=course.language == "en"))


def issue_in_person(*, user: User, course: Course, completed_on: date, note: str, actor: User) -> Certificate:
    """For someone who completed an in-person training class: record the completion and issue."""
    from lms.courses.services import find_enrolment

    enrolment = find_enrolment(user, course)
    if enrolment is None:
        enrolment = Enrolment(user_id=user.id, course_id=course.id, self_enrolled=False)
        db.session.add(enrolment)
        db.session.flush()
    if enrolment.completed_at is None:
        # Noon on the province's clock: the day stays the same date whatever zone reads it.
        enrolment.completed_at = datetime.combine(completed_on, time(12), province_zone()).astimezone(timezone.utc)
        enrolment.completion_note = note
    certificate = issue_certificate(enrolment, issued_by=actor)
    record_event(actor, "certificate.issue_in_person", "certificate", certificate.id,
                 summary=f"{certificate.serial}: {certificate.holder_name} – {certificate.course_title}",
                 after={"enrolment_id": enrolment.id, "completed_on": completed_on.isoformat(), "note": note})
    db.session.commit()
    return certificate


def completions_without_certificate(course: Course | None = None) -> list[int]:
    has_one = select(Certificate.enrolment_id)
    query = select(Enrolment.id).where(Enrolment.completed_at.is_not(None), Enrolment.id.not_in(has_one))
    if course is not None:
        query = query.where(Enrolment.course_id == course.id)
    return list(db.session.scalars(query.order_by(Enrolment.completed_at)))


def issue_one_missing(enrolment_id: int) -> bool:
    """One step of `lms issue-certificates`; True when a certificate was issued."""
    try:
        commit_issue(db.session.get(Enrolment, enrolment_id))
        return True
    except Exception:  # noqa: BLE001 - one bad record must not stop a bulk run; it is logged and counted
        db.session.rollback()
        log.exception("certificate for enrolment %s not issued", enrolment_id)
        return False


# --- revoking and re-issuing ----------------------------------------------------------------------------

def revoke_certificate(certificate: Certificate, *, reason: str, actor: User) -> Certificate:
    reason = (reason or "").strip()
    if not reason:
        raise CertificateRefused("A reason is required to revoke a certificate.")
    now = utcnow()
    changed = db.session.execute(
        update(Certificate).where(Certificate.id == certificate.id, Certificate.status == CertificateStatus.VALID)
        .values(status=CertificateStatus.REVOKED, revoked_at=now, revoked_reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        db.session.rollback()
        raise CertificateRefused("Only a valid or expired certificate can be revoked.")
    record_event(actor, "certificate.revoke", "certificate", certificate.id,
                 summary=f"{certificate.serial}: {certificate.holder_name}",
                 before={"status": "valid"}, after={"status": "revoked", "reason": reason})
    db.session.commit()
    db.session.refresh(certificate)
    return certificate


def reissue_certificate(certificate: Certificate, *, holder_name: str, unit_name: str, reason: str,
                        actor: User) -> Certificate:
    """A corrected edition with a new PDF, serial and code; the old one points to it as superseded."""
    reason = (reason or "").strip()
    if not reason:
        raise CertificateRefused("Say what was corrected.")
    if certificate.status is not CertificateStatus.VALID:
        raise CertificateRefused("Only a valid or expired certificate can be re-issued.")
    holder = HolderDetails(holder_name=holder_name.strip(), unit_name=unit_name.strip())
    enrolment = certificate.enrolment
    new: Certificate | None = None
    try:
        new = _issue_edition(enrolment, edition=certificate.edition + 1, issued_by=actor, now=utcnow(),
                             holder=holder, previous=certificate)
        changed = db.session.execute(
            update(Certificate).where(Certificate.id == certificate.id,
                                      Certificate.status == CertificateStatus.VALID)
            .values(status=CertificateStatus.SUPERSEDED, superseded_by_id=new.id)
            .execution_options(synchronize_session=False)).rowcount
        if changed != 1:
            raise CertificateRefused("The certificate changed meanwhile; reload the page.")
        record_event(actor, "certificate.reissue", "certificate", certificate.id,
                     summary=f"{certificate.serial} → {new.serial}: {reason}",
                     before={"serial": certificate.serial, "holder_name": certificate.holder_name,
                             "unit_name": certificate.unit_name},
                     after={"serial": new.serial, "holder_name": new.holder_name, "unit_name": new.unit_name,
                            "reason": reason})
        db.session.commit()
    except (CertificateRefused, IntegrityError) as refused:
        db.session.rollback()
        if new is not None:  # its PDF was stored before the change was refused
            get_storage().delete(new.pdf_key)
        if isinstance(refused, IntegrityError):
            raise CertificateRefused("The certificate changed meanwhile; reload the page.") from refused
        raise
    db.session.refresh(certificate)
    return new


# --- recertification ---------------------------------------------------------------------------------------

def renew(certificate: Certificate, user: User) -> Enrolment:
    """Start a new cycle of the course for the holder of an expiring or expired certificate."""
    from lms.courses.services import start_new_cycle
    from lms.quizzes.services import close_open_attempts

    if certificate.user_id != user.id or not is_renewable(certificate):
        raise CertificateRefused("This certificate cannot be renewed now.")
    close_open_attempts(certificate.enrolment)
    return start_new_cycle(certificate.enrolment)


# --- searching and bundling ----------------------------------------------------------------------------

@dataclass(frozen=True)
class CertificateFilter:
    text: str = ""
    course_id: int | None = None
    unit_id: int | None = None
    status: str = ""  # valid, expired, revoked, superseded; empty for all
    year: int | None = None


def search_query(criteria: CertificateFilter, today: date | None = None) -> Select:
    today = today or local_today()
    query = select(Certificate)
    if criteria.text.strip():
        text = criteria.text.strip()
        pattern = f"%{text.lower()}%"
        code = normalise_code(text)
        query = query.where(or_(func.lower(Certificate.holder_name).like(pattern),
                                func.lower(Certificate.serial).like(pattern),
                                func.lower(Certificate.unit_name).like(pattern),
                                Certificate.code == (code or "")))
    if criteria.course_id:
        query = query.where(Certificate.course_id == criteria.course_id)
    if criteria.unit_id:
        query = query.where(Certificate.org_unit_id.in_(unit_subtree_ids(criteria.unit_id)))
    if criteria.year:
        query = query.where(Certificate.serial_year == criteria.year)
    not_expired = or_(Certificate.valid_until.is_(None), Certificate.valid_until >= today)
    if criteria.status == "valid":
        query = query.where(Certificate.status == CertificateStatus.VALID, not_expired)
    elif criteria.status == "expired":
        query = query.where(Certificate.status == CertificateStatus.VALID, ~not_expired)
    elif criteria.status in ("revoked", "superseded"):
        query = query.where(Certificate.status == CertificateStatus(criteria.status))
    return query.order_by(Certificate.issued_at.desc(), Certificate.id.desc())


MAX_ZIP_CERTIFICATES = 5000


def zip_of(certificates: list[Certificate]) -> bytes:
    """The stored PDFs in one zip, named by serial and holder so a unit's clerk can file them."""
    storage = get_storage()
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as bundle:  # PDFs are compressed
        for certificate in certificates:
            name = f"{certificate.serial} - {certificate.holder_name}.pdf".replace("/", "-")
            bundle.writestr(name, storage.load(certificate.pdf_key))
    return buffer.getvalue()
