"""The year-end view for the emulation review: per unit, the share of its staff who completed the required
courses within the year.

The rules (the page states them too):
- Staff: the unit's active accounts, its sub-units included.
- Required courses: those chosen on the form; without a choice, every course assigned to anyone by an
  admin during the year. An edition in another language counts for its original.
- A person counts as done when they completed every required course within the year (1 January to
  31 December on the province's clock); a completion in an earlier year does not count for this one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, literal, select

from lms.accounts.models import OrgUnit, User
from lms.courses.models import Course, Enrolment
from lms.extensions import db
from lms.reports.services import (NO_UNIT, OWN, ReportFilter, UnitTree, course_family, courses_by_title,
                                  people_under, resolve_scope, share, utc_bounds)


@dataclass
class YearEndRow:
    key: int | str
    unit: OrgUnit | None
    has_sub_units: bool = False
    staff: int = 0
    completed_all: int = 0
    per_course: dict[int, int] = field(default_factory=dict)  # course id → staff who completed it this year

    @property
    def share(self) -> int | None:
        return share(self.completed_all, self.staff)

    @property
    def is_own(self) -> bool:
        return self.key == OWN


@dataclass
class YearEnd:
    year: int
    scope: OrgUnit | None
    path: list[OrgUnit]
    required: list[Course]
    chosen: bool  # the required courses were chosen on the form (else: the courses assigned this year)
    rows: list[YearEndRow]

    @property
    def total(self) -> YearEndRow:
        total = YearEndRow("total", None)
        for row in self.rows:
            total.staff += row.staff
            total.completed_all += row.completed_all
            for course_id, count in row.per_course.items():
                total.per_course[course_id] = total.per_course.get(course_id, 0) + count
        return total


def _year_bounds(year: int):
    return utc_bounds(date(year, 1, 1), date(year, 12, 31))


def courses_assigned_in(year: int) -> set[int]:
    """The courses (originals) an admin assigned to anyone during the year."""
    low, high = _year_bounds(year)
    return set(db.session.scalars(
        select(course_family).select_from(Enrolment).join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.assigned_at >= low, Enrolment.assigned_at < high).distinct()))


def year_end_view(year: int, *, course_ids: list[int] | None = None, unit_id: int | None = None,
                  tree: UnitTree | None = None) -> YearEnd:
    tree = tree or UnitTree()
    scope = resolve_scope(tree, ReportFilter(unit_id=unit_id))
    chosen = bool(course_ids)
    required = courses_by_title(set(course_ids) if chosen else courses_assigned_in(year))
    required_ids = [course.id for course in required]
    people = [User.active.is_(True), *people_under(tree, scope)]

    low, high = _year_bounds(year)
    completions = (select(Enrolment.user_id.label("user_id"), course_family.label("course_id"))
                   .join(Course, Course.id == Enrolment.course_id)
                   .where(Enrolment.completed_at >= low, Enrolment.completed_at < high,
                          course_family.in_(required_ids))
                   .distinct().subquery())
    done = (select(completions.c.user_id, func.count().label("courses"))
            .group_by(completions.c.user_id).subquery())
    # With no required course, nobody has "completed them all": the page asks for a choice instead.
    completed_all = case((done.c.courses == len(required_ids), 1), else_=0) if required_ids else literal(0)
    staff = db.session.execute(
        select(User.org_unit_id, func.count(User.id), func.sum(completed_all))
        .outerjoin(done, done.c.user_id == User.id).where(*people).group_by(User.org_unit_id)).all()
    per_course = db.session.execute(
        select(User.org_unit_id, completions.c.course_id, func.count())
        .join(completions, completions.c.user_id == User.id).where(*people)
        .group_by(User.org_unit_id, completions.c.course_id)).all() if required_ids else []

    keys = tree.row_keys(scope)
    rows = {child.id: YearEndRow(child.id, child, has_sub_units=bool(tree.children.get(child.id)))
            for child in tree.children.get(scope.id if scope else None, [])}
    extra = YearEndRow(OWN, scope) if scope else YearEndRow(NO_UNIT, None)
    rows[extra.key] = extra
    for unit_id, count, finished in staff:
        row = rows[keys[unit_id]]
        row.staff += int(count)
        row.completed_all += int(finished or 0)
    for unit_id, course_id, count in per_course:
        row = rows[keys[unit_id]]
        row.per_course[course_id] = row.per_course.get(course_id, 0) + int(count)
    ordered = [row for key, row in rows.items() if key != extra.key]
    if extra.staff:
        ordered = [extra, *ordered] if scope else [*ordered, extra]
    return YearEnd(year=year, scope=scope, path=tree.path(scope) if scope else [], required=required,
                   chosen=chosen, rows=ordered)
