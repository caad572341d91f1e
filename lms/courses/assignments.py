"""Assigning courses to people by an admin: to chosen people, to whole units (with their sub-units) or to a
training class, with an optional due date. Shared by the reports (enrolment) pages and the classes."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.accounts.services import unit_subtree_ids
from lms.audit.services import record_event
from lms.courses.models import Course, Enrolment
from lms.db import utcnow
from lms.extensions import db
from lms.quizzes.models import Attempt


@dataclass
class AssignmentReport:
    enrolled: list[int] = field(default_factory=list)     # user ids newly enrolled
    due_changed: list[int] = field(default_factory=list)  # already enrolled; due date set or changed
    unchanged: list[int] = field(default_factory=list)


def people_in_units(unit_ids: set[int], *, include_sub_units: bool = True) -> list[User]:
    """Active people of the units (and, by default, of every unit under them)."""
    ids: set[int] = set()
    for unit_id in unit_ids:
        ids |= unit_subtree_ids(unit_id) if include_sub_units else {unit_id}
    return list(db.session.scalars(select(User).where(User.org_unit_id.in_(ids), User.active.is_(True))
                                   .order_by(User.full_name)))


def assign_course(course: Course, people: list[User], *, due_on: date | None, actor: User,
                  reason: str = "") -> AssignmentReport:
    """Enrol each person in the course's current cycle (or set the due date of the enrolment they have).

    A completed enrolment keeps its completion; only its due date is not touched. One audit row records
    the whole assignment (who, which course, how many people, the due date), in the same transaction.
    """
    report = AssignmentReport()
    now = utcnow()
    user_ids = sorted({person.id for person in people})
    if not user_ids:
        return report
    current = {}
    for enrolment in db.session.scalars(select(Enrolment).where(Enrolment.course_id == course.id,
                                                                Enrolment.user_id.in_(user_ids))
                                        .order_by(Enrolment.cycle)):
        current[enrolment.user_id] = enrolment  # the highest cycle wins
    for user_id in user_ids:
        enrolment = current.get(user_id)
        if enrolment is None:
            db.session.add(Enrolment(user_id=user_id, course_id=course.id, self_enrolled=False, due_on=due_on,
                                     assigned_by_id=actor.id, assigned_at=now))
            report.enrolled.append(user_id)
        elif enrolment.completed_at is None and enrolment.due_on != due_on:
            enrolment.due_on, enrolment.assigned_by_id, enrolment.assigned_at = due_on, actor.id, now
            report.due_changed.append(user_id)
        else:
            report.unchanged.append(user_id)
    record_event(actor, "enrolment.assign", "course", course.id,
                 summary=reason or f"{course.slug}: {len(report.enrolled)} enrolled, "
                                   f"{len(report.due_changed)} due date changed",
                 after={"course": course.slug, "due_on": due_on.isoformat() if due_on else None,
                        "enrolled": report.enrolled, "due_changed": report.due_changed})
    db.session.commit()
    return report


def unassign(enrolment: Enrolment, *, actor: User) -> None:
    """Withdraw an assignment that has no progress yet; an enrolment with any record is kept."""
    attempts = db.session.scalar(select(func.count(Attempt.id)).where(Attempt.enrolment_id == enrolment.id))
    if enrolment.completions or enrolment.completed_at is not None or attempts:
        raise ValueError("an enrolment with progress or attempts is never deleted")
    record_event(actor, "enrolment.withdraw", "enrolment", enrolment.id,
                 before={"user_id": enrolment.user_id, "course_id": enrolment.course_id,
                         "due_on": enrolment.due_on.isoformat() if enrolment.due_on else None})
    db.session.delete(enrolment)
    db.session.commit()
