"""The activity half of the scale data set: enrolments, graded attempts and their answers, module
completions, course completions with certificates, and due dates (some overdue).

People answer as in item response theory: each person has an ability, each question a difficulty and a
discrimination, and the chance of a right answer is logistic in their difference, so the item analysis
of the synthetic set shows easy, hard, good and broken questions, as a real bank does. Work is done in
batches of people: simulated in memory, then written with bulk INSERTs and committed.
"""
from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from lms.accounts.models import Role
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.services import add_months, local_date, new_code
from lms.courses.models import Enrolment, EnrolmentPolicy, ModuleCompletion
from lms.extensions import db
from lms.quizzes.models import Attempt, AttemptAnswer, AttemptState
from lms.reports.scale_data import CourseCopy, People, ScaleSpec, bulk_insert, bulk_insert_ids

HISTORY_DAYS = 540          # enrolments spread over the last year and a half
MODULE_TRIES = 4            # a person gives up a module quiz after this many failed attempts
BATCH_ANSWERS = 20_000      # answers simulated before a batch is written
COURSES_PER_PERSON = [1] * 55 + [2] * 30 + [3] * 10 + [4] * 5


@dataclass
class Batch:
    enrolments: list[dict] = field(default_factory=list)
    attempts: list[tuple[int, dict]] = field(default_factory=list)     # (enrolment index, row)
    answers: list[tuple[int, dict]] = field(default_factory=list)      # (attempt index, row)
    completions: list[tuple[int, dict]] = field(default_factory=list)  # (enrolment index, row)
    certificates: list[tuple[int, dict]] = field(default_factory=list)


class ActivitySimulator:
    def __init__(self, spec: ScaleSpec, people: People, courses: list[CourseCopy], unit_names: dict[int, str],
                 rng: random.Random, now):
        self.spec, self.people, self.courses, self.unit_names = spec, people, courses, unit_names
        self.rng, self.now = rng, now
        self.remaining = spec.answers
        self.ability = [rng.gauss(1.0, 1.0) for _ in people.ids]
        self.admins = people.with_role(Role.ADMIN)
        self.counts: Counter = Counter()
        self.today = local_date(now)
        self.serials = dict(db.session.execute(select(Certificate.serial_year, func.max(Certificate.serial_number))
                                               .group_by(Certificate.serial_year)).all())
        self.batch = Batch()

    # --- one enrolment ------------------------------------------------------------------------------------

    def enrol(self, person: int, course: CourseCopy) -> None:
        rng, batch = self.rng, self.batch
        enrolled_at = self.now - timedelta(days=rng.uniform(0, HISTORY_DAYS), minutes=rng.uniform(0, 600))
        assigned = course.policy is EnrolmentPolicy.ASSIGNED or rng.random() < 0.25
        row = {"user_id": self.people.ids[person], "course_id": course.id, "cycle": 1,
               "self_enrolled": not assigned, "completed_at": None, "completion_note": "",
               "due_on": local_date(enrolled_at + timedelta(days=rng.choice((30, 45, 60, 90, 120))))
               if assigned else None,
               "assigned_by_id": rng.choice(self.admins) if assigned else None,
               "assigned_at": enrolled_at if assigned else None, "created_at": enrolled_at}
        index = len(batch.enrolments)
        batch.enrolments.append(row)
        self.counts["enrolments"] += 1
        if self.remaining > 0:
            self._study(index, row, person, course, enrolled_at)
        if row["due_on"] is not None and row["completed_at"] is None and row["due_on"] < self.today:
            self.counts["overdue"] += 1

    def _study(self, index: int, row: dict, person: int, course: CourseCopy, moment) -> None:
        rng, modules = self.rng, course.module_ids
        roll = rng.random()
        reach = 0 if roll < 0.15 else rng.randint(1, len(modules) - 1) if roll < 0.4 and len(modules) > 1 \
            else len(modules)
        for module_id in modules[:reach]:
            quiz = course.module_quiz.get(module_id)
            moment += timedelta(days=rng.uniform(0.2, 6))
            if moment > self.now:
                return
            if quiz is None:
                self._complete_module(index, module_id, moment)
                continue
            for number in range(1, MODULE_TRIES + 1):
                result = self._attempt(index, person, course, quiz, number, moment)
                if result is None:
                    return
                moment, passed, _score = result
                if passed:
                    self._complete_module(index, module_id, moment)
                    break
                moment += timedelta(hours=rng.uniform(1, 72))
            else:
                return  # gave up on this module
        if reach < len(modules):
            return
        if course.final is None:
            self._complete_course(index, row, person, course, moment, None)
            return
        tries = course.quizzes[course.final[0]].max_attempts or 3
        for number in range(1, tries + 1):
            moment += timedelta(days=rng.uniform(0.5, 10))
            result = self._attempt(index, person, course, course.final, number, moment)
            if result is None:
                return
            moment, passed, score = result
            if passed:
                self._complete_course(index, row, person, course, moment, score)
                return

    def _attempt(self, index: int, person: int, course: CourseCopy, quiz: tuple, number: int, started):
        """Sit one quiz: None when time or the answer budget has run out before it."""
        if started > self.now or self.remaining <= 0:
            return None
        rng = self.rng
        quiz_id, rules = quiz
        source = course.quizzes[quiz_id]
        drawn: list[int] = []
        for category, count in rules:
            pool = course.by_category.get(category, [])
            drawn += rng.sample(pool, len(pool) if count is None else min(count, len(pool)))
        rng.shuffle(drawn)
        drawn = drawn[:self.remaining]
        if not drawn:
            return None
        self.remaining -= len(drawn)
        submitted = started + timedelta(minutes=rng.uniform(2, (source.time_limit_minutes or 15) * 0.95))
        attempt_index = len(self.batch.attempts)
        earned = possible = 0.0
        for position, question_id in enumerate(drawn, start=1):
            q = course.questions[question_id]
            chance = 1 / (1 + math.exp(-q["discrimination"] * (self.ability[person] - q["difficulty"])))
            if rng.random() < 0.02:
                response, fraction = None, 0.0  # left blank
            elif rng.random() < chance:
                response, fraction = q["right"], 1.0
            else:
                response, fraction = q["wrong"], 0.0
            points = round(fraction * q["points"], 4)
            earned, possible = earned + points, possible + q["points"]
            self.batch.answers.append((attempt_index, {
                "position": position, "question_id": question_id, "snapshot": q["snapshot"],
                "response": response, "saved_at": submitted, "fraction": fraction, "points_awarded": points}))
        percent = round(100 * earned / possible, 2) if possible else 0.0
        passed = percent >= source.pass_mark
        self.batch.attempts.append((index, {
            "quiz_id": quiz_id, "user_id": self.people.ids[person], "number": number,
            "state": AttemptState.GRADED, "started_at": started,
            "deadline_at": started + timedelta(minutes=source.time_limit_minutes)
            if source.time_limit_minutes else None,
            "last_seq": len(drawn), "last_saved_at": submitted, "submitted_at": submitted,
            "submitted_by_deadline": False, "graded_at": submitted, "score_points": round(earned, 4),
            "max_points": possible, "score_percent": percent, "passed": passed, "created_at": started}))
        self.counts["attempts"] += 1
        self.counts["answers"] += len(drawn)
        return submitted, passed, percent

    def _complete_module(self, index: int, module_id: int, moment) -> None:
        self.batch.completions.append((index, {"module_id": module_id, "completed_at": moment}))
        self.counts["module_completions"] += 1

    def _complete_course(self, index: int, row: dict, person: int, course: CourseCopy, moment, score) -> None:
        row["completed_at"] = moment
        self.counts["completed_enrolments"] += 1
        config = current_app.config
        issued_at = moment + timedelta(minutes=1)
        year, completed_on = local_date(issued_at).year, local_date(moment)
        self.serials[year] = number = self.serials.get(year, 0) + 1
        serial = f"{config['CERTIFICATE_SERIAL_PREFIX']}-{year}-{number:05d}"
        revoked = self.rng.random() < 0.01
        unit_id = self.people.unit_ids[person]
        self.batch.certificates.append((index, {
            "edition": 1, "user_id": self.people.ids[person], "course_id": course.id, "org_unit_id": unit_id,
            "serial_year": year, "serial_number": number, "serial": serial, "code": new_code(),
            "holder_name": self.people.names[person], "unit_name": self.unit_names.get(unit_id, ""),
            "course_title": course.title, "completed_on": completed_on, "score_percent": score,
            "completion_note": "", "authority_name": config["CERTIFICATE_AUTHORITY"],
            "issuer_name": config["CERTIFICATE_ISSUER"], "signatory_name": config["CERTIFICATE_SIGNATORY_NAME"],
            "signatory_title": config["CERTIFICATE_SIGNATORY_TITLE"], "issued_at": issued_at,
            "issued_by_id": None,
            "valid_until": add_months(completed_on, course.validity_months) if course.validity_months else None,
            "status": CertificateStatus.REVOKED if revoked else CertificateStatus.VALID,
            "revoked_at": issued_at + timedelta(days=3) if revoked else None,
            "revoked_reason": "Cấp nhầm người (dữ liệu mẫu)" if revoked else "",
            # No PDF is rendered for synthetic certificates: their download answers 404.
            "pdf_key": f"scale/{serial}.pdf", "pdf_sha256": "0" * 64}))
        self.counts["certificates"] += 1

    # --- writing ------------------------------------------------------------------------------------------

    def flush(self) -> None:
        batch = self.batch
        if not batch.enrolments:
            return
        enrolment_ids = bulk_insert_ids(Enrolment, batch.enrolments)
        attempt_ids = bulk_insert_ids(Attempt, [dict(row, enrolment_id=enrolment_ids[e])
                                                for e, row in batch.attempts])
        bulk_insert(AttemptAnswer, [dict(row, attempt_id=attempt_ids[a]) for a, row in batch.answers])
        bulk_insert(ModuleCompletion, [dict(row, enrolment_id=enrolment_ids[e]) for e, row in batch.completions])
        bulk_insert(Certificate, [dict(row, enrolment_id=enrolment_ids[e]) for e, row in batch.certificates])
        db.session.commit()
        self.batch = Batch()


def make_activity(spec: ScaleSpec, people: People, courses: list[CourseCopy], unit_names: dict[int, str],
                  rng: random.Random, now) -> dict[str, int]:
    """Every person is enrolled in one course or more (popular courses more often); people study until
    the answer budget is spent, and those enrolled after that have not started yet."""
    simulator = ActivitySimulator(spec, people, courses, unit_names, rng, now)
    learners = [i for i, role in enumerate(people.roles) if role is not Role.ADMIN] or list(range(len(people.ids)))
    popularity = [1 / (1 + 0.15 * n) for n in range(len(courses))]
    taken: dict[int, set[int]] = {}
    enrolled_any = True
    first_pass = True
    while enrolled_any and (first_pass or simulator.remaining > 0):
        enrolled_any = False
        rng.shuffle(learners)
        for person in learners:
            have = taken.setdefault(person, set())
            wanted = rng.choice(COURSES_PER_PERSON) if first_pass else 1
            choices = [c for c in range(len(courses)) if c not in have]
            for _ in range(min(wanted, len(choices))):
                pick = rng.choices(choices, weights=[popularity[c] for c in choices])[0]
                choices.remove(pick)
                have.add(pick)
                simulator.enrol(person, courses[pick])
                enrolled_any = True
            if len(simulator.batch.answers) >= BATCH_ANSWERS or len(simulator.batch.enrolments) >= 2000:
                simulator.flush()
            if not first_pass and simulator.remaining <= 0:
                break
        first_pass = False
    simulator.flush()
    counts = dict(simulator.counts)
    for key in ("enrolments", "overdue", "attempts", "answers", "module_completions", "completed_enrolments",
                "certificates"):
        counts.setdefault(key, 0)
    return counts
