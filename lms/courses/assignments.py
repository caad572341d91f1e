"""Assigning courses to people by an admin: to chosen people, to whole units (with their sub-units) or to a
training class, with an optional due date. Shared by the reports (enrolment) pages and the classes.

This module is the one place that changes enrolments for assignments (enrol, set or change a due date,
withdraw) and the one place that says what "overdue" and "started" mean, for pages and queries alike.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import aliased

from lms.accounts.models import User
from lms.accounts.services import unit_subtree_ids
from lms.audit.services import record_event
from lms.certificates.services import local_today
from lms.courses.models import Course, Enrolment, ModuleCompletion
from lms.db import utcnow
from lms.extensions import db
from lms.quizzes.models import Attempt

__all__ = ["AssignmentRefused", "AssignmentReport", "assign_course", "current_cycle_clause", "is_overdue", "local_today",
           "overdue_clause", "people_in_units", "plan_assignment", "set_due_date", "started_clause", "unassign",
           "withdraw_assignments"]


class AssignmentRefused(ValueError):
    """An assignment change the enrolment's records do not allow (it has progress, it is completed)."""


# --- the rules, once ------------------------------------------------------------------------------------------

def is_overdue(enrolment: Enrolment, today: date | None = None) -> bool:
    """Not completed and due before today, "today" being the date on the province's clock."""
    today = today or local_today()
    return enrolment.completed_at is None and enrolment.due_on is not None and enrolment.due_on < today


def overdue_clause(today: date | None = None) -> ColumnElement[bool]:
    """is_overdue as a WHERE / CASE expression on Enrolment, for counting in the database."""
    today = today or local_today()
    return and_(Enrolment.completed_at.is_(None), Enrolment.due_on.is_not(None), Enrolment.due_on < today)


def started_clause() -> ColumnElement[bool]:
    """The enrolment has progress: a module marked done or a quiz attempt. Such an enrolment is never
    withdrawn, and a not-completed one counts as "in progress" rather than "not started"."""
    return or_(exists().where(ModuleCompletion.enrolment_id == Enrolment.id),
               exists().where(Attempt.enrolment_id == Enrolment.id))


def current_cycle_clause() -> ColumnElement[bool]:
    """The enrolment is the person's current cycle of the course (no later cycle exists)."""
    later = aliased(Enrolment)
    return ~exists().where(later.user_id == Enrolment.user_id, later.course_id == Enrolment.course_id,
                           later.cycle > Enrolment.cycle)


def has_progress(enrolment: Enrolment) -> bool:
    return enrolment.completed_at is not None or bool(db.session.scalar(
        select(started_clause()).select_from(Enrolment).where(Enrolment.id == enrolment.id)))


# --- whom ------------------------------------------------------------------------------------------------------

def people_in_units(unit_ids: set[int], *, include_sub_units: bool = True) -> list[User]:
    """Active people of the units (and, by default, of every unit under them)."""
    ids: set[int] = set()
    for unit_id in unit_ids:
        ids |= unit_subtree_ids(unit_id) if include_sub_units else {unit_id}
    if not ids:
        return []
    return list(db.session.scalars(select(User).where(User.org_unit_id.in_(ids), User.active.is_(True))
                                   .order_by(User.full_name)))


# --- assigning -------------------------------------------------------------------------------------------------

@dataclass
class AssignmentReport:
    """What an assignment does (or, from plan_assignment, would do) to each person, by user id."""

    enrolled: list[int] = field(default_factory=list)           # newly enrolled
    due_changed: list[int] = field(default_factory=list)        # already enrolled; due date set or changed
    unchanged: list[int] = field(default_factory=list)          # already enrolled, nothing to change
    already_completed: list[int] = field(default_factory=list)  # completed: never touched
    current: dict[int, Enrolment] = field(default_factory=dict, repr=False)  # their enrolments today

    @property
    def total(self) -> int:
        return len(self.enrolled) + len(self.due_changed) + len(self.unchanged) + len(self.already_completed)


def _current_enrolments(course: Course, user_ids: list[int]) -> dict[int, Enrolment]:
    current: dict[int, Enrolment] = {}
    for chunk in (user_ids[i:i + 500] for i in range(0, len(user_ids), 500)):  # keep IN lists modest
        for enrolment in db.session.scalars(select(Enrolment).where(Enrolment.course_id == course.id,
                                                                    Enrolment.user_id.in_(chunk))
                                            .order_by(Enrolment.cycle)):
            current[enrolment.user_id] = enrolment  # the highest cycle wins
    return current


def plan_assignment(course: Course, people: list[User], *, due_on: date | None) -> AssignmentReport:
    """What assign_course would do, without changing anything: the preview an admin confirms.

    Without a due date, people already enrolled keep the due date they have.
    """
    report = AssignmentReport()
    user_ids = sorted({person.id for person in people})
    report.current = _current_enrolments(course, user_ids)
    for user_id in user_ids:
        enrolment = report.current.get(user_id)
        if enrolment is None:
            report.enrolled.append(user_id)
        elif enrolment.completed_at is not None:
            report.already_completed.append(user_id)
        elif due_on is not None and enrolment.due_on != due_on:
            report.due_changed.append(user_id)
        else:
            report.unchanged.append(user_id)
    return report


def assign_course(course: Course, people: list[User], *, due_on: date | None, actor: User,
                  reason: str = "") -> AssignmentReport:
    """Enrol each person in the course's current cycle (or set the due date of the enrolment they have).

    A completed enrolment is never touched. A person who enrolled themselves is marked as assigned from
    now on. One audit row records the whole assignment (who, which course, whom, the due dates before and
    after), in the same transaction.
    """
    report = plan_assignment(course, people, due_on=due_on)
    if not report.total:
        return report
    now = utcnow()
    for user_id in report.enrolled:
        db.session.add(Enrolment(user_id=user_id, course_id=course.id, self_enrolled=False, due_on=due_on,
                                 assigned_by_id=actor.id, assigned_at=now))
    previous_due = {}
    for user_id in report.due_changed:
        enrolment = report.current[user_id]
        previous_due[str(user_id)] = _iso(enrolment.due_on)
        enrolment.due_on, enrolment.assigned_by_id, enrolment.assigned_at = due_on, actor.id, now
    newly_assigned = []
    for user_id in report.unchanged:
        enrolment = report.current[user_id]
        if enrolment.assigned_at is None:  # self-enrolled until now: the admin's assignment is recorded
            enrolment.assigned_by_id, enrolment.assigned_at = actor.id, now
            newly_assigned.append(user_id)
    record_event(actor, "enrolment.assign", "course", course.id,
                 summary=reason or f"{course.slug}: {len(report.enrolled)} enrolled, "
                                   f"{len(report.due_changed)} due date changed",
                 before={"due_on": previous_due} if previous_due else None,
                 after={"course": course.slug, "due_on": _iso(due_on), "enrolled": report.enrolled,
                        "due_changed": report.due_changed, "marked_assigned": newly_assigned,
                        "already_completed": report.already_completed})
    db.session.commit()
    return report


# --- changing and withdrawing ----------------------------------------------------------------------------------

def set_due_date(course: Course, enrolments: list[Enrolment], *, due_on: date | None,
                 actor: User) -> tuple[list[Enrolment], list[Enrolment]]:
    """Set (or, with None, remove) the due date of these enrolments of one course. Completed ones are
    left as they are. Returns (changed, skipped); one audit row with every date before and after."""
    if any(e.course_id != course.id for e in enrolments):
        raise AssignmentRefused("an enrolment of another course")
    changed = [e for e in enrolments if e.completed_at is None and e.due_on != due_on]
    skipped = [e for e in enrolments if e.completed_at is not None]
    if not changed:
        return changed, skipped
    before = {str(e.id): _iso(e.due_on) for e in changed}
    for enrolment in changed:
        enrolment.due_on = due_on
    record_event(actor, "enrolment.due_date", "course", course.id,
                 summary=f"{course.slug}: due date {_iso(due_on) or 'removed'} for {len(changed)} enrolment(s)",
                 before={"due_on": before},
                 after={"due_on": {key: _iso(due_on) for key in before},
                        "users": {str(e.id): e.user_id for e in changed}})
    db.session.commit()
    return changed, skipped


def _withdraw(enrolment: Enrolment, actor: User) -> None:
    before = {"user_id": enrolment.user_id, "course_id": enrolment.course_id, "due_on": _iso(enrolment.due_on),
              "assigned_by_id": enrolment.assigned_by_id,
              "assigned_at": enrolment.assigned_at.isoformat() if enrolment.assigned_at else None}
    if enrolment.self_enrolled:
        # The person enrolled themselves before it was assigned: only the assignment goes.
        enrolment.due_on = enrolment.assigned_by_id = enrolment.assigned_at = None
        record_event(actor, "enrolment.withdraw", "enrolment", enrolment.id, before=before,
                     after={"kept": "self-enrolled"}, summary="assignment withdrawn; self-enrolment kept")
    else:
        record_event(actor, "enrolment.withdraw", "enrolment", enrolment.id, before=before,
                     summary="assignment withdrawn")
        db.session.delete(enrolment)


def unassign(enrolment: Enrolment, *, actor: User) -> None:
    """Withdraw an assignment that has no progress yet; an enrolment with any record is kept."""
    if has_progress(enrolment):
        raise AssignmentRefused("an enrolment with progress or attempts is never deleted")
    if enrolment.assigned_at is None:
        raise AssignmentRefused("the person enrolled themselves: there is no assignment to withdraw")
    _withdraw(enrolment, actor)
    db.session.commit()


def withdraw_assignments(enrolments: list[Enrolment], *, actor: User) -> tuple[list[Enrolment], list[Enrolment]]:
    """unassign for many at once: those with progress (or never assigned) are kept and returned as refused."""
    withdrawable, refused = split_withdrawable(enrolments)
    for enrolment in withdrawable:
        _withdraw(enrolment, actor)
    if withdrawable:
        db.session.commit()
    return withdrawable, refused


def split_withdrawable(enrolments: list[Enrolment]) -> tuple[list[Enrolment], list[Enrolment]]:
    """(may be withdrawn, may not): an assignment without progress may; anything else may not."""
    ids = [e.id for e in enrolments]
    started = set(db.session.scalars(select(Enrolment.id).where(Enrolment.id.in_(ids), started_clause()))) \
        if ids else set()
    ok = [e for e in enrolments if e.assigned_at is not None and e.completed_at is None and e.id not in started]
    return ok, [e for e in enrolments if e not in ok]


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
