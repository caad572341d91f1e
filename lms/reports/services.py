"""Completion figures: the units × courses matrix and a unit's people with their status per course.

The rules, stated once (the pages repeat them in words):
- Counted people: active accounts (deactivated ones are left out), of any role.
- A course's editions in other languages count for the original course.
- A person is *enrolled* in the period when one of their cycles of the course was open during it: created
  before the period ended and not completed before it began (or completed within it).
- *Completed*: a cycle completed within the period. *In progress*: enrolled, not completed, and some
  module done or a quiz attempted. *Overdue*: enrolled, not completed, and past the due date today (the
  shared rule `overdue_clause`). *Certified*: enrolled and holding a valid certificate of the course today.
- *% completed* = completed ÷ enrolled.

Every figure is counted in the database: one statement groups the enrolments per person and course, then
per unit. Python only adds the units' figures up the unit tree, so the work here grows with the number of
units and courses, never with the number of people.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property

from sqlalchemy import ColumnElement, and_, case, exists, func, literal_column, null, or_, select, true

from lms.accounts.models import OrgUnit, User
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.services import local_today, province_zone
from lms.courses.assignments import overdue_clause, started_clause
from lms.courses.models import Course, Enrolment
from lms.extensions import db

OWN = "own"          # the row of the people attached to the chosen unit itself
NO_UNIT = "no-unit"  # people without a unit, at the top level

course_family = func.coalesce(Course.edition_of_id, Course.id)


# --- filters and the period ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportFilter:
    start: date | None = None  # first day of the period, inclusive; None: from the beginning
    end: date | None = None    # last day, inclusive; None: up to now
    course_id: int | None = None
    unit_id: int | None = None

    @classmethod
    def this_year(cls, today: date | None = None) -> ReportFilter:
        today = today or local_today()
        return cls(start=date(today.year, 1, 1), end=date(today.year, 12, 31))


def utc_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """The period's calendar days on the province's clock as UTC instants: [from, until)."""
    zone = province_zone()
    low = datetime.combine(start, time(0), zone).astimezone(timezone.utc) if start else None
    high = datetime.combine(end + timedelta(days=1), time(0), zone).astimezone(timezone.utc) if end else None
    return low, high


def _flag(condition):
    return func.max(case((condition, 1), else_=0))


@dataclass(frozen=True)
class _Period:
    """The period's tests on an enrolment (one cycle), shared by the matrix and a unit's people."""
    low: datetime | None
    completed_in_period: ColumnElement[bool]
    in_cohort: ColumnElement[bool]  # the cycle was open during the period: the person counts as enrolled


def _period(filters: ReportFilter) -> _Period:
    low, high = utc_bounds(filters.start, filters.end)
    completed_in_period = and_(Enrolment.completed_at.is_not(None),
                               Enrolment.completed_at >= low if low else true(),
                               Enrolment.completed_at < high if high else true())
    open_in_period = and_(Enrolment.created_at < high if high else true(),
                          or_(Enrolment.completed_at.is_(None), Enrolment.completed_at >= low) if low else true())
    return _Period(low, completed_in_period, or_(completed_in_period, open_in_period))


def _valid_certificate(today: date) -> ColumnElement[bool]:
    # SELECT 1 rather than exists()'s SELECT *: SQLite then answers from the index alone, without reading
    # the certificate's row, once per enrolment counted.
    return exists(literal_column("1")).where(
        Certificate.user_id == Enrolment.user_id, Certificate.course_id == Enrolment.course_id,
        Certificate.status == CertificateStatus.VALID,
        or_(Certificate.valid_until.is_(None), Certificate.valid_until >= today))


def _per_person_and_course(*columns, people: list, filters: ReportFilter):
    query = (select(User.org_unit_id.label("unit_id"), Enrolment.user_id.label("user_id"),
                    course_family.label("course_id"), *columns)
             .join(User, User.id == Enrolment.user_id)
             .join(Course, Course.id == Enrolment.course_id)
             .where(User.active.is_(True), *people)
             .group_by(User.org_unit_id, Enrolment.user_id, course_family))
    if filters.course_id:
        query = query.where(course_family == filters.course_id)
    return query


def person_course_facts(filters: ReportFilter, *, people: list, today: date | None = None):
    """One row per person and course (family): whether they were enrolled in the period, completed, started,
    are overdue, hold a valid certificate; when they completed (in the period, and last before it) and their
    open due date. For a page of people: every cycle of theirs, each flag tested within the period."""
    today = today or local_today()
    period = _period(filters)
    in_cohort, low = period.in_cohort, period.low
    return _per_person_and_course(
        _flag(in_cohort).label("enrolled"),
        _flag(period.completed_in_period).label("completed"),
        _flag(and_(in_cohort, started_clause())).label("started"),
        _flag(and_(in_cohort, overdue_clause(today))).label("overdue"),
        _flag(and_(in_cohort, _valid_certificate(today))).label("certified"),
        func.max(case((period.completed_in_period, Enrolment.completed_at))).label("completed_at"),
        (func.max(case((Enrolment.completed_at < low, Enrolment.completed_at))) if low
         else null()).label("completed_before"),
        func.min(case((and_(in_cohort, Enrolment.completed_at.is_(None)), Enrolment.due_on))).label("due_on"),
        people=people, filters=filters)


def cohort_facts(filters: ReportFilter, *, people: list, today: date | None = None):
    """The matrix's subquery: one row per person and course (family) enrolled in the period, with the flags
    it counts (completed, started, overdue, certified). A SELECT, so nothing per person leaves the database.

    Leaner than person_course_facts because it runs over every enrolment (~30,000 at scale) on the
    dashboard: the WHERE clause keeps the period's cycles alone, so the flags need not repeat that test;
    no dates; and "started" is not looked up for a cycle completed in the period, since a person who
    completed is counted as completed, never as in progress."""
    today = today or local_today()
    period = _period(filters)
    done = period.completed_in_period
    return (_per_person_and_course(
        _flag(done).label("completed"),
        func.max(case((done, 0), (started_clause(), 1), else_=0)).label("started"),
        _flag(overdue_clause(today)).label("overdue"),
        _flag(_valid_certificate(today)).label("certified"),
        people=people, filters=filters)
        .where(period.in_cohort))


# --- the unit tree --------------------------------------------------------------------------------------------

class UnitTree:
    """Every unit, loaded once per page: parents, children, and which row of a report a unit adds up to."""

    def __init__(self):
        units = db.session.scalars(select(OrgUnit).order_by(OrgUnit.name)).all()
        self.by_id = {unit.id: unit for unit in units}
        self.children: dict[int | None, list[OrgUnit]] = {}
        for unit in units:
            parent = unit.parent_id if unit.parent_id in self.by_id else None
            self.children.setdefault(parent, []).append(unit)

    def subtree_ids(self, unit_id: int) -> set[int]:
        found, frontier = {unit_id}, [unit_id]
        while frontier:
            for child in self.children.get(frontier.pop(), []):
                if child.id not in found:
                    found.add(child.id)
                    frontier.append(child.id)
        return found

    def default_scope(self) -> OrgUnit | None:
        """With a single root (the province), its departments and communes are the rows worth showing."""
        roots = self.children.get(None, [])
        return roots[0] if len(roots) == 1 else None

    def row_keys(self, scope: OrgUnit | None) -> dict[int | None, int | str]:
        """unit id → the row it counts in: a child of the scope (with everything under it), or OWN / NO_UNIT."""
        keys: dict[int | None, int | str] = {}
        for child in self.children.get(scope.id if scope else None, []):
            for unit_id in self.subtree_ids(child.id):
                keys[unit_id] = child.id
        keys[scope.id if scope else None] = OWN if scope else NO_UNIT
        return keys

    def path(self, unit: OrgUnit) -> list[OrgUnit]:
        chain, node = [], unit
        while node is not None and node not in chain:
            chain.append(node)
            node = self.by_id.get(node.parent_id)
        return list(reversed(chain))


def people_under(tree: UnitTree, scope: OrgUnit | None) -> list:
    """The WHERE terms for the people a report counts: those of the scope's unit and of every unit under it."""
    if scope is None:
        return []
    ids = tree.subtree_ids(scope.id)
    if len(ids) == len(tree.by_id):
        # The province's root holds every unit: "has a unit" says the same, and lets the database read the
        # enrolments in one pass instead of probing each of ~500 units from a 500-item IN list.
        return [User.org_unit_id.is_not(None)]
    return [User.org_unit_id.in_(ids)]


def resolve_scope(tree: UnitTree, filters: ReportFilter) -> OrgUnit | None:
    if filters.unit_id and filters.unit_id in tree.by_id:
        return tree.by_id[filters.unit_id]
    return tree.default_scope()


# --- the matrix -------------------------------------------------------------------------------------------------

@dataclass
class Counts:
    enrolled: int = 0
    in_progress: int = 0
    completed: int = 0
    overdue: int = 0
    certified: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.enrolled + other.enrolled, self.in_progress + other.in_progress,
                      self.completed + other.completed, self.overdue + other.overdue,
                      self.certified + other.certified)

    @property
    def percent(self) -> int | None:
        """Per cent completed, rounded half up; None when nobody is enrolled."""
        return share(self.completed, self.enrolled)


def added_up(counts: Iterable[Counts]) -> Counts:
    """The counts added field by field. (`sum()` with `+` makes an object per step: at scale a page added
    some 40,000 of them for its row and column totals.)"""
    enrolled = in_progress = completed = overdue = certified = 0
    for c in counts:
        enrolled += c.enrolled
        in_progress += c.in_progress
        completed += c.completed
        overdue += c.overdue
        certified += c.certified
    return Counts(enrolled, in_progress, completed, overdue, certified)


def share(part: int, whole: int) -> int | None:
    return None if not whole else (200 * part + whole) // (2 * whole)


@dataclass
class MatrixRow:
    key: int | str              # a unit id, OWN or NO_UNIT
    unit: OrgUnit | None        # the row's unit (for OWN: the chosen unit itself)
    has_sub_units: bool = False
    cells: dict[int, Counts] = field(default_factory=dict)  # course id → counts

    def cell(self, course_id: int) -> Counts:
        return self.cells.get(course_id, Counts())

    @cached_property
    def total(self) -> Counts:
        # Cached: the chart and the table by unit each ask for it; cells are final once the row is built.
        return added_up(self.cells.values())

    @property
    def is_own(self) -> bool:
        return self.key == OWN

    @property
    def is_empty(self) -> bool:
        return self.total.enrolled == 0


@dataclass
class CompletionMatrix:
    filters: ReportFilter
    scope: OrgUnit | None
    path: list[OrgUnit]
    courses: list[Course]
    rows: list[MatrixRow]

    @cached_property
    def totals(self) -> dict[int, Counts]:
        # Cached: a template asking for one course's total must not re-add every row each time.
        totals = {}
        for course_id in (c.id for c in self.courses):
            totals[course_id] = added_up(row.cells[course_id] for row in self.rows if course_id in row.cells)
        return totals

    @property
    def grand_total(self) -> Counts:
        # From the rows' totals (cached, the chart needs them anyway): the same sum, 300 steps instead of 15,000.
        return added_up(row.total for row in self.rows)

    @property
    def selected_course(self) -> Course | None:
        return self.courses[0] if self.filters.course_id and self.courses else None

    def by_unit(self) -> list[tuple[MatrixRow, Counts]]:
        """Per row, the counts of the chosen course or of all courses together (a person counts once per
        course): the bars of the chart and the rows of the table by unit."""
        course = self.selected_course
        return [(row, row.cell(course.id) if course else row.total) for row in self.rows]

    @property
    def cell_rows(self) -> int:
        """How many lines the full units × courses table has."""
        return len(self.rows) * len(self.courses)


def completion_matrix(filters: ReportFilter, *, today: date | None = None,
                      tree: UnitTree | None = None) -> CompletionMatrix:
    """The units at one level (the chosen unit's sub-units, each with everything under it, and the chosen unit's
    own people) × the courses, counted in one GROUP BY statement."""
    tree = tree or UnitTree()
    scope = resolve_scope(tree, filters)
    people = people_under(tree, scope)
    facts = cohort_facts(filters, people=people, today=today).subquery()
    not_done = facts.c.completed == 0
    grouped = db.session.execute(
        select(facts.c.unit_id, facts.c.course_id, func.count(),
               func.sum(case((and_(not_done, facts.c.started == 1), 1), else_=0)),
               func.sum(facts.c.completed),
               func.sum(case((and_(not_done, facts.c.overdue == 1), 1), else_=0)),
               func.sum(facts.c.certified))
        .group_by(facts.c.unit_id, facts.c.course_id)).all()

    keys = tree.row_keys(scope)
    rows = {child.id: MatrixRow(child.id, child, has_sub_units=bool(tree.children.get(child.id)))
            for child in tree.children.get(scope.id if scope else None, [])}
    extra = MatrixRow(OWN, scope) if scope else MatrixRow(NO_UNIT, None)
    rows[extra.key] = extra
    course_ids = {filters.course_id} if filters.course_id else set()
    # Added up as plain lists, then one Counts per cell: two Counts per grouped line (one line per unit and
    # course, ~15,000 at scale) were most of the page's Python time.
    sums: dict[tuple[int | str, int], list[int]] = {}
    for unit_id, course_id, *numbers in grouped:
        key = (keys[unit_id], course_id)
        cell = sums.get(key)
        sums[key] = ([int(n or 0) for n in numbers] if cell is None
                     else [total + int(n or 0) for total, n in zip(cell, numbers, strict=True)])
    for (key, course_id), numbers in sums.items():
        rows[key].cells[course_id] = Counts(*numbers)
        course_ids.add(course_id)
    ordered = [row for key, row in rows.items() if key != extra.key]
    if not extra.is_empty:  # the chosen unit's own staff first; people without a unit last
        ordered = [extra, *ordered] if scope else [*ordered, extra]
    return CompletionMatrix(filters=filters, scope=scope, path=tree.path(scope) if scope else [],
                            courses=courses_by_title(course_ids), rows=ordered)


def courses_by_title(course_ids: set[int]) -> list[Course]:
    if not course_ids:
        return []
    return list(db.session.scalars(select(Course).where(Course.id.in_(course_ids)).order_by(Course.title)))


def report_courses() -> list[Course]:
    """The courses a report can be filtered by: originals only (their editions count with them)."""
    return list(db.session.scalars(select(Course).where(Course.edition_of_id.is_(None)).order_by(Course.title)))


# --- a unit's own people ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonStatus:
    enrolled: bool
    completed: bool
    started: bool
    overdue: bool
    certified: bool
    completed_at: datetime | None      # within the period
    completed_before: datetime | None  # the last completion before the period began
    due_on: date | None

    @property
    def state(self) -> str:
        """completed, overdue, in-progress, not-started, earlier (completed before the period) or none."""
        if self.enrolled:
            if self.completed:
                return "completed"
            return "overdue" if self.overdue else "in-progress" if self.started else "not-started"
        return "earlier" if self.completed_before else "none"


def people_statuses(filters: ReportFilter, user_ids: list[int], *,
                    today: date | None = None) -> dict[tuple[int, int], PersonStatus]:
    """(user id, course id) → status, for one page of people, in one statement."""
    if not user_ids:
        return {}
    facts = person_course_facts(replace(filters, unit_id=None), people=[User.id.in_(user_ids)], today=today)
    statuses = {}
    for row in db.session.execute(facts):
        completed = bool(row.completed)
        statuses[(row.user_id, row.course_id)] = PersonStatus(
            enrolled=bool(row.enrolled), completed=completed, started=bool(row.started),
            overdue=bool(row.overdue) and not completed, certified=bool(row.certified),
            completed_at=_aware(row.completed_at), completed_before=_aware(row.completed_before), due_on=row.due_on)
    return statuses


def _aware(moment: datetime | None) -> datetime | None:
    # Aggregates (max) bypass the column type, so SQLite hands back a string or a naive datetime.
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def own_people_query(unit: OrgUnit):
    """The active people attached to the unit itself (its sub-units have their own pages)."""
    return (select(User).where(User.org_unit_id == unit.id, User.active.is_(True))
            .order_by(User.full_name, User.id))
