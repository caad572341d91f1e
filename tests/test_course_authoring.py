"""The course hub: settings, the order of the modules, who the trainers are, and who may open it."""
from __future__ import annotations

import re

from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.courses import services as course_services
from lms.courses.models import Course, CourseTrainer
from lms.extensions import db


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def assign(course: Course, trainer) -> None:
    db.session.add(CourseTrainer(course_id=course.id, user_id=trainer.id))
    db.session.commit()


def settings_of(course: Course, **changes) -> dict:
    data = {"title": course.title, "summary": course.summary, "enrolment_policy": course.enrolment_policy.value,
            "certificate_validity_months": str(course.certificate_validity_months or ""),
            "legal_basis_as_of": course.legal_basis_as_of}
    data.update(changes)
    return data


def other_course(make, tmp_path) -> Course:
    course_services.import_content(make.course_folder(tmp_path))
    return db.session.scalar(select(Course).where(Course.slug == "khoa-thu"))


def test_a_trainer_changes_the_settings_and_trainees_see_them(client, make, login, course):
    trainer = make.trainer()
    assign(course, trainer)
    login(client, trainer)
    old_title, old_basis = course.title, course.legal_basis_as_of
    response = client.post(f"/author/courses/{course.slug}/settings", data=settings_of(
        course, title="Luật Thi đua, khen thưởng (cập nhật 2026)", certificate_validity_months="",
        legal_basis_as_of="Luật Thi đua, khen thưởng 2022; Nghị định 152/2025/NĐ-CP"))
    assert response.status_code == 302 and response.location.endswith(f"/author/courses/{course.slug}")

    [event] = events("course.settings")
    assert event.actor_id == trainer.id and event.object_id == str(course.id)
    # Only what changed is recorded.
    assert event.before == {"title": old_title, "certificate_validity_months": 24,
                            "legal_basis_as_of": old_basis}
    assert event.after == {"title": "Luật Thi đua, khen thưởng (cập nhật 2026)", "certificate_validity_months": None,
                           "legal_basis_as_of": "Luật Thi đua, khen thưởng 2022; Nghị định 152/2025/NĐ-CP"}

    trainee = make.trainee()
    reader = client.application.test_client()
    login(reader, trainee)
    assert "Luật Thi đua, khen thưởng (cập nhật 2026)" in reader.get("/courses").get_data(as_text=True)
    page = reader.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "Nghị định 152/2025/NĐ-CP" in page
    db.session.refresh(course)
    assert course.certificate_validity_months is None  # no expiry from now on


def test_saving_the_settings_unchanged_changes_nothing(client, make, login, course):
    trainer = make.trainer()
    assign(course, trainer)
    login(client, trainer)
    client.post("/language", data={"lang": "en"})
    response = client.post(f"/author/courses/{course.slug}/settings", data=settings_of(course),
                           follow_redirects=True)
    assert "Nothing changed" in response.get_data(as_text=True)
    assert events("course.settings") == []


def test_settings_without_a_title_are_shown_again_and_not_saved(client, make, login, course):
    login(client, make.admin())
    title = course.title
    response = client.post(f"/author/courses/{course.slug}/settings",
                           data=settings_of(course, title="  ", certificate_validity_months="0"))
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    db.session.refresh(course)
    assert course.title == title and course.certificate_validity_months == 24
    assert events("course.settings") == []


def test_moving_a_module_changes_the_order_trainees_see(client, make, login, course):
    first, second = course.active_modules[0], course.active_modules[1]
    admin = make.admin()
    login(client, admin)
    response = client.post(f"/author/courses/{course.slug}/modules/{second.key}/move", data={"direction": "up"})
    assert response.status_code == 302
    [event] = events("module.move")
    assert event.actor_id == admin.id and (event.before, event.after) == ({"order": 2}, {"order": 1})

    trainee = make.trainee()
    reader = client.application.test_client()
    login(reader, trainee)
    page = reader.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert page.index(second.title) < page.index(first.title)

    # Already first: nothing moves, nothing is recorded.
    client.post("/language", data={"lang": "en"})
    response = client.post(f"/author/courses/{course.slug}/modules/{second.key}/move", data={"direction": "up"},
                           follow_redirects=True)
    assert "already the first module" in response.get_data(as_text=True)
    assert len(events("module.move")) == 1
    client.post(f"/author/courses/{course.slug}/modules/{second.key}/move", data={"direction": "down"})
    db.session.expire_all()
    assert [m.key for m in course.active_modules][:2] == [first.key, second.key]


def test_the_hub_lists_the_modules_with_their_state_and_links(client, make, login, course):
    trainer = make.trainer(full_name="Trần Văn Bình")
    assign(course, trainer)
    login(client, trainer)
    client.post("/language", data={"lang": "en"})
    page = client.get(f"/author/courses/{course.slug}").get_data(as_text=True)
    for module in course.active_modules:
        assert f'id="module-{module.key}"' in page
        assert f"/author/courses/{course.slug}/modules/{module.key}/edit" in page
        assert f"/author/courses/{course.slug}/modules/{module.key}/history" in page
    assert "Revision 1" in page and "Content import" in page
    assert f"/author/courses/{course.slug}/modules/new" in page
    assert f"/courses/{course.slug}/export.zip" in page
    assert f"/author/courses/{course.slug}/questions" in page
    assert f"/author/courses/{course.slug}/quizzes/final-exam/settings" in page
    # A trainer reads who the trainers are but cannot change them.
    assert "Trần Văn Bình" in page
    assert f"/author/courses/{course.slug}/trainers" not in page


def test_only_an_admin_assigns_and_removes_trainers(client, make, login, course):
    admin, trainer, trainee = make.admin(), make.trainer(full_name="Lê Thị Hoa"), make.trainee()
    colleague = make.trainer()
    assign(course, colleague)

    login(client, colleague)
    assert client.post(f"/author/courses/{course.slug}/trainers", data={"user_id": trainer.id}).status_code == 403
    assert client.post(f"/author/courses/{course.slug}/trainers/{colleague.id}/remove").status_code == 403

    admin_client = client.application.test_client()
    login(admin_client, admin)
    page = admin_client.get(f"/author/courses/{course.slug}").get_data(as_text=True)
    assert re.search(rf'<option value="{trainer.id}">Lê Thị Hoa', page)
    assert f'<option value="{trainee.id}"' not in page  # only trainers can be assigned
    admin_client.post(f"/author/courses/{course.slug}/trainers", data={"user_id": trainer.id})
    assert db.session.scalar(select(CourseTrainer).where(CourseTrainer.course_id == course.id,
                                                         CourseTrainer.user_id == trainer.id)) is not None
    [added] = events("course.trainer_add")
    assert added.actor_id == admin.id and added.after == {"trainer": trainer.username}

    # A trainee is refused, and nothing is recorded.
    admin_client.post(f"/author/courses/{course.slug}/trainers", data={"user_id": trainee.id})
    assert len(events("course.trainer_add")) == 1

    trainer_client = client.application.test_client()
    login(trainer_client, trainer)
    assert trainer_client.get(f"/author/courses/{course.slug}").status_code == 200

    admin_client.post(f"/author/courses/{course.slug}/trainers/{trainer.id}/remove")
    [removed] = events("course.trainer_remove")
    assert removed.before == {"trainer": trainer.username}
    assert trainer_client.get(f"/author/courses/{course.slug}").status_code == 404
    # Removing someone who is not a trainer of the course: not found.
    assert admin_client.post(f"/author/courses/{course.slug}/trainers/{trainee.id}/remove").status_code == 404


def test_a_trainer_opens_only_the_courses_they_are_assigned_to(client, make, login, course, tmp_path):
    other = other_course(make, tmp_path)
    trainer = make.trainer()
    assign(course, trainer)
    login(client, trainer)
    assert client.get(f"/author/courses/{course.slug}").status_code == 200
    assert client.get(f"/author/courses/{other.slug}").status_code == 404
    assert client.post(f"/author/courses/{other.slug}/settings", data=settings_of(other)).status_code == 404
    key = other.active_modules[0].key
    assert client.post(f"/author/courses/{other.slug}/modules/{key}/move",
                       data={"direction": "down"}).status_code == 404
    # The course page offers the hub to its trainer only.
    assert f"/author/courses/{course.slug}" in client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert f"/author/courses/{other.slug}" not in client.get(f"/courses/{other.slug}").get_data(as_text=True)

    trainee_client = client.application.test_client()
    login(trainee_client, make.trainee())
    assert trainee_client.get(f"/author/courses/{course.slug}").status_code == 404
    assert "/author/courses/" not in trainee_client.get(f"/courses/{course.slug}").get_data(as_text=True)


def test_the_assigned_trainer_downloads_the_course_zip(client, make, login, course, tmp_path):
    other = other_course(make, tmp_path)
    trainer = make.trainer()
    assign(course, trainer)
    login(client, trainer)
    response = client.get(f"/courses/{course.slug}/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert client.get(f"/courses/{other.slug}/export.zip").status_code == 404
