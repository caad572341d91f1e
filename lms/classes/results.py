"""Each participant's standing in a class: attendance and online completion, combined into one status.

The rule (documented in README "Training classes"): a participant has **completed** the class when they
were present at no fewer than the required share of the class's sessions (LMS_CLASS_ATTENDANCE_PERCENT,
100 by default: every session; the count is rounded up, so 80% of 5 sessions is 4) **and** have completed
each of the class's courses online in their current cycle. A class without sessions cannot be completed.
Everything is read with a handful of aggregate queries, whatever the size of the roster.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import func, select

from lms.accounts.models import OrgUnit, User
from lms.accounts.text_search import sort_key
from lms.certificates.models import Certificate, CertificateStatus
from lms.classes.models import Attendance, ClassParticipant, ClassSession, TrainingClass
from lms.courses.models import Course, Enrolment
from lms.courses.services import progress_for
from lms.extensions import db

COMPLETED, IN_PROGRESS, NOT_STARTED = "completed", "in_progress", "not_started"

def name_order(full_name: str) -> tuple[str, str]:
    """Vietnamese rosters are ordered by the given name (the last word), then the whole name."""
    words = full_name.split()
    return (sort_key(words[-1]) if words else "", sort_key(full_name))


def required_sessions(total: int) -> int:
    percent = current_app.config["CLASS_ATTENDANCE_PERCENT"]
    return math.ceil(total * percent / 100)


@dataclass(frozen=True)
class CourseResult:
    course: Course
    enrolment_id: int | None
    percent: int          # modules done, 0 when not enrolled
    completed_on: date | None
    due_on: date | None
    certificate: Certificate | None

    @property
    def completed(self) -> bool:
        return self.completed_on is not None


@dataclass(frozen=True)
class ParticipantResult:
    participant: ClassParticipant
    user: User
    unit_name: str
    present: int
    marked: int           # sessions at which this participant was marked, present or absent
    courses: list[CourseResult]
    attendance_met: bool

    @property
    def online_met(self) -> bool:
        return all(c.completed for c in self.courses)

    @property
    def completed(self) -> bool:
        return self.attendance_met and self.online_met

    @property
    def status(self) -> str:
        if self.completed:
            return COMPLETED
        if self.present or any(c.percent or c.completed for c in self.courses):
            return IN_PROGRESS
        return NOT_STARTED


@dataclass(frozen=True)
class ClassResults:
    training_class: TrainingClass
    sessions: int
    required: int
    courses: list[Course]
    rows: list[ParticipantResult]

    @property
    def completed(self) -> int:
        return sum(1 for row in self.rows if row.completed)


def _attendance_counts(class_id: int) -> tuple[dict[int, int], dict[int, int]]:
    in_class = (select(ClassSession.id).where(ClassSession.class_id == class_id))
    marked, present = {}, {}
    for participant_id, is_present, count in db.session.execute(
            select(Attendance.participant_id, Attendance.present, func.count(Attendance.id))
            .where(Attendance.session_id.in_(in_class))
            .group_by(Attendance.participant_id, Attendance.present)):
        marked[participant_id] = marked.get(participant_id, 0) + count
        if is_present:
            present[participant_id] = count
    return present, marked


def _current_enrolments(class_id: int, course_ids: list[int]) -> dict[tuple[int, int], Enrolment]:
    """(user id, course id) → the current cycle of each participant's enrolment in each class course."""
    if not course_ids:
        return {}
    users = select(ClassParticipant.user_id).where(ClassParticipant.class_id == class_id)
    latest = (select(Enrolment.user_id, Enrolment.course_id, func.max(Enrolment.cycle).label("cycle"))
              .where(Enrolment.user_id.in_(users), Enrolment.course_id.in_(course_ids))
              .group_by(Enrolment.user_id, Enrolment.course_id).subquery())
    enrolments = db.session.scalars(select(Enrolment).join(
        latest, (Enrolment.user_id == latest.c.user_id) & (Enrolment.course_id == latest.c.course_id)
        & (Enrolment.cycle == latest.c.cycle)))
    return {(e.user_id, e.course_id): e for e in enrolments}


def _current_certificates(enrolment_ids: list[int]) -> dict[int, Certificate]:
    if not enrolment_ids:
        return {}
    found: dict[int, Certificate] = {}
    for certificate in db.session.scalars(select(Certificate).where(
            Certificate.enrolment_id.in_(enrolment_ids), Certificate.status != CertificateStatus.SUPERSEDED)
            .order_by(Certificate.edition)):
        found[certificate.enrolment_id] = certificate  # the highest edition wins
    return found


def class_results(training_class: TrainingClass) -> ClassResults:
    from lms.certificates.services import local_date

    class_id = training_class.id
    sessions = db.session.scalar(select(func.count(ClassSession.id)).where(ClassSession.class_id == class_id))
    required = required_sessions(sessions)
    courses = list(training_class.courses)
    course_ids = [c.id for c in courses]
    present, marked = _attendance_counts(class_id)
    enrolments = _current_enrolments(class_id, course_ids)
    progress = progress_for(list(enrolments.values()))
    certificates = _current_certificates([e.id for e in enrolments.values()])
    people = db.session.execute(
        select(ClassParticipant, User, OrgUnit.name).join(User, ClassParticipant.user_id == User.id)
        .outerjoin(OrgUnit, User.org_unit_id == OrgUnit.id)
        .where(ClassParticipant.class_id == class_id)).all()
    people.sort(key=lambda found: (name_order(found[1].full_name), found[1].username))
    rows = []
    for participant, user, unit_name in people:
        course_results = []
        for course in courses:
            enrolment = enrolments.get((user.id, course.id))
            course_results.append(CourseResult(
                course=course, enrolment_id=enrolment.id if enrolment else None,
                percent=progress[enrolment.id].percent if enrolment else 0,
                completed_on=local_date(enrolment.completed_at) if enrolment and enrolment.completed_at else None,
                due_on=enrolment.due_on if enrolment else None,
                certificate=certificates.get(enrolment.id) if enrolment else None))
        attended = present.get(participant.id, 0)
        rows.append(ParticipantResult(participant=participant, user=user, unit_name=unit_name or "",
                                      present=attended, marked=marked.get(participant.id, 0),
                                      courses=course_results,
                                      attendance_met=sessions > 0 and attended >= required))
    return ClassResults(training_class=training_class, sessions=sessions, required=required, courses=courses,
                        rows=rows)


# --- the exported report ---------------------------------------------------------------------------------------

def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def export_table(results: ClassResults, labels: dict[str, str]) -> tuple[list[str], list[list]]:
    """Headers and rows of the class's results report, for CSV and XLSX alike.

    `labels` carries the translated words (the caller knows the language); names keep their diacritics.
    """
    headers = [labels["number"], labels["name"], labels["username"], labels["email"], labels["unit"],
               labels["present"], labels["sessions"]]
    for course in results.courses:
        headers += [f"{course.title}: {labels['progress']}", f"{course.title}: {labels['completed_on']}",
                    f"{course.title}: {labels['certificate']}"]
    headers.append(labels["status"])
    rows = []
    for number, row in enumerate(results.rows, start=1):
        line = [number, row.user.full_name, row.user.username, row.user.email, row.unit_name, row.present,
                results.sessions]
        for course in row.courses:
            line += [course.percent, _day(course.completed_on),
                     course.certificate.serial if course.certificate else ""]
        line.append(labels[row.status])
        rows.append(line)
    return headers, rows
