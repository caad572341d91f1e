"""Domain operations on courses: importing content, enrolling, completing modules, measuring progress."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from flask_babel import lazy_gettext as _l

from lms.courses.content_files import ContentError, ContentProblem, CourseSpec, load_content
from lms.courses.models import (ORIGIN_FILES, Course, Enrolment, EnrolmentPolicy, Module,
                                ModuleCompletion)
from lms.courses.rendering import CourseLinks
from lms.courses.revisions import (COURSE_FILE_PREFIX, fingerprint, load_course_file,  # noqa: F401 - used as services.*
                                   publish_revision, published_revision, record_course_files,
                                   store_course_files)
from lms.audit.services import record_event
from lms.db import insert_ignoring_conflicts, utcnow
from lms.extensions import db
from lms.quizzes.banks import apply_course_bank, apply_course_quizzes
from lms.quizzes.results import final_exam_of, quiz_passed


@dataclass
class ImportReport:
    courses_created: list[str] = field(default_factory=list)
    courses_updated: list[str] = field(default_factory=list)
    modules_created: int = 0
    modules_revised: int = 0
    modules_unchanged: int = 0
    modules_retired: int = 0
    questions_created: int = 0
    questions_updated: int = 0
    questions_retired: int = 0
    quizzes: int = 0


def import_content(path: Path) -> ImportReport:
    """Create or update every course under `path` by its stable ids, all or nothing."""
    specs = load_content(path)  # raises ContentError before the database is touched
    _check_originals_exist(specs)
    report = ImportReport()
    try:
        # Originals first, so an edition imported alongside its original finds it.
        for spec in sorted(specs, key=lambda s: s.edition_of is not None):
            _apply_course(spec, report)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return report


def _check_originals_exist(specs: list[CourseSpec]) -> None:
    """An edition names its original: in the same import, or a course already on the platform."""
    loaded = {spec.slug: spec for spec in specs}
    problems = []
    for spec in specs:
        if spec.edition_of is None:
            continue
        original = loaded.get(spec.edition_of)
        stored = None if original else db.session.scalar(select(Course).where(Course.slug == spec.edition_of))
        if original is None and stored is None:
            problems.append(ContentProblem(f"{spec.path}/course.yml", None, _l(
                "edition_of names the course %(slug)s, which is neither in this folder nor on the platform.",
                slug=spec.edition_of)))
        elif (original.edition_of if original else stored.edition_of_id) is not None:
            problems.append(ContentProblem(f"{spec.path}/course.yml", None, _l(
                "%(slug)s is itself an edition; edition_of must name the original course.",
                slug=spec.edition_of)))
    if problems:
        raise ContentError(problems)


def _digest(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str)
                          .encode("utf-8")).hexdigest()


def _apply_course(spec: CourseSpec, report: ImportReport) -> None:
    """Apply one course folder. Each item (the course settings, a module, a question, a quiz) is changed
    only when its file changed since the last import, so what trainers changed in the browser survives a
    re-import of unchanged files; where a file did change, the file wins and the browser's revision stays
    in the module's history."""
    course = db.session.scalar(select(Course).where(Course.slug == spec.slug))
    if course is None:
        course = Course(slug=spec.slug)
        db.session.add(course)
        report.courses_created.append(spec.slug)
    else:
        report.courses_updated.append(spec.slug)
    settings_digest = _digest(spec.title, spec.summary, spec.language, spec.enrolment,
                              spec.certificate_validity_months, spec.legal_basis_as_of, spec.edition_of,
                              [m.key for m in spec.modules])
    settings_changed = course.imported_sha256 != settings_digest
    if settings_changed:
        course.title = spec.title
        course.summary = spec.summary
        course.language = spec.language
        course.enrolment_policy = EnrolmentPolicy(spec.enrolment)
        course.certificate_validity_months = spec.certificate_validity_months
        course.legal_basis_as_of = spec.legal_basis_as_of
        course.original = (db.session.scalar(select(Course).where(Course.slug == spec.edition_of))
                           if spec.edition_of else None)
        course.imported_sha256 = settings_digest
    db.session.flush()

    module_keys = {Path(m.path).name: m.key for m in spec.modules}
    existing = {m.key: m for m in course.modules}
    published, retired = [], []
    for position, module_spec in enumerate(spec.modules, start=1):
        module = existing.pop(module_spec.key, None)
        if module is None:
            module = Module(course=course, key=module_spec.key, title=module_spec.title)
            db.session.add(module)
            report.modules_created += 1
        if settings_changed or module.id is None:
            module.position = position
        module.retired = False
        module.is_published = True
        module.origin = ORIGIN_FILES
        module.file_name = Path(module_spec.path).name
        file_digests = store_course_files(module_spec.files)
        record_course_files(course, file_digests, module_spec.files)
        links = CourseLinks(module_keys=module_keys, file_digests=file_digests)
        module_digest = _digest(module_spec.title, module_spec.minutes, module_spec.required,
                                module_spec.source_markdown, sorted(file_digests.items()))
        if module.imported_sha256 == module_digest:
            report.modules_unchanged += 1
            continue
        module.title = module_spec.title
        module.minutes = module_spec.minutes
        module.required = module_spec.required
        module.imported_sha256 = module_digest
        if _publish_if_changed(module, module_spec.source_markdown, links):
            report.modules_revised += 1
            published.append(module.key)
        else:
            report.modules_unchanged += 1
    for module in existing.values():
        # Modules a trainer created in the browser are not the files' to retire.
        if not module.retired and module.origin == ORIGIN_FILES:
            module.retired = True
            report.modules_retired += 1
            retired.append(module.key)
    bank = apply_course_bank(course, spec)
    report.questions_created += bank.created
    report.questions_updated += bank.updated
    report.questions_retired += bank.retired
    report.quizzes += apply_course_quizzes(course, spec)
    if published or retired or bank.created or bank.updated or bank.retired:
        # What trainees read changed: the audit log keeps when, and which modules and questions.
        db.session.flush()
        record_event(None, "content.publish", "course", course.id,
                     summary=f"{spec.slug}: {len(published)} module revision(s), {len(retired)} retired, "
                             f"questions +{bank.created} ~{bank.updated} -{bank.retired}",
                     after={"course": spec.slug, "published": published, "retired": retired,
                            "questions_created": bank.created, "questions_updated": bank.updated,
                            "questions_retired": bank.retired})


def _publish_if_changed(module: Module, source: str, links: CourseLinks) -> bool:
    latest = published_revision(module) if module.id else None
    if latest is not None and latest.source_sha256 == fingerprint(source, links):
        return False
    publish_revision(module, source=source, links=links)  # no author: the history says "content import"
    return True



# --- visibility ------------------------------------------------------------------------------------------

def find_enrolment(user: User, course: Course) -> Enrolment | None:
    """The current cycle of the person's enrolment in the course (recertification adds cycles)."""
    return db.session.scalar(select(Enrolment).where(Enrolment.user_id == user.id,
                                                     Enrolment.course_id == course.id)
                             .order_by(Enrolment.cycle.desc()).limit(1))


def enrolled_course_ids(user: User) -> set[int]:
    return set(db.session.scalars(select(Enrolment.course_id).where(Enrolment.user_id == user.id)))


# Passed in by pages that have already looked the enrolment up (the module page, read by every trainee on
# every click), so one request asks the database once; `LOOK_IT_UP` (the default) asks here.
LOOK_IT_UP: Any = object()


def can_view_course(user: User, course: Course, enrolment: Enrolment | None = LOOK_IT_UP) -> bool:
    if user.is_staff or course.enrolment_policy is EnrolmentPolicy.OPEN:
        return True
    return (find_enrolment(user, course) if enrolment is LOOK_IT_UP else enrolment) is not None


def can_read_modules(user: User, course: Course, enrolment: Enrolment | None = LOOK_IT_UP) -> bool:
    """Trainers and admins read every course; a trainee reads the courses they are enrolled in."""
    if user.is_staff:
        return True
    return (find_enrolment(user, course) if enrolment is LOOK_IT_UP else enrolment) is not None


def visible_courses(user: User) -> list[Course]:
    query = select(Course).order_by(Course.title)
    if not user.is_staff:
        enrolled = select(Enrolment.course_id).where(Enrolment.user_id == user.id)
        query = query.where((Course.enrolment_policy == EnrolmentPolicy.OPEN) | Course.id.in_(enrolled))
    return list(db.session.scalars(query))


def other_editions(user: User, course: Course) -> list[Course]:
    """The course's editions in other languages that the person may see."""
    root = course.original or course
    return [c for c in [root, *root.editions] if c.id != course.id and can_view_course(user, c)]


def one_edition_each(courses: list[Course], language: str, enrolled: set[int]) -> list[tuple[Course, list[Course]]]:
    """One card per course: the edition the person is enrolled in, else the one in their language, else the
    original; with the other editions to link to."""
    families: dict[int, list[Course]] = {}
    for course in courses:
        families.setdefault(course.edition_of_id or course.id, []).append(course)
    chosen = []
    for members in families.values():
        pick = (next((c for c in members if c.id in enrolled), None)
                or next((c for c in members if c.language == language), None)
                or next((c for c in members if c.edition_of_id is None), members[0]))
        chosen.append((pick, [c for c in members if c is not pick]))
    return sorted(chosen, key=lambda pair: pair[0].title)


# --- enrolment and progress ------------------------------------------------------------------------------

class EnrolmentRefused(PermissionError):
    pass


def enrol(user: User, course: Course) -> Enrolment:
    """Self-enrolment in an open course; enrolling twice returns the existing enrolment."""
    existing = find_enrolment(user, course)
    if existing is not None:
        return existing
    if course.enrolment_policy is not EnrolmentPolicy.OPEN:
        raise EnrolmentRefused(course.slug)
    enrolment = Enrolment(user_id=user.id, course_id=course.id, self_enrolled=True)
    db.session.add(enrolment)
    try:
        db.session.commit()
    except IntegrityError:  # a second tab enrolled at the same moment
        db.session.rollback()
        return find_enrolment(user, course)
    return enrolment


@dataclass(frozen=True)
class Progress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else round(100 * self.done / self.total)

    @property
    def complete(self) -> bool:
        return self.done >= self.total


def _counted_modules():
    return select(Module.id).where(Module.required.is_(True), Module.retired.is_(False),
                                   Module.is_published.is_(True))


def progress_for(enrolments: list[Enrolment]) -> dict[int, Progress]:
    """Progress of many enrolments in two aggregate queries, keyed by enrolment id."""
    if not enrolments:
        return {}
    course_ids = {e.course_id for e in enrolments}
    totals = dict(db.session.execute(
        select(Module.course_id, func.count(Module.id))
        .where(Module.course_id.in_(course_ids), Module.id.in_(_counted_modules()))
        .group_by(Module.course_id)).all())
    done = dict(db.session.execute(
        select(ModuleCompletion.enrolment_id, func.count(ModuleCompletion.id))
        .where(ModuleCompletion.enrolment_id.in_([e.id for e in enrolments]),
               ModuleCompletion.module_id.in_(_counted_modules()))
        .group_by(ModuleCompletion.enrolment_id)).all())
    return {e.id: Progress(done=done.get(e.id, 0), total=totals.get(e.course_id, 0)) for e in enrolments}


def completed_module_ids(enrolment: Enrolment | None) -> set[int]:
    if enrolment is None:
        return set()
    return set(db.session.scalars(select(ModuleCompletion.module_id)
                                  .where(ModuleCompletion.enrolment_id == enrolment.id)))


def complete_module(enrolment: Enrolment, module: Module) -> Progress:
    """Mark a module read; repeating it changes nothing. Completes the course when nothing is left."""
    record_module_completion(enrolment, module)
    progress = refresh_course_completion(enrolment)
    db.session.commit()
    after_commit(enrolment)
    return progress


def after_commit(enrolment: Enrolment) -> None:
    """Once a completion is safely committed, its certificate is issued (separately: see there why)."""
    if enrolment.completed_at is not None:
        from lms.certificates.services import issue_after_completion

        issue_after_completion(enrolment)


def start_new_cycle(previous: Enrolment) -> Enrolment:
    """Recertification: a fresh cycle (no progress, no attempts) after a completed one, which stays as it is."""
    if previous.completed_at is None:
        raise EnrolmentRefused(previous.course_id)
    enrolment = Enrolment(user_id=previous.user_id, course_id=previous.course_id, cycle=previous.cycle + 1,
                          self_enrolled=previous.self_enrolled)
    db.session.add(enrolment)
    try:
        db.session.commit()
    except IntegrityError:  # renewed in another tab at the same moment: that cycle is the one
        db.session.rollback()
        return db.session.scalar(select(Enrolment).where(
            Enrolment.user_id == previous.user_id, Enrolment.course_id == previous.course_id,
            Enrolment.cycle == previous.cycle + 1))
    return enrolment


def record_module_completion(enrolment: Enrolment, module: Module) -> None:
    """Within the caller's transaction; the same click arriving twice inserts one row."""
    if module.course_id != enrolment.course_id:
        raise ValueError("module belongs to another course")
    insert_ignoring_conflicts(db.session, ModuleCompletion, enrolment_id=enrolment.id, module_id=module.id,
                              completed_at=utcnow())


def refresh_course_completion(enrolment: Enrolment) -> Progress:
    """A course is complete when every required module is and its final exam (if it has one) is passed."""
    progress = progress_for([enrolment])[enrolment.id]
    if enrolment.completed_at is None and progress.complete:
        final_exam = final_exam_of(enrolment.course_id)
        if final_exam is None or quiz_passed(enrolment.id, final_exam):
            enrolment.completed_at = utcnow()
    return progress


def dashboard_enrolments(user: User) -> list[tuple[Enrolment, Progress]]:
    """The current cycle of each of the person's courses: work with a due date first, the nearest due date
    first; then the rest, most recent first."""
    current = (select(Enrolment.course_id, func.max(Enrolment.cycle).label("cycle"))
               .where(Enrolment.user_id == user.id).group_by(Enrolment.course_id).subquery())
    enrolments = list(db.session.scalars(
        select(Enrolment).join(current, (Enrolment.course_id == current.c.course_id)
                               & (Enrolment.cycle == current.c.cycle))
        .where(Enrolment.user_id == user.id).order_by(Enrolment.created_at.desc(), Enrolment.id.desc())))
    enrolments.sort(key=lambda e: (e.due_on or date.max) if e.completed_at is None else date.max)  # stable
    progress = progress_for(enrolments)
    return [(e, progress[e.id]) for e in enrolments]


def neighbours(course: Course, module: Module) -> tuple[Module | None, Module | None]:
    modules = course.active_modules
    index = modules.index(module)
    return (modules[index - 1] if index > 0 else None,
            modules[index + 1] if index + 1 < len(modules) else None)
