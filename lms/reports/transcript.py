"""A person's transcript: every course and cycle, module progress, best quiz scores and certificates; shown
as a page and as a PDF (WeasyPrint through the certificates' locked-down fetcher).

A fixed number of queries whatever the number of courses: enrolments, progress, modules, completions,
quiz results and certificates are each read once for the whole transcript.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, render_template
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from lms.accounts.models import OrgUnit, User
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.services import local_today
from lms.courses.assignments import is_overdue
from lms.courses.models import Course, Enrolment, Module, ModuleCompletion
from lms.courses.services import Progress, progress_for
from lms.extensions import db
from lms.quizzes.models import Attempt, AttemptState, Quiz


@dataclass(frozen=True)
class QuizResult:
    title: str
    is_final: bool
    best_percent: float | None
    attempts: int
    passed: bool


@dataclass(frozen=True)
class ModuleLine:
    title: str
    required: bool
    completed_at: datetime | None


@dataclass
class CycleRecord:
    enrolment: Enrolment
    progress: Progress
    modules: list[ModuleLine]
    quizzes: list[QuizResult]
    certificate: Certificate | None
    certificate_status: str | None  # valid, expired or revoked
    overdue: bool
    started: bool

    @property
    def state(self) -> str:
        if self.enrolment.completed_at is not None:
            return "completed"
        return "overdue" if self.overdue else "in-progress" if self.started else "not-started"


@dataclass
class CourseRecord:
    course: Course
    cycles: list[CycleRecord]  # the current cycle first

    @property
    def current(self) -> CycleRecord:
        return self.cycles[0]


@dataclass
class Transcript:
    person: User
    unit_path: list[OrgUnit]
    courses: list[CourseRecord]
    today: date


def transcript_of(person: User, *, today: date | None = None) -> Transcript:
    today = today or local_today()
    enrolments = list(db.session.scalars(
        select(Enrolment).options(joinedload(Enrolment.course)).where(Enrolment.user_id == person.id)
        .order_by(Enrolment.course_id, Enrolment.cycle.desc())))
    enrolment_ids = [e.id for e in enrolments]
    progress = progress_for(enrolments)
    modules = _modules_by_course({e.course_id for e in enrolments})
    done = _module_completions(enrolment_ids)
    quizzes = _quiz_results(enrolment_ids)
    certificates = _current_certificates(person)
    records: dict[int, CourseRecord] = {}
    for enrolment in enrolments:
        finished = done.get(enrolment.id, {})
        certificate = certificates.get(enrolment.id)
        cycle = CycleRecord(
            enrolment=enrolment, progress=progress[enrolment.id],
            modules=[ModuleLine(m.title, m.required, finished.get(m.id)) for m in modules.get(enrolment.course_id, [])],
            quizzes=quizzes.get(enrolment.id, []), certificate=certificate,
            certificate_status=certificate.effective_status(today) if certificate else None,
            overdue=is_overdue(enrolment, today), started=bool(finished) or bool(quizzes.get(enrolment.id)))
        records.setdefault(enrolment.course_id, CourseRecord(enrolment.course, [])).cycles.append(cycle)
    ordered = sorted(records.values(), key=lambda r: (r.course.title.casefold(), r.course.id))
    return Transcript(person=person, unit_path=person.org_unit.path() if person.org_unit else [],
                      courses=ordered, today=today)


def _modules_by_course(course_ids: set[int]) -> dict[int, list[Module]]:
    by_course: dict[int, list[Module]] = {}
    if course_ids:
        for module in db.session.scalars(select(Module).where(Module.course_id.in_(course_ids),
                                                              Module.retired.is_(False),
                                                              Module.is_published.is_(True))
                                         .order_by(Module.course_id, Module.position)):
            by_course.setdefault(module.course_id, []).append(module)
    return by_course


def _module_completions(enrolment_ids: list[int]) -> dict[int, dict[int, datetime]]:
    done: dict[int, dict[int, datetime]] = {}
    if enrolment_ids:
        for enrolment_id, module_id, completed_at in db.session.execute(
                select(ModuleCompletion.enrolment_id, ModuleCompletion.module_id, ModuleCompletion.completed_at)
                .where(ModuleCompletion.enrolment_id.in_(enrolment_ids))):
            done.setdefault(enrolment_id, {})[module_id] = completed_at
    return done


def _quiz_results(enrolment_ids: list[int]) -> dict[int, list[QuizResult]]:
    """Per enrolment, each quiz's best graded score, number of graded attempts and whether one passed;
    module quizzes in module order, the final exam last."""
    results: dict[int, list[QuizResult]] = {}
    if not enrolment_ids:
        return results
    rows = db.session.execute(
        select(Attempt.enrolment_id, Quiz.title, Quiz.is_final, func.max(Attempt.score_percent), func.count(),
               func.max(case((Attempt.passed.is_(True), 1), else_=0)))
        .join(Quiz, Quiz.id == Attempt.quiz_id).outerjoin(Module, Module.id == Quiz.module_id)
        .where(Attempt.enrolment_id.in_(enrolment_ids), Attempt.state == AttemptState.GRADED)
        .group_by(Attempt.enrolment_id, Quiz.id, Quiz.title, Quiz.is_final, Module.position)
        .order_by(Attempt.enrolment_id, Quiz.is_final, Module.position, Quiz.id))
    for enrolment_id, title, is_final, best, attempts, passed in rows:
        results.setdefault(enrolment_id, []).append(
            QuizResult(title=title, is_final=bool(is_final), best_percent=best, attempts=int(attempts),
                       passed=bool(passed)))
    return results


def _current_certificates(person: User) -> dict[int, Certificate]:
    """Per enrolment, its certificate that is not superseded (the newest edition)."""
    found: dict[int, Certificate] = {}
    for certificate in db.session.scalars(
            select(Certificate).where(Certificate.user_id == person.id,
                                      Certificate.status != CertificateStatus.SUPERSEDED)
            .order_by(Certificate.edition)):
        found[certificate.enrolment_id] = certificate
    return found


def transcript_pdf(transcript: Transcript) -> bytes:
    """Rendered from the app's own template with every value escaped; fonts come from the certificates'
    assets through the same fetcher, which refuses everything else."""
    html = render_template("reports/transcript_pdf.html", t=transcript,
                           issuer=current_app.config["CERTIFICATE_ISSUER"],
                           authority=current_app.config["CERTIFICATE_AUTHORITY"])
    from lms.certificates.pdf import render_pdf  # WeasyPrint loads on the first render only (see document.py)

    return render_pdf(html)
