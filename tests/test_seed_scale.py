"""`lms seed-scale`: a tiny run makes exactly what its parameters ask, consistently, once per seed."""
from __future__ import annotations

from sqlalchemy import func, select

from lms.accounts.models import OrgUnit, Role, User
from lms.certificates.models import Certificate
from lms.courses.models import Course, Enrolment, Module, ModuleCompletion
from lms.extensions import db
from lms.quizzes.models import Attempt, AttemptAnswer, Question, Quiz
from lms.reports import item_analysis
from tests.factories import STARTER_SLUG

TINY = {"users": 200, "units": 10, "courses": 3, "answers": 5000}


def seed(runner, seed: int = 1, **sizes):
    sizes = {**TINY, **sizes}
    args = ["lms", "seed-scale", "--seed", str(seed)]
    for name, value in sizes.items():
        args += [f"--{name}", str(value)]
    return runner.invoke(args=args)


def count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def seeded_courses(tag: str = "sc1"):
    return select(Course.id).where(Course.slug.like(f"{tag}-khoa-%"))


def test_a_tiny_seed_makes_what_its_parameters_ask(runner):
    result = seed(runner)
    assert result.exit_code == 0, result.output
    assert "5,000 answers" in result.output and " s" in result.output  # says what it made and how long

    assert count(select(OrgUnit.id).where(OrgUnit.code.like("SC1%"))) == TINY["units"]
    assert count(select(User.id).where(User.username.like("sc1u%"))) == TINY["users"]
    assert count(seeded_courses()) == TINY["courses"]
    answers = (select(AttemptAnswer.id).join(Attempt, Attempt.id == AttemptAnswer.attempt_id)
               .join(Quiz, Quiz.id == Attempt.quiz_id).where(Quiz.course_id.in_(seeded_courses())))
    assert count(answers) == TINY["answers"]

    # Each course copies the starter course's modules, bank and quizzes.
    source = db.session.scalar(select(Course).where(Course.slug == STARTER_SLUG))
    for course_id in db.session.scalars(seeded_courses()):
        for model in (Module, Question, Quiz):
            assert (count(select(model.id).where(model.course_id == course_id))
                    == count(select(model.id).where(model.course_id == source.id,
                                                    model.retired.is_(False)))), model
    # People are spread over the units below the province, and every learner is enrolled somewhere.
    homes = db.session.scalars(select(func.count(func.distinct(User.org_unit_id)))
                               .where(User.username.like("sc1u%"))).one()
    assert homes > 1
    enrolled = count(select(Enrolment.user_id).distinct().where(Enrolment.course_id.in_(seeded_courses())))
    learners = count(select(User.id).where(User.username.like("sc1u%"), User.role != Role.ADMIN))
    assert enrolled == learners


def test_the_made_records_agree_with_each_other(runner):
    assert seed(runner).exit_code == 0
    # An attempt's score is the sum of its answers' points.
    sums = (select(AttemptAnswer.attempt_id, func.sum(AttemptAnswer.points_awarded).label("points"))
            .group_by(AttemptAnswer.attempt_id).subquery())
    mismatched = count(select(Attempt.id).join(sums, sums.c.attempt_id == Attempt.id)
                       .where(func.abs(Attempt.score_points - sums.c.points) > 0.001))
    assert mismatched == 0
    # Completed enrolments have their certificate; module completions belong to the enrolment's course.
    completed = count(select(Enrolment.id).where(Enrolment.completed_at.is_not(None)))
    assert completed > 0 and count(select(Certificate.id)) == completed
    foreign = count(select(ModuleCompletion.id).join(Enrolment, Enrolment.id == ModuleCompletion.enrolment_id)
                    .join(Module, Module.id == ModuleCompletion.module_id)
                    .where(Module.course_id != Enrolment.course_id))
    assert foreign == 0
    # Some assignments carry due dates, and some of those are overdue.
    assert count(select(Enrolment.id).where(Enrolment.due_on.is_not(None), Enrolment.completed_at.is_(None),
                                            Enrolment.due_on < func.current_date())) > 0


def test_item_analysis_of_a_seeded_course_finds_good_and_broken_questions(runner):
    assert seed(runner, answers=20000).exit_code == 0
    course = db.session.scalar(select(Course).where(Course.slug == "sc1-khoa-001"))
    report = item_analysis.item_analysis(course)
    assert report.answers > 0 and report.attempts > 0
    judged = [item for item in report.items if item.answers >= item_analysis.MIN_ANSWERS]
    assert judged and any(item.flag is None for item in judged)
    assert any(item.flag is not None for item in judged)


def test_the_same_seed_twice_is_refused_and_changes_nothing(runner):
    assert seed(runner).exit_code == 0
    users = count(select(User.id))
    again = seed(runner)
    assert again.exit_code != 0 and "seed 1" in again.output
    assert count(select(User.id)) == users
    other = seed(runner, seed=2, users=20, units=3, courses=1, answers=100)
    assert other.exit_code == 0, other.output
    assert count(select(User.id).where(User.username.like("sc2u%"))) == 20


def test_refused_outside_development(app, runner):
    app.config["DEMO_DATA_ALLOWED"] = False
    result = seed(runner)
    assert result.exit_code != 0 and "production" in result.output
    assert count(select(User.id)) == 0
