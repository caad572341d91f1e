"""A synthetic data set the size of a province's roll-out, for the performance benchmark.

Units, people, courses (copies of the starter course's modules, question bank and quizzes), then
enrolments with module completions, graded attempts and their answers, certificates and due dates, all
written with bulk INSERTs in chunks: the full default set (20,000 people, 500 units, 50 courses, a
million answer rows) takes minutes on SQLite or PostgreSQL. Everything made carries the seed's tag in
its codes and slugs, so a second run with the same seed is refused instead of colliding.
"""
from __future__ import annotations

import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import insert, select, text

from lms.accounts.models import OrgUnit, Role, UnitType, User
from lms.accounts.passwords import hash_password, new_session_token
from lms.courses import services as course_services
from lms.courses.models import Course, EnrolmentPolicy, Module, ModuleRevision
from lms.db import utcnow
from lms.extensions import db
from lms.quizzes import grading
from lms.quizzes.models import Question, Quiz, QuizDrawRule
from lms.reports import scale_names as names

SOURCE_SLUG = "luat-thi-dua-khen-thuong"  # the course every synthetic course copies
CHUNK = 5000


class ScaleSeedRefused(Exception):
    """The data set cannot be made here (production, the same seed already used, no source course)."""


@dataclass(frozen=True)
class ScaleSpec:
    users: int = 20_000
    units: int = 500
    courses: int = 50
    answers: int = 1_000_000
    seed: int = 1

    @property
    def tag(self) -> str:
        return f"sc{self.seed}"


@dataclass
class ScaleReport:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


# --- bulk writing ---------------------------------------------------------------------------------------------

def bulk_insert(model, rows: list[dict], chunk: int = CHUNK) -> None:
    # render_nulls: a None is written as NULL rather than left out, so rows with and without a value in a
    # column stay one executemany batch instead of splitting into thousands of small statements.
    statement = insert(model).execution_options(render_nulls=True)
    for start in range(0, len(rows), chunk):
        db.session.execute(statement, rows[start:start + chunk])


def bulk_insert_ids(model, rows: list[dict], chunk: int = CHUNK) -> list[int]:
    """Insert and hand back the new primary keys in the order of the rows."""
    ids: list[int] = []
    statement = (insert(model).returning(model.id, sort_by_parameter_order=True)
                 .execution_options(render_nulls=True))
    for start in range(0, len(rows), chunk):
        ids.extend(db.session.scalars(statement, rows[start:start + chunk]))
    return ids


# --- units and people -----------------------------------------------------------------------------------------

def unit_plan(count: int, spec: ScaleSpec) -> list[tuple[str, UnitType, int | None]]:
    """(name, type, index of the parent in this list): a province, its departments, communes, mass
    organisations and armed forces, and under them agencies, enterprises and cooperatives."""
    plan: list[tuple[str, UnitType, int | None]] = [
        (f"Tỉnh mẫu – dữ liệu quy mô {spec.seed}", UnitType.PROVINCE, None)]
    rest = count - 1
    mass = min(len(names.MASS_ORGANISATIONS), rest // 20)
    armed = min(len(names.ARMED_FORCES), rest // 40)
    departments = max(1, round(rest * 0.15)) if rest >= 2 else 0
    communes = max(1, round(rest * 0.45)) if rest else 0
    level_two = max(0, rest - mass - armed - departments - communes)
    communes -= max(0, mass + armed + departments + communes - rest)
    plan += [(n, UnitType.MASS_ORGANISATION, 0) for n in names.MASS_ORGANISATIONS[:mass]]
    plan += [(n, UnitType.ARMED_FORCES, 0) for n in names.ARMED_FORCES[:armed]]
    first_department = len(plan)
    for n in range(departments):
        base = names.DEPARTMENTS[n % len(names.DEPARTMENTS)]
        plan.append((base if n < len(names.DEPARTMENTS) else f"{base} ({n // len(names.DEPARTMENTS) + 1})",
                     UnitType.DEPARTMENT, 0))
    first_commune = len(plan)
    plan += [(f"UBND xã {names.place_name(n)}", UnitType.COMMUNE, 0) for n in range(communes)]
    rng = random.Random(spec.seed * 7919)
    for n in range(level_two):
        kind = n % 10
        if kind < 3 and departments:
            parent = first_department + rng.randrange(departments)
            plan.append((f"{names.AGENCIES[n % len(names.AGENCIES)]} khu vực {names.place_name(n * 7 + 3)}",
                         UnitType.OTHER, parent))
            continue
        parent = first_commune + rng.randrange(communes) if communes else 0
        place = plan[parent][0].removeprefix("UBND xã ")
        if kind < 7:
            trade = names.ENTERPRISE_TRADES[n % len(names.ENTERPRISE_TRADES)]
            plan.append((f"{names.ENTERPRISE_KINDS[n % 3]} {trade} {place}", UnitType.ENTERPRISE, parent))
        else:
            trade = names.COOPERATIVE_TRADES[n % len(names.COOPERATIVE_TRADES)]
            plan.append((f"Hợp tác xã {trade} {place}", UnitType.COOPERATIVE, parent))
    return plan


def make_units(spec: ScaleSpec, now) -> tuple[list[int], list[str], list[UnitType]]:
    plan = unit_plan(spec.units, spec)
    depth = []
    for _name, _type, parent in plan:  # parents come before their children in the plan
        depth.append(0 if parent is None else depth[parent] + 1)
    ids: list[int] = [0] * len(plan)
    for level in range(max(depth) + 1):  # a level's parents have their ids before it is inserted
        indexes = [i for i in range(len(plan)) if depth[i] == level]
        rows = [{"code": spec.tag.upper() if i == 0 else f"{spec.tag.upper()}-{i:05d}", "name": plan[i][0],
                 "unit_type": plan[i][1], "parent_id": None if plan[i][2] is None else ids[plan[i][2]],
                 "created_at": now} for i in indexes]
        for i, new_id in zip(indexes, bulk_insert_ids(OrgUnit, rows), strict=True):
            ids[i] = new_id
    return ids, [p[0] for p in plan], [p[1] for p in plan]


UNIT_WEIGHTS = {UnitType.PROVINCE: 0.0, UnitType.DEPARTMENT: 2.0, UnitType.COMMUNE: 1.2,
                UnitType.MASS_ORGANISATION: 1.5, UnitType.ARMED_FORCES: 3.0, UnitType.OTHER: 1.5,
                UnitType.ENTERPRISE: 0.8, UnitType.COOPERATIVE: 0.5}


@dataclass
class People:
    ids: list[int]
    unit_ids: list[int]
    names: list[str]
    roles: list[Role]

    def with_role(self, role: Role) -> list[int]:
        return [i for i, r in zip(self.ids, self.roles, strict=True) if r is role]


def make_people(spec: ScaleSpec, unit_ids: list[int], unit_types: list[UnitType], rng: random.Random,
                now) -> People:
    weights = [UNIT_WEIGHTS[t] for t in unit_types] if len(unit_ids) > 1 else [1.0]
    homes = rng.choices(unit_ids, weights=weights, k=spec.users)
    # Nobody can sign in as these people: their one shared hash is of a password nobody ever sees.
    password_hash = hash_password(secrets.token_urlsafe(32))
    admins, trainers = max(1, spec.users // 5000), max(1, spec.users // 200)
    rows, roles, full_names = [], [], []
    for n in range(spec.users):
        role = Role.ADMIN if n < admins else Role.TRAINER if n < admins + trainers else Role.TRAINEE
        name = names.person_name(rng)
        active = rng.random() > 0.01
        joined = now - _days(rng.uniform(560, 900))
        rows.append({"username": f"{spec.tag}u{n + 1:06d}", "email": f"{spec.tag}u{n + 1:06d}@quymo.example.org",
                     "full_name": name, "position": rng.choice(names.POSITIONS), "role": role,
                     "org_unit_id": homes[n], "active": active, "password_hash": password_hash,
                     "session_token": new_session_token(), "locale": None,
                     "last_login_at": now - _days(rng.uniform(0, 90)) if rng.random() < 0.7 else None,
                     "must_change_password": False, "deactivated_at": None if active else now - _days(30),
                     "created_at": joined})
        roles.append(role)
        full_names.append(name)
    return People(bulk_insert_ids(User, rows), homes, full_names, roles)


def _days(n: float) -> timedelta:
    return timedelta(days=n)


# --- courses ----------------------------------------------------------------------------------------------------

def source_course() -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == SOURCE_SLUG))
    if course is None:
        folder = Path(current_app.config["CONTENT_DIR"]) / SOURCE_SLUG
        if not folder.is_dir():
            raise ScaleSeedRefused(f"the course {SOURCE_SLUG} is neither imported nor in {folder}")
        course_services.import_content(folder)
        course = db.session.scalar(select(Course).where(Course.slug == SOURCE_SLUG))
    return course


@dataclass
class CourseCopy:
    """One synthetic course as the activity generator needs it."""

    id: int
    title: str
    policy: EnrolmentPolicy
    validity_months: int | None
    module_ids: list[int]                    # in course order
    module_quiz: dict[int, tuple[int, list]]  # module id -> (quiz id, draw rules)
    final: tuple[int, list] | None           # (quiz id, draw rules)
    quizzes: dict[int, Quiz]                 # quiz id -> the source quiz (pass mark, time limit, attempts)
    by_category: dict[str, list[int]]        # category -> question ids
    questions: dict[int, dict]               # question id -> points, snapshot, responses, difficulty


def _question_params(rng: random.Random) -> tuple[float, float]:
    """Difficulty and discrimination of a made-up item, with a few broken ones as real banks have."""
    roll = rng.random()
    if roll < 0.04:
        return -6.0, 1.0   # everyone gets it right
    if roll < 0.07:
        return 6.0, 1.0    # no one does (a wrong key)
    if roll < 0.10:
        return rng.gauss(-0.5, 0.5), -0.8  # the weak get it more often than the strong
    return rng.gauss(-1.2, 1.0), rng.uniform(0.4, 2.2)


def make_courses(spec: ScaleSpec, rng: random.Random, now) -> list[CourseCopy]:
    source = source_course()
    modules = source.active_modules
    revisions = {m.id: course_services.published_revision(m) for m in modules}
    questions = list(db.session.scalars(select(Question).where(Question.course_id == source.id,
                                                               Question.retired.is_(False))
                                        .order_by(Question.id)))
    quizzes = list(db.session.scalars(select(Quiz).where(Quiz.course_id == source.id, Quiz.retired.is_(False))))
    policies = [EnrolmentPolicy.ASSIGNED if n % 3 == 2 else EnrolmentPolicy.OPEN for n in range(spec.courses)]
    course_ids = bulk_insert_ids(Course, [
        {"slug": f"{spec.tag}-khoa-{n + 1:03d}", "title": names.course_title(n), "summary": source.summary,
         "language": "vi", "enrolment_policy": policies[n], "legal_basis_as_of": source.legal_basis_as_of,
         "certificate_validity_months": None if n % 5 == 4 else source.certificate_validity_months or 24,
         "created_at": now - _days(700), "updated_at": now - _days(700)} for n in range(spec.courses)])
    module_ids = bulk_insert_ids(Module, [
        {"course_id": cid, "key": m.key, "position": m.position, "title": m.title, "minutes": m.minutes,
         "required": m.required, "retired": False, "created_at": now - _days(700)}
        for cid in course_ids for m in modules])
    bulk_insert(ModuleRevision, [
        {"module_id": mid, "number": 1, "source_markdown": revisions[m.id].source_markdown,
         "body_html": revisions[m.id].body_html, "toc_html": revisions[m.id].toc_html,
         "source_sha256": revisions[m.id].source_sha256, "word_count": revisions[m.id].word_count,
         "created_at": now - _days(700)}
        for mid, m in zip(module_ids, modules * len(course_ids), strict=True) if revisions[m.id] is not None])
    question_ids = bulk_insert_ids(Question, [
        {"course_id": cid, "key": q.key, "qtype": q.qtype, "category": q.category, "tags": q.tags,
         "points": q.points, "prompt_markdown": q.prompt_markdown, "prompt_html": q.prompt_html,
         "explanation_markdown": q.explanation_markdown, "explanation_html": q.explanation_html,
         "legal_source": q.legal_source, "spec": q.spec, "origin": q.origin, "retired": False,
         "created_at": now - _days(700), "updated_at": now - _days(700)}
        for cid in course_ids for q in questions])
    module_index = {m.id: i for i, m in enumerate(modules)}
    quiz_ids = bulk_insert_ids(Quiz, [
        {"course_id": cid, "key": q.key, "title": q.title, "is_final": q.is_final, "pass_mark": q.pass_mark,
         "time_limit_minutes": q.time_limit_minutes, "max_attempts": q.max_attempts,
         "wait_minutes": q.wait_minutes, "grading": q.grading, "review": q.review, "retired": False,
         "module_id": (module_ids[c * len(modules) + module_index[q.module_id]]
                       if q.module_id in module_index else None), "created_at": now - _days(700)}
        for c, cid in enumerate(course_ids) for q in quizzes])
    bulk_insert(QuizDrawRule, [
        {"quiz_id": qid, "position": r.position, "category": r.category, "count": r.count}
        for qid, q in zip(quiz_ids, quizzes * len(course_ids), strict=True) for r in q.draw_rules])

    copies = []
    for c, cid in enumerate(course_ids):
        copy = CourseCopy(id=cid, title=names.course_title(c), policy=policies[c],
                          validity_months=None if c % 5 == 4 else source.certificate_validity_months or 24,
                          module_ids=module_ids[c * len(modules):(c + 1) * len(modules)], module_quiz={},
                          final=None, quizzes={}, by_category={}, questions={})
        for q, qid in zip(quizzes, quiz_ids[c * len(quizzes):(c + 1) * len(quizzes)], strict=True):
            rules = [(r.category, r.count) for r in q.draw_rules]
            copy.quizzes[qid] = q
            if q.module_id in module_index:
                copy.module_quiz[copy.module_ids[module_index[q.module_id]]] = (qid, rules)
            elif q.is_final:
                copy.final = (qid, rules)
        for q, qid in zip(questions, question_ids[c * len(questions):(c + 1) * len(questions)], strict=True):
            snapshot = grading.make_snapshot(
                {"question_id": qid, "key": q.key, "type": q.qtype, "points": q.points,
                 "prompt_html": q.prompt_html, "explanation_html": q.explanation_html,
                 "source": q.legal_source, "spec": q.spec}, rng)
            difficulty, discrimination = _question_params(rng)
            copy.by_category.setdefault(q.category, []).append(qid)
            copy.questions[qid] = {"points": q.points, "snapshot": snapshot,
                                   "right": grading.correct_response(snapshot), "wrong": wrong_response(snapshot),
                                   "difficulty": difficulty, "discrimination": discrimination}
        copies.append(copy)
    return copies


def wrong_response(snap: dict):
    """An answer to the snapshot that earns nothing, of the shape the question's form would send."""
    kind = snap["type"]
    if kind == grading.SINGLE:
        return min(snap["options"], key=lambda o: o["weight"])["id"]
    if kind == grading.MULTIPLE:
        return [o["id"] for o in snap["options"] if o["weight"] <= 0][:1] or None
    if kind == grading.TRUE_FALSE:
        return "false" if snap["answer"] else "true"
    if kind == grading.SHORT_ANSWER:
        return "không nhớ"
    if kind == grading.NUMERIC:
        return "-1"
    if kind == grading.MATCHING:
        rights = [r["id"] for r in snap["rights"]]
        return {left["id"]: next(r for r in rights if r != left["right"]) for left in snap["lefts"]}
    items = snap["items"]
    return {item["id"]: item["position"] % len(items) + 1 for item in items}


def seed_scale(spec: ScaleSpec, say=print) -> ScaleReport:
    """Make the whole data set; `say` reports each step as it finishes."""
    from lms.reports.scale_activity import make_activity

    config = current_app.config
    if config.get("ENV_NAME") == "production" or not config.get("DEMO_DATA_ALLOWED"):
        raise ScaleSeedRefused("synthetic data is for development and benchmarks; refusing in production")
    if min(spec.users, spec.units, spec.courses) < 1 or spec.answers < 0:
        raise ScaleSeedRefused("users, units and courses must be at least 1, answers at least 0")
    if db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == spec.tag.upper())) is not None:
        raise ScaleSeedRefused(f"a data set with seed {spec.seed} is already here; choose another --seed")
    rng, now, report = random.Random(spec.seed), utcnow(), ScaleReport()

    def step(name: str, started: float, **counts: int) -> None:
        report.seconds[name] = round(time.perf_counter() - started, 2)
        report.counts.update(counts)
        say(f"{name}: " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items())
            + f" in {report.seconds[name]:.1f} s")

    started = time.perf_counter()
    unit_ids, unit_names, unit_types = make_units(spec, now)
    db.session.commit()
    step("units", started, units=len(unit_ids))
    started = time.perf_counter()
    people = make_people(spec, unit_ids, unit_types, rng, now)
    db.session.commit()
    step("people", started, users=len(people.ids))
    started = time.perf_counter()
    courses = make_courses(spec, rng, now)
    db.session.commit()
    step("courses", started, courses=len(courses), modules=sum(len(c.module_ids) for c in courses),
         questions=sum(len(c.questions) for c in courses), quizzes=sum(len(c.quizzes) for c in courses))
    started = time.perf_counter()
    unit_name_of = dict(zip(unit_ids, unit_names, strict=True))
    activity = make_activity(spec, people, courses, unit_name_of, rng, now)
    step("activity", started, **activity)
    if db.session.get_bind().dialect.name == "postgresql":
        # What autovacuum would do a minute later: without statistics the planner takes the new millions
        # of rows for a handful and picks sequential scans.
        started = time.perf_counter()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        step("statistics", started)
    return report
