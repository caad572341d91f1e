"""Read-side queries for the admin's enrolment pages: the per-course enrolment list with its filters, the
courses overview (enrolled, completed, overdue per course) and the people search of the assign page.

Counts are aggregated in the database; a page of the list costs a fixed number of queries.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, case, func, or_, select, true
from sqlalchemy.orm import aliased, joinedload

from lms.accounts.directory import PeopleFilter, fold, folded, people_query
from lms.accounts.models import User
from lms.accounts.services import unit_subtree_ids
from lms.courses.assignments import current_cycle_clause, local_today, overdue_clause, started_clause
from lms.courses.models import Course, Enrolment
from lms.extensions import db

STATUSES = ("overdue", "not_started", "in_progress", "completed")
PEOPLE_SEARCH_LIMIT = 25


@dataclass(frozen=True)
class EnrolmentFilter:
    unit_id: int | None = None  # with its sub-units
    status: str = ""            # one of STATUSES, or "" for all
    text: str = ""              # name, username or email


def status_clause(status: str, today: date):
    completed = Enrolment.completed_at.is_not(None)
    return {"overdue": overdue_clause(today),
            "completed": completed,
            "in_progress": ~completed & started_clause(),
            "not_started": ~completed & ~started_clause()}[status]


def _matching_text(text: str):
    """Every word appears in the name (with or without diacritics), the username or the email."""
    return and_(*(or_(folded(User.full_name).contains(word, autoescape=True),
                      func.lower(User.username).contains(word, autoescape=True),
                      func.lower(User.email).contains(word, autoescape=True))
                  for word in fold(text).split()), true())


def _filtered(query: Select, course: Course, criteria: EnrolmentFilter, today: date) -> Select:
    query = (query.join(User, User.id == Enrolment.user_id)
             .where(Enrolment.course_id == course.id, current_cycle_clause()))
    if criteria.unit_id:
        query = query.where(User.org_unit_id.in_(unit_subtree_ids(criteria.unit_id)))
    if criteria.status in STATUSES:
        query = query.where(status_clause(criteria.status, today))
    if criteria.text.strip():
        query = query.where(_matching_text(criteria.text))
    return query


@dataclass
class EnrolmentRow:
    enrolment: Enrolment
    person: User
    assigned_by_name: str | None
    started: bool


@dataclass
class EnrolmentPage:
    rows: list[EnrolmentRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def enrolment_list(course: Course, criteria: EnrolmentFilter, *, page: int = 1, per_page: int = 50,
                   today: date | None = None) -> EnrolmentPage:
    """One page of the course's current enrolments (people by name) matching the filter, and the total."""
    today = today or local_today()
    total = db.session.scalar(_filtered(select(func.count(Enrolment.id)), course, criteria, today))
    page = max(1, min(page, max(1, -(-total // per_page))))
    assigner = aliased(User)
    query = (_filtered(select(Enrolment, User, assigner.full_name, started_clause()), course, criteria, today)
             .outerjoin(assigner, assigner.id == Enrolment.assigned_by_id)
             .options(joinedload(User.org_unit))
             .order_by(User.full_name, User.id).limit(per_page).offset((page - 1) * per_page))
    rows = [EnrolmentRow(enrolment, person, assigned_by_name, bool(started))
            for enrolment, person, assigned_by_name, started in db.session.execute(query)]
    return EnrolmentPage(rows=rows, total=total, page=page, per_page=per_page)


def matching_enrolments(course: Course, criteria: EnrolmentFilter, today: date | None = None) -> list[Enrolment]:
    """Every current enrolment of the course that the list's filters show (for "all matching")."""
    return list(db.session.scalars(_filtered(select(Enrolment), course, criteria, today or local_today())))


def enrolments_of_course(course: Course, ids: list[int]) -> list[Enrolment]:
    """The current enrolments of this course among the ids (others, and other courses', are ignored)."""
    if not ids:
        return []
    return list(db.session.scalars(select(Enrolment).where(
        Enrolment.id.in_(set(ids)), Enrolment.course_id == course.id, current_cycle_clause())))


@dataclass(frozen=True)
class CourseCounts:
    course: Course
    enrolled: int
    completed: int
    overdue: int


def course_counts(today: date | None = None, course_id: int | None = None) -> list[CourseCounts]:
    """Every course (or one) with its current enrolments, completions and overdue ones: one GROUP BY.
    Deactivated accounts are not counted, as on the completion dashboard."""
    today = today or local_today()
    counted = (select(Enrolment.course_id,
                      func.count(Enrolment.id).label("enrolled"),
                      func.count(Enrolment.completed_at).label("completed"),
                      func.sum(case((overdue_clause(today), 1), else_=0)).label("overdue"))
               .join(User, User.id == Enrolment.user_id)
               .where(current_cycle_clause(), User.active.is_(True)).group_by(Enrolment.course_id).subquery())
    query = (select(Course, counted.c.enrolled, counted.c.completed, counted.c.overdue)
             .outerjoin(counted, counted.c.course_id == Course.id).order_by(Course.title, Course.id))
    if course_id is not None:
        query = query.where(Course.id == course_id)
    return [CourseCounts(course, enrolled or 0, completed or 0, int(overdue or 0))
            for course, enrolled, completed, overdue in db.session.execute(query)]


def search_people(text: str, *, exclude: set[int] = frozenset()) -> list[User]:
    """A few active accounts whose name (diacritics optional), username or email has the words."""
    if len(text.strip()) < 2:
        return []
    query = people_query(PeopleFilter(text=text, status="active"))
    if exclude:
        query = query.where(User.id.not_in(exclude))
    return list(db.session.scalars(query.limit(PEOPLE_SEARCH_LIMIT)))


def active_people(ids: list[int]) -> tuple[list[User], set[int]]:
    """The active accounts among these ids, by name, and the ids that are not (unknown or deactivated)."""
    wanted = set(ids)
    if not wanted:
        return [], set()
    people = list(db.session.scalars(select(User).where(User.id.in_(wanted), User.active.is_(True))
                                     .options(joinedload(User.org_unit)).order_by(User.full_name, User.id)))
    return people, wanted - {p.id for p in people}


def people_by_id(user_ids: set[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    return {user.id: user for user in db.session.scalars(
        select(User).where(User.id.in_(user_ids)).options(joinedload(User.org_unit)))}
