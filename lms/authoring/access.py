"""Who may edit a course: admins edit every course; a trainer edits the courses they are assigned to.

Views load the course by slug through `editable_course_or_404`, so a trainer who is not assigned meets
"not found", as for any object that is none of their business.
"""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from lms.accounts.models import Role, User
from lms.courses.models import Course, CourseTrainer, Module
from lms.extensions import db


def can_edit_course(user: User, course: Course) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.role is Role.ADMIN:
        return True
    if user.role is not Role.TRAINER:
        return False
    return db.session.scalar(select(CourseTrainer.id).where(CourseTrainer.course_id == course.id,
                                                            CourseTrainer.user_id == user.id)) is not None


def editable_course_ids(user: User) -> set[int] | None:
    """The ids of the courses the person edits; None means every course (an admin)."""
    if user.role is Role.ADMIN:
        return None
    if user.role is not Role.TRAINER:
        return set()
    return set(db.session.scalars(select(CourseTrainer.course_id).where(CourseTrainer.user_id == user.id)))


def editable_courses(user: User) -> list[Course]:
    ids = editable_course_ids(user)
    query = select(Course).order_by(Course.title)
    if ids is not None:
        query = query.where(Course.id.in_(ids))
    return list(db.session.scalars(query))


def course_trainers(course: Course) -> list[User]:
    return list(db.session.scalars(select(User).join(CourseTrainer, CourseTrainer.user_id == User.id)
                                   .where(CourseTrainer.course_id == course.id).order_by(User.full_name)))


def editable_course_or_404(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not can_edit_course(current_user, course):
        abort(404)
    return course


def editable_module_or_404(course: Course, key: str) -> Module:
    """A module of the course being edited, published or still a draft (not a retired one)."""
    module = db.session.scalar(select(Module).where(Module.course_id == course.id, Module.key == key,
                                                    Module.retired.is_(False)))
    if module is None:
        abort(404)
    return module
