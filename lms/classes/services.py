"""Training classes: creating and editing them, their sessions, attendance, enrolling the class in its
courses and issuing the certificates its completed participants lack. Every function here that changes
data commits once (the roster lives in lms.classes.roster, the results in lms.classes.results)."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms import jobs
from lms.accounts.models import OrgUnit, Role, User
from lms.audit.services import record_event
from lms.certificates import services as certificate_services
from lms.classes.models import Attendance, ClassParticipant, ClassSession, TrainingClass
from lms.courses.assignments import assign_course
from lms.courses.models import Course, Enrolment
from lms.db import insert_ignoring_conflicts, utcnow
from lms.extensions import db

log = logging.getLogger(__name__)


class ClassError(ValueError):
    """A request that would break a rule of classes; the message is shown to the person who asked."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


# --- who sees what -------------------------------------------------------------------------------------------

def can_see_class(user: User, training_class: TrainingClass) -> bool:
    """Admins see every class; a trainer the classes they train; nobody else any."""
    if user.role is Role.ADMIN:
        return True
    return user.role is Role.TRAINER and any(t.id == user.id for t in training_class.trainers)


def visible_classes_query(user: User):
    query = select(TrainingClass)
    if user.role is not Role.ADMIN:
        from lms.classes.models import training_class_trainer as link

        query = query.where(TrainingClass.id.in_(select(link.c.class_id).where(link.c.user_id == user.id)))
    return query.order_by(TrainingClass.starts_on.desc(), TrainingClass.id.desc())


@dataclass(frozen=True)
class ClassSummary:
    training_class: TrainingClass
    participants: int
    sessions: int


def class_summaries(user: User) -> list[ClassSummary]:
    """The classes the person may see, with their head counts and session counts (two GROUP BY queries)."""
    classes = list(db.session.scalars(visible_classes_query(user)))
    ids = [c.id for c in classes]
    people = dict(db.session.execute(select(ClassParticipant.class_id, func.count(ClassParticipant.id))
                                     .where(ClassParticipant.class_id.in_(ids))
                                     .group_by(ClassParticipant.class_id)).all()) if ids else {}
    sittings = dict(db.session.execute(select(ClassSession.class_id, func.count(ClassSession.id))
                                       .where(ClassSession.class_id.in_(ids))
                                       .group_by(ClassSession.class_id)).all()) if ids else {}
    return [ClassSummary(c, people.get(c.id, 0), sittings.get(c.id, 0)) for c in classes]


def trainer_candidates() -> list[User]:
    return list(db.session.scalars(select(User).where(User.role.in_([Role.TRAINER, Role.ADMIN]),
                                                      User.active.is_(True)).order_by(User.full_name)))


# --- creating and editing ----------------------------------------------------------------------------------

@dataclass
class ClassDetails:
    name: str
    starts_on: date
    ends_on: date
    location: str = ""
    notes: str = ""
    org_unit_id: int | None = None
    course_ids: list[int] = field(default_factory=list)
    trainer_ids: list[int] = field(default_factory=list)


def _snapshot(training_class: TrainingClass) -> dict:
    return {"name": training_class.name, "starts_on": training_class.starts_on.isoformat(),
            "ends_on": training_class.ends_on.isoformat(), "location": training_class.location,
            "org_unit_id": training_class.org_unit_id, "notes": training_class.notes,
            "courses": sorted(c.id for c in training_class.courses),
            "trainers": sorted(t.id for t in training_class.trainers)}


def _apply(training_class: TrainingClass, details: ClassDetails) -> None:
    name = " ".join(details.name.split())
    if not name:
        raise ClassError(_l("A class needs a name."), "name")
    if details.ends_on < details.starts_on:
        raise ClassError(_l("The last day cannot be before the first day."), "ends_on")
    outside = [s for s in training_class.sessions if not details.starts_on <= local_day(s.starts_at) <= details.ends_on]
    if outside:
        raise ClassError(_l("A session on %(day)s would fall outside the class's dates; move or remove it first.",
                            day=local_day(outside[0].starts_at).strftime("%d/%m/%Y")), "starts_on")
    courses = list(db.session.scalars(select(Course).where(Course.id.in_(set(details.course_ids)))))
    trainers = list(db.session.scalars(select(User).where(User.id.in_(set(details.trainer_ids)))))
    if len(courses) != len(set(details.course_ids)):
        raise ClassError(_l("One of the chosen courses does not exist."), "courses")
    if len(trainers) != len(set(details.trainer_ids)) or any(t.role not in (Role.TRAINER, Role.ADMIN)
                                                               for t in trainers):
        raise ClassError(_l("Trainers must be accounts with the trainer or administrator role."), "trainers")
    if details.org_unit_id is not None and db.session.get(OrgUnit, details.org_unit_id) is None:
        raise ClassError(_l("The organising unit does not exist."), "org_unit_id")
    training_class.name = name
    training_class.starts_on, training_class.ends_on = details.starts_on, details.ends_on
    training_class.location = " ".join(details.location.split())
    training_class.notes = details.notes.strip()
    training_class.org_unit_id = details.org_unit_id
    training_class.courses = courses
    training_class.trainers = trainers


def create_class(details: ClassDetails, *, actor: User) -> TrainingClass:
    training_class = TrainingClass(created_by_id=actor.id)
    _apply(training_class, details)
    db.session.add(training_class)
    db.session.flush()
    record_event(actor, "class.create", "training_class", training_class.id, summary=training_class.name,
                 after=_snapshot(training_class))
    db.session.commit()
    return training_class


def update_class(training_class: TrainingClass, details: ClassDetails, *, actor: User) -> TrainingClass:
    before = _snapshot(training_class)
    try:
        _apply(training_class, details)
    except ClassError:
        db.session.rollback()
        raise
    after = _snapshot(training_class)
    if after != before:
        record_event(actor, "class.update", "training_class", training_class.id, summary=training_class.name,
                     before=before, after=after)
    db.session.commit()
    return training_class


# --- sessions --------------------------------------------------------------------------------------------------

def local_moment(day: date, clock: time) -> datetime:
    """A date and time as read on the province's clock, as the aware datetime stored (UTC)."""
    return datetime.combine(day, clock, certificate_services.province_zone())


def local_day(moment: datetime) -> date:
    return certificate_services.local_date(moment)


def add_session(training_class: TrainingClass, *, title: str, day: date, starts: time, ends: time | None,
                actor: User) -> ClassSession:
    if not training_class.starts_on <= day <= training_class.ends_on:
        raise ClassError(_l("The session must fall between the class's first and last day."), "day")
    if ends is not None and ends <= starts:
        raise ClassError(_l("The session must end after it starts."), "ends_at")
    session = ClassSession(class_id=training_class.id, title=" ".join(title.split()),
                           starts_at=local_moment(day, starts),
                           ends_at=local_moment(day, ends) if ends is not None else None)
    db.session.add(session)
    db.session.flush()
    record_event(actor, "class.session_add", "training_class", training_class.id,
                 summary=f"{training_class.name}: {session.title or day.isoformat()}",
                 after={"session_id": session.id, "starts_at": session.starts_at.isoformat()})
    db.session.commit()
    return session


def remove_session(session: ClassSession, *, actor: User) -> None:
    """A session whose attendance has been marked is kept: the marks are the record of who came."""
    marked = db.session.scalar(select(func.count(Attendance.id)).where(Attendance.session_id == session.id))
    if marked:
        raise ClassError(_l("Attendance has been marked for this session, so it cannot be removed."))
    record_event(actor, "class.session_remove", "training_class", session.class_id,
                 summary=session.title, before={"session_id": session.id,
                                                "starts_at": session.starts_at.isoformat()})
    db.session.delete(session)
    db.session.commit()


# --- attendance ------------------------------------------------------------------------------------------------

def attendance_of(session: ClassSession) -> dict[int, bool]:
    """participant id → present, for the participants marked at this session."""
    return dict(db.session.execute(select(Attendance.participant_id, Attendance.present)
                                   .where(Attendance.session_id == session.id)).all())


@dataclass(frozen=True)
class AttendanceReport:
    present: int
    absent: int
    changed: int


def mark_attendance(session: ClassSession, *, shown: set[int], present: set[int], actor: User) -> AttendanceReport:
    """Record a whole sheet at once: each participant it showed is present if ticked, absent otherwise.

    One row per (session, participant), updated in place; a sheet sent twice (or by two trainers at once)
    leaves one row each, holding the last sheet's mark.
    """
    roster = set(db.session.scalars(select(ClassParticipant.id)
                                    .where(ClassParticipant.class_id == session.class_id)))
    if not shown or not shown <= roster or not present <= shown:
        raise ClassError(_l("This sheet does not match the class's roster. Reload it and mark again."))
    rows = {row.participant_id: row for row in db.session.scalars(
        select(Attendance).where(Attendance.session_id == session.id, Attendance.participant_id.in_(shown)))}
    now, changed = utcnow(), 0
    for participant_id in sorted(shown):
        is_present = participant_id in present
        row = rows.get(participant_id)
        if row is None and insert_ignoring_conflicts(
                db.session, Attendance, session_id=session.id, participant_id=participant_id,
                present=is_present, marked_at=now, marked_by_id=actor.id):
            changed += 1
            continue
        if row is None:  # marked by someone else a moment ago: this sheet's mark wins
            row = db.session.scalar(select(Attendance).where(Attendance.session_id == session.id,
                                                             Attendance.participant_id == participant_id))
        if row.present != is_present:
            row.present, row.marked_at, row.marked_by_id = is_present, now, actor.id
            changed += 1
    report = AttendanceReport(present=len(present), absent=len(shown) - len(present), changed=changed)
    record_event(actor, "class.attendance", "training_class", session.class_id,
                 summary=f"{session.title or session.starts_at.isoformat()}: {report.present} present, "
                         f"{report.absent} absent",
                 after={"session_id": session.id, "present": sorted(present),
                        "absent": sorted(shown - present)})
    db.session.commit()
    return report


# --- enrolment and certificates ------------------------------------------------------------------------------

def active_participants(training_class: TrainingClass) -> list[User]:
    return list(db.session.scalars(
        select(User).join(ClassParticipant, ClassParticipant.user_id == User.id)
        .where(ClassParticipant.class_id == training_class.id, User.active.is_(True))
        .order_by(User.full_name)))


def enrol_class(training_class: TrainingClass, *, due_on: date | None, actor: User) -> dict[str, int]:
    """Enrol every active participant in each of the class's courses (or set the due date they have).

    Each course is one assignment with its own audit row (lms.courses.assignments commits per course).
    """
    if not training_class.courses:
        raise ClassError(_l("The class has no courses to enrol in."))
    people = active_participants(training_class)
    if not people:
        raise ClassError(_l("The class has no participants yet."))
    totals = {"enrolled": 0, "due_changed": 0, "unchanged": 0}
    for course in training_class.courses:
        report = assign_course(course, people, due_on=due_on, actor=actor,
                               reason=f"{course.slug}: class “{training_class.name}” (#{training_class.id})")
        totals["enrolled"] += len(report.enrolled)
        totals["due_changed"] += len(report.due_changed)
        totals["unchanged"] += len(report.unchanged)
    return totals


@dataclass
class IssueReport:
    issued: int = 0
    failed: int = 0
    already: int = 0
    queued: int = 0  # handed to the RQ queue (REDIS_URL set): `rq worker` issues them shortly


def issue_class_certificates(training_class: TrainingClass, *, actor: User) -> IssueReport:
    """Certificates for the class's completed participants that have none yet.

    A completed participant has completed every class course online (see lms.classes.results), so the
    certificate is that of the completed enrolment (certificates.issue_certificate), usually issued the
    moment they finished; this catches those whose issue failed. issue_in_person is not used: it records a
    completion, and the class's rule never grants one. The missing ones are issued in batches through
    lms.jobs: here and now, or by `rq worker` when Redis is configured (the report then counts them queued).
    """
    from lms.classes.results import class_results

    report = IssueReport()
    lacking = []
    for row in class_results(training_class).rows:
        if not row.completed:
            continue
        for course_result in row.courses:
            if course_result.certificate is not None:
                report.already += 1
            else:
                lacking.append(course_result.enrolment_id)
    for batch in jobs.batched(lacking, jobs.CERTIFICATES_PER_JOB):
        outcome = jobs.enqueue(issue_class_certificate_batch, training_class.id, batch, actor.id,
                               description=f"class {training_class.id}: issue {len(batch)} certificate(s)")
        if outcome.queued:
            report.queued += len(batch)
        else:
            report.issued += outcome.result.issued
            report.failed += outcome.result.failed
            report.already += outcome.result.already
    return report


@jobs.job
def issue_class_certificate_batch(class_id: int, enrolment_ids: list[int], actor_id: int) -> IssueReport:
    """Issue the certificates of these enrolments of a class's participants, each committed with its audit
    row, so one that fails to render does not undo the others. Idempotent: a certificate issued meanwhile
    (by a retried or repeated job, or at completion) is counted as already there and gets no audit row."""
    training_class = db.session.get(TrainingClass, class_id)
    actor = db.session.get(User, actor_id)
    report = IssueReport()
    for enrolment_id in enrolment_ids:
        if certificate_services.current_certificate(enrolment_id) is not None:
            report.already += 1
            continue
        enrolment = db.session.get(Enrolment, enrolment_id)
        now = utcnow()
        try:
            certificate = certificate_services.issue_certificate(enrolment, issued_by=actor, now=now)
            if certificate.issued_at != now:  # another job issued it a moment ago: theirs, with their audit row
                db.session.rollback()
                report.already += 1
                continue
            record_event(actor, "certificate.issue", "certificate", certificate.id,
                         summary=f"{certificate.serial}: {certificate.holder_name} – "
                                 f"{certificate.course_title} (class “{training_class.name}”)",
                         after={"enrolment_id": enrolment.id, "class_id": training_class.id})
            db.session.commit()
            report.issued += 1
        except Exception:  # noqa: BLE001 - one bad record must not stop the rest; logged and counted
            db.session.rollback()
            log.exception("certificate for enrolment %s (class %s) not issued", enrolment_id, class_id)
            report.failed += 1
    return report


def class_certificates(training_class: TrainingClass):
    """The standing certificates of the class's participants for the class's courses, by holder's name."""
    from lms.certificates.models import Certificate, CertificateStatus

    course_ids = [c.id for c in training_class.courses]
    if not course_ids:
        return []
    users = select(ClassParticipant.user_id).where(ClassParticipant.class_id == training_class.id)
    return list(db.session.scalars(
        select(Certificate).where(Certificate.user_id.in_(users), Certificate.course_id.in_(course_ids),
                                  Certificate.status == CertificateStatus.VALID)
        .order_by(Certificate.holder_name, Certificate.serial)))
