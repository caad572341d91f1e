import re

from sqlalchemy import func, select

from lms.courses import services
from lms.courses.models import Course, EnrolmentPolicy, ModuleCompletion
from lms.extensions import db
from tests.factories import Factories


def progress_text(page: str) -> str:
    return re.search(r'<span class="progress-text">([^<]+)</span>', page).group(1)


def test_trainee_enrols_reads_completes_and_sees_progress(client, make, login, course):
    trainee = make.trainee()
    login(client, trainee)
    assert course.title in client.get("/dashboard").get_data(as_text=True)

    response = client.post(f"/courses/{course.slug}/enrol")
    first, second = course.active_modules[0], course.active_modules[1]
    assert response.location == f"/courses/{course.slug}/modules/{first.key}"

    page = client.get(response.location).get_data(as_text=True)
    assert first.title in page and 'class="module-toc"' in page
    assert f'href="/courses/{course.slug}/modules/{second.key}"' in page, "next-module link"

    done = client.post(f"/courses/{course.slug}/modules/{first.key}/complete")
    assert done.location == f"/courses/{course.slug}/modules/{second.key}"
    dashboard = client.get("/dashboard").get_data(as_text=True)
    total = len(course.active_modules)
    assert f'<progress value="1" max="{total}"' in dashboard
    assert str(round(100 / total)) + "%" in progress_text(dashboard)


def test_completing_every_module_completes_a_course_without_a_final_exam(client, make, login, tmp_path):
    services.import_content(make.course_folder(tmp_path))
    course = db.session.scalar(select(Course).where(Course.slug == "khoa-thu"))
    trainee = make.trainee()
    login(client, trainee)
    client.post(f"/courses/{course.slug}/enrol")
    for module in course.active_modules:
        client.post(f"/courses/{course.slug}/modules/{module.key}/complete")
    enrolment = services.find_enrolment(trainee, course)
    db.session.refresh(enrolment)
    assert enrolment.completed_at is not None
    assert "100%" in progress_text(client.get("/dashboard").get_data(as_text=True))


def test_with_a_final_exam_reading_every_module_is_not_yet_completion(client, make, login, course):
    trainee = make.trainee()
    login(client, trainee)
    client.post(f"/courses/{course.slug}/enrol")
    for module in course.active_modules:
        last = client.post(f"/courses/{course.slug}/modules/{module.key}/complete", follow_redirects=True)
    enrolment = services.find_enrolment(trainee, course)
    db.session.refresh(enrolment)
    assert enrolment.completed_at is None
    page = last.get_data(as_text=True)
    assert "/quizzes/final-exam" in page  # the course page points to the exam that is left


def test_marking_complete_twice_counts_once(client, make, login, course):
    login(client, make.trainee())
    client.post(f"/courses/{course.slug}/enrol")
    key = course.active_modules[0].key
    client.post(f"/courses/{course.slug}/modules/{key}/complete")
    client.post(f"/courses/{course.slug}/modules/{key}/complete")
    assert db.session.scalar(select(func.count(ModuleCompletion.id))) == 1


def test_a_trainee_must_enrol_before_reading_or_completing(client, make, login, course):
    login(client, make.trainee())
    key = course.active_modules[0].key
    assert client.get(f"/courses/{course.slug}/modules/{key}").location == f"/courses/{course.slug}"
    assert client.post(f"/courses/{course.slug}/modules/{key}/complete").status_code == 403
    assert db.session.scalar(select(func.count(ModuleCompletion.id))) == 0


def test_an_assigned_course_is_invisible_until_enrolled(client, make, login, tmp_path):
    folder = Factories.course_folder(tmp_path, course_yml="title: Khóa được giao\nenrolment: assigned\n"
                                                          "modules:\n  - 01-mot.md\n  - 02-hai.md\n")
    services.import_content(folder)
    course = db.session.scalar(select(Course).where(Course.slug == "khoa-thu"))
    assert course.enrolment_policy is EnrolmentPolicy.ASSIGNED
    trainee = make.trainee()
    login(client, trainee)
    assert "Khóa được giao" not in client.get("/courses").get_data(as_text=True)
    assert client.get("/courses/khoa-thu").status_code == 404
    assert client.post("/courses/khoa-thu/enrol").status_code == 404

    db.session.add(services.Enrolment(user_id=trainee.id, course_id=course.id, self_enrolled=False))
    db.session.commit()
    assert "Khóa được giao" in client.get("/dashboard").get_data(as_text=True)
    assert client.get("/courses/khoa-thu/modules/mot").status_code == 200


def test_a_module_key_from_another_course_is_not_found(client, make, login, course, tmp_path):
    services.import_content(Factories.course_folder(tmp_path))
    login(client, make.trainer())
    assert client.get("/courses/khoa-thu/modules/mot").status_code == 200
    assert client.get(f"/courses/{course.slug}/modules/mot").status_code == 404


def test_module_page_is_light(client, make, login, course):
    login(client, make.trainee())
    client.post(f"/courses/{course.slug}/enrol")
    for module in course.active_modules:
        page = client.get(f"/courses/{course.slug}/modules/{module.key}")
        css = client.get("/static/css/app.css")
        assert len(page.data) + len(css.data) < 100_000, "a module page stays well under 100 KB"
