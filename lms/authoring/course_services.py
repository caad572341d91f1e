"""Changes a trainer or an admin makes to a course as a whole: its settings, the order of its modules and
who its trainers are. Each commits once and leaves an audit row."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from lms.accounts.models import Role, User
from lms.audit.services import record_event
from lms.courses.models import Course, CourseTrainer, EnrolmentPolicy, Module, ModuleDraft, ModuleRevision
from lms.extensions import db


class CourseChangeRefused(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# --- settings ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CourseSettings:
    title: str
    summary: str
    enrolment_policy: EnrolmentPolicy
    certificate_validity_months: int | None  # None: the certificate does not expire
    legal_basis_as_of: str


def _settings_of(course: Course) -> dict:
    return {"title": course.title, "summary": course.summary or "",
            "enrolment_policy": course.enrolment_policy.value,
            "certificate_validity_months": course.certificate_validity_months,
            "legal_basis_as_of": course.legal_basis_as_of or ""}


def update_course_settings(course: Course, settings: CourseSettings, *, actor: User) -> bool:
    """Apply the settings; False (and no audit row) when nothing differs from what the course has."""
    wanted = {"title": " ".join(settings.title.split()), "summary": settings.summary.strip(),
              "enrolment_policy": settings.enrolment_policy.value,
              "certificate_validity_months": settings.certificate_validity_months,
              "legal_basis_as_of": settings.legal_basis_as_of.strip()}
    current = _settings_of(course)
    changed = [key for key in wanted if wanted[key] != current[key]]
    if not changed:
        return False
    for key in changed:
        value = EnrolmentPolicy(wanted[key]) if key == "enrolment_policy" else wanted[key]
        setattr(course, key, value)
    # Only the changed fields: the log reads as what was done, not as a copy of the form.
    record_event(actor, "course.settings", "course", course.id, summary=course.title,
                 before={key: current[key] for key in changed}, after={key: wanted[key] for key in changed})
    db.session.commit()
    return True


# --- the order of the modules ------------------------------------------------------------------------------

def move_module(course: Course, module: Module, direction: str, *, actor: User) -> bool:
    """Swap the module with its neighbour above or below; False when it is already first or last."""
    modules = course.editable_modules
    index = modules.index(module)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(modules):
        return False
    modules[index], modules[other] = modules[other], modules[index]
    # Renumbered from 1, so positions tied by an old import cannot keep the two in place.
    for position, each in enumerate(modules, start=1):
        each.position = position
    record_event(actor, "module.move", "module", module.id, summary=f"{course.title}: {module.title}",
                 before={"order": index + 1}, after={"order": other + 1})
    db.session.commit()
    return True


# --- trainers ------------------------------------------------------------------------------------------------

def trainer_candidates(course: Course) -> list[User]:
    """Active trainers not yet assigned to the course, by name."""
    assigned = select(CourseTrainer.user_id).where(CourseTrainer.course_id == course.id)
    return list(db.session.scalars(select(User).where(User.role == Role.TRAINER, User.active.is_(True),
                                                      User.id.not_in(assigned)).order_by(User.full_name)))


def is_assigned(course: Course, user: User) -> bool:
    return db.session.scalar(select(CourseTrainer.id).where(CourseTrainer.course_id == course.id,
                                                            CourseTrainer.user_id == user.id)) is not None


def add_trainer(course: Course, trainer: User, *, actor: User) -> CourseTrainer:
    if trainer.role is not Role.TRAINER or not trainer.active:
        raise CourseChangeRefused(_l("Only an active trainer can be assigned to a course."))
    if is_assigned(course, trainer):
        raise CourseChangeRefused(_l("%(name)s is already a trainer of this course.", name=trainer.full_name))
    link = CourseTrainer(course_id=course.id, user_id=trainer.id, assigned_by_id=actor.id)
    db.session.add(link)
    record_event(actor, "course.trainer_add", "course", course.id, summary=f"{course.title}: {trainer.full_name}",
                 after={"trainer": trainer.username})
    db.session.commit()
    return link


def remove_trainer(course: Course, trainer: User, *, actor: User) -> None:
    link = db.session.scalar(select(CourseTrainer).where(CourseTrainer.course_id == course.id,
                                                         CourseTrainer.user_id == trainer.id))
    if link is None:
        raise CourseChangeRefused(_l("%(name)s is not a trainer of this course.", name=trainer.full_name))
    db.session.delete(link)
    record_event(actor, "course.trainer_remove", "course", course.id,
                 summary=f"{course.title}: {trainer.full_name}", before={"trainer": trainer.username})
    db.session.commit()


# --- what the hub shows about each module ------------------------------------------------------------------

@dataclass(frozen=True)
class ModuleStatus:
    module: Module
    revision: ModuleRevision | None  # what trainees read; None until first published
    draft: ModuleDraft | None  # unpublished changes someone saved


def module_statuses(course: Course) -> list[ModuleStatus]:
    """Each module an editor works on, in order, with its published revision and its draft: three queries
    whatever the number of modules."""
    modules = course.editable_modules
    ids = [m.id for m in modules]
    latest = (select(ModuleRevision.module_id, func.max(ModuleRevision.number).label("number"))
              .where(ModuleRevision.module_id.in_(ids)).group_by(ModuleRevision.module_id).subquery())
    revisions = {r.module_id: r for r in db.session.scalars(
        select(ModuleRevision).options(joinedload(ModuleRevision.author))
        .join(latest, (latest.c.module_id == ModuleRevision.module_id) & (latest.c.number == ModuleRevision.number)))}
    drafts = {d.module_id: d for d in db.session.scalars(
        select(ModuleDraft).options(joinedload(ModuleDraft.updated_by)).where(ModuleDraft.module_id.in_(ids)))}
    return [ModuleStatus(m, revisions.get(m.id), drafts.get(m.id)) for m in modules]
