"""Every registered route, requested as anonymous, trainee, trainer and admin, answers as stated here.

A new route without an entry in EXPECTED fails this test: say who may use it before shipping it.
"""
import re

import pytest
from werkzeug.datastructures import MultiDict

from lms.accounts.models import Role
from lms.courses import services as course_services
from lms.certificates import services as certificate_services
from lms.extensions import db
from lms.notifications.services import notify
from lms.qa import services as qa_services
from lms.quizzes import services as quiz_services
from tests.certificate_helpers import complete_course

ROLES = ("anonymous", "trainee", "trainer", "admin")
LOGIN = "login"  # a redirect to the sign-in page

# (endpoint, method): {role: expected status, or LOGIN}
EXPECTED = {
    ("static", "GET"): dict.fromkeys(ROLES, 200),
    ("site.index", "GET"): dict.fromkeys(ROLES, 302),
    ("site.switch_language", "POST"): dict.fromkeys(ROLES, 302),
    ("site.healthz", "GET"): dict.fromkeys(ROLES, 200),
    ("auth.login", "GET"): {"anonymous": 200, "trainee": 302, "trainer": 302, "admin": 302},
    ("auth.login", "POST"): {"anonymous": 200, "trainee": 302, "trainer": 302, "admin": 302},
    ("auth.logout", "POST"): {"anonymous": LOGIN, "trainee": 302, "trainer": 302, "admin": 302},
    ("auth.change_password", "GET"): {"anonymous": LOGIN, "trainee": 200, "trainer": 200, "admin": 200},
    ("auth.change_password", "POST"): {"anonymous": LOGIN, "trainee": 200, "trainer": 200, "admin": 200},
    ("admin.users", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("admin.create_user", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("admin.create_user", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("admin.units", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("admin.units", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    # Accounts and units (issue 6). An empty edit form is shown again with what is missing; the buttons act on
    # the person in the URL (another trainee) and come back to their page.
    ("admin.edit_user", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("admin.edit_user", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("admin.deactivate_user", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 302},
    ("admin.reactivate_user", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 302},
    ("admin.reset_password", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("admin.edit_unit", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("admin.edit_unit", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    # Bulk import of people: an upload without a file is shown again with what is missing; a commit or a
    # passwords download without its signed token goes back to the upload page with a message.
    ("admin.users_import", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("admin.users_import", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("admin.users_import_commit", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 302},
    ("admin.users_import_passwords", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 302},
    ("admin.users_import_template", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    # The audit log: admins only.
    ("audit.log", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("audit.export_csv", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("audit.export_xlsx", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("courses.dashboard", "GET"): {"anonymous": LOGIN, "trainee": 200, "trainer": 200, "admin": 200},
    ("courses.catalogue", "GET"): {"anonymous": LOGIN, "trainee": 200, "trainer": 200, "admin": 200},
    ("courses.course", "GET"): {"anonymous": LOGIN, "trainee": 200, "trainer": 200, "admin": 200},
    ("courses.enrol", "POST"): {"anonymous": LOGIN, "trainee": 302, "trainer": 302, "admin": 302},
    # Not enrolled: a trainee is sent to the course page to enrol; trainers and admins read everything.
    ("courses.module", "GET"): {"anonymous": LOGIN, "trainee": 302, "trainer": 200, "admin": 200},
    # Those who edit the course (its trainers, admins); for anyone else it is not found.
    ("courses.export_zip", "GET"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("courses.course_file", "GET"): {"anonymous": LOGIN, "trainee": 404, "trainer": 200, "admin": 200},
    ("courses.complete", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 403},
    # Quizzes: a trainee not enrolled is sent to the course page; staff may look at the settings.
    ("quizzes.overview", "GET"): {"anonymous": LOGIN, "trainee": 302, "trainer": 200, "admin": 200},
    ("quizzes.start", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 403},
    # The attempt in the URL belongs to another trainee: for everyone else it does not exist.
    ("quizzes.attempt", "GET"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 404},
    ("quizzes.save", "POST"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 404},
    ("quizzes.submit", "POST"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 404},
    ("quizzes.result", "GET"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 404},
    # Certificates: the one in the URL belongs to another trainee; only admins see others' certificates.
    ("certificates.mine", "GET"): {"anonymous": LOGIN, "trainee": 200, "trainer": 200, "admin": 200},
    ("certificates.download", "GET"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("certificates.renew", "POST"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 404},
    # Verification is public: no login, for anyone holding the code.
    ("certificates.verify_form", "GET"): dict.fromkeys(ROLES, 200),
    ("certificates.verify", "GET"): dict.fromkeys(ROLES, 200),
    ("certificate_admin.register", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("certificate_admin.download_zip", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("certificate_admin.detail", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    # An empty form: the admin is shown what is missing, nothing changes.
    ("certificate_admin.revoke", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 400},
    ("certificate_admin.reissue", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 400},
    ("certificate_admin.issue_in_person", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403,
                                                   "admin": 200},
    ("certificate_admin.issue_in_person", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403,
                                                    "admin": 200},
    # Training classes: admins, and a class's own trainers (the class in the URL is not this trainer's: 404).
    # Empty POSTs change nothing: the admin is sent back with a message, or shown the form again.
    ("classes.index", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 200, "admin": 200},
    ("classes.create", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("classes.create", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("classes.edit", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("classes.edit", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("classes.detail", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 404, "admin": 200},
    ("classes.add_session", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 302},
    ("classes.remove_session", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 302},
    ("classes.attendance", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 404, "admin": 200},
    ("classes.attendance", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 404, "admin": 302},
    ("classes.results", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 404, "admin": 200},
    ("classes.results_csv", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 404, "admin": 200},
    ("classes.results_xlsx", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 404, "admin": 200},
    ("classes.sheet", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 404, "admin": 200},
    ("classes.roster_page", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("classes.add_by_unit", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 302},
    ("classes.add_chosen", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 302},
    ("classes.add_from_file", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 400},
    ("classes.remove_participant", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 302},
    ("classes.enrol", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 302},
    ("classes.issue_certificates", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 302},
    ("classes.certificates_zip", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 302},
    # Item analysis: trainers and admins, for any course.
    ("reports.item_courses", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 200, "admin": 200},
    ("reports.item_analysis", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 200, "admin": 200},
    ("reports.item_analysis_csv", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 200, "admin": 200},
    ("reports.item_analysis_xlsx", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 200, "admin": 200},
    # Enrolment (assignments, due dates): admins only. An empty POST is sent back with what is missing.
    ("reports.assign", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("reports.assign_commit", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 302},
    ("reports.course_enrolments", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("reports.change_due_dates", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 302},
    ("reports.withdraw", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 302},
    # Completion tracking: trainers see the figures by unit (dashboard, chart, a unit's sub-units, year-end
    # view, their exports) but never a named person's record; a unit's people and transcripts are admins' only.
    ("reports.dashboard", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 200, "admin": 200},
    ("reports.unit", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 200, "admin": 200},
    ("reports.person", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("reports.grades", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("reports.override", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("reports.override", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("reports.transcript_download", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 200},
    ("reports.matrix_csv", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 200, "admin": 200},
    ("reports.matrix_xlsx", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 200, "admin": 200},
    ("reports.year_end", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 200, "admin": 200},
    ("reports.year_end_csv", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 200, "admin": 200},
    ("reports.year_end_xlsx", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 200, "admin": 200},
    # H2 course hub and history: the signed-in trainer is not assigned to the course, so for them (and for a
    # trainee) it is not found. An empty settings form is shown again with what is missing; an empty move or
    # trainer form goes back to the hub with a message; the person in the remove URL is no trainer of the
    # course (404). A diff without its two revisions goes back to the history; restoring revision 1, which
    # trainees read now, changes nothing and goes back to the history.
    ("authoring.course", "GET"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("authoring.course_settings", "POST"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("authoring.move_module", "POST"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 302},
    ("authoring.add_trainer", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 302},
    ("authoring.remove_trainer", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 403, "admin": 404},
    ("authoring.history", "GET"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("authoring.diff", "GET"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 302},
    ("authoring.revision", "GET"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("authoring.restore", "POST"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 302},
    # H1 module editor: not assigned (the trainer) or no editor at all (a trainee): not found. An empty new-module
    # or editor form is shown again with what is missing; an empty preview is an empty page; an upload without a
    # file answers 400 with the reason (as JSON, for the editor's script).
    ("authoring.new_module", "GET"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("authoring.new_module", "POST"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("authoring.edit_module", "GET"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("authoring.edit_module", "POST"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("authoring.preview_module", "POST"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("authoring.upload_file", "POST"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 400},
    # H3 question bank and quiz settings: not assigned (the trainer) or no editor (a trainee): not found. An
    # empty question or settings form is shown again with what is missing; retire and bring back go back to
    # the question's page.
    ("authoring.questions", "GET"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("authoring.new_question", "GET"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("authoring.new_question", "POST"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("authoring.edit_question", "GET"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("authoring.edit_question", "POST"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("authoring.preview_question", "GET"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("authoring.retire_question", "POST"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 302},
    ("authoring.unretire_question", "POST"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 302},
    ("authoring.quiz_settings", "GET"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("authoring.quiz_settings", "POST"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    # H4 Q&A, trainer desk, notifications. Asking needs the course's modules (a trainee not enrolled: 403); an
    # empty question or answer is shown again with what is missing. The question in the URL is another
    # trainee's private one, on a course the signed-in trainer is not assigned to: not found for them. An empty
    # FAQ form goes back to the thread with a message. The notice in the URL is someone else's: not found.
    ("qa.ask", "POST"): {"anonymous": LOGIN, "trainee": 403, "trainer": 200, "admin": 200},
    ("qa.thread", "GET"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("qa.answer", "POST"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 200},
    ("qa.promote", "POST"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 302},
    ("qa.desk", "GET"): {"anonymous": LOGIN, "trainee": 403, "trainer": 200, "admin": 200},
    ("notifications.index", "GET"): {"anonymous": LOGIN, "trainee": 200, "trainer": 200, "admin": 200},
    ("notifications.open", "POST"): {"anonymous": LOGIN, "trainee": 404, "trainer": 404, "admin": 404},
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _url_for_rule(rule, course, attempt_id: int, certificate, file_digest: str = "0" * 32, **ids) -> str:
    values = {"filename": "css/app.css", "slug": course.slug, "key": course.active_modules[0].key,
              "attempt_id": str(attempt_id), "certificate_id": str(certificate.id), "code": certificate.code,
              "digest": file_digest[:32], "name": "so-do.png"}
    values.update({name: str(value) for name, value in ids.items()})  # e.g. user_id=…, unit_id=…
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda match: values[match.group(1)], rule.rule)


def test_every_route_has_a_stated_expectation(app):
    missing = sorted(f"{method} {rule.rule} ({rule.endpoint})" for rule, method in _routes(app)
                     if (rule.endpoint, method) not in EXPECTED)
    assert missing == [], "routes without an access expectation: " + ", ".join(missing)
    stale = set(EXPECTED) - {(rule.endpoint, method) for rule, method in _routes(app)}
    assert stale == set(), f"expectations for routes that no longer exist: {stale}"


def _training_class(admin, person) -> dict:
    """A class with a session and one participant, trained by nobody the test signs in as."""
    from datetime import date, time

    from lms.classes import roster as class_roster
    from lms.classes import services as class_services

    training_class = class_services.create_class(class_services.ClassDetails(
        name="Lớp tập huấn", starts_on=date(2026, 11, 12), ends_on=date(2026, 11, 12)), actor=admin)
    class_session = class_services.add_session(training_class, title="Sáng", day=date(2026, 11, 12),
                                               starts=time(7, 30), ends=time(11, 0), actor=admin)
    class_roster.add_people(training_class, [person], actor=admin, how="test")
    participant = training_class.participants[0]
    # Marked present: an admin's empty POSTs can remove neither the session nor the participant.
    class_services.mark_attendance(class_session, shown={participant.id}, present={participant.id}, actor=admin)
    return {"class_id": training_class.id, "session_id": class_session.id, "participant_id": participant.id}


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_expected(app, make, login, course, role):
    owner = make.trainee()
    quiz = quiz_services.find_quiz(course, course.active_modules[0].key)
    attempt = quiz_services.start_attempt(course_services.enrol(owner, course), quiz)
    certificate = complete_course(make.trainee(), course).id
    certificate = certificate_services.current_certificate(certificate)
    # An image a module of the course shows (a trainee not enrolled may not fetch it).
    file_digest = course_services.store_course_files({"so-do.png": b"\x89PNG\r\n\x1a\n"})["so-do.png"]
    person, unit = make.trainee(), make.unit()  # the account and the unit the admin pages act on
    class_ids = _training_class(make.admin(), person)
    # A graded attempt of that person, for the grade override pages.
    graded = quiz_services.start_attempt(course_services.enrol(person, course), quiz)
    quiz_services.submit_attempt(graded, 1, MultiDict())
    # H4: the owner's private question on the first module, and a notice for the person (not the one signed in).
    module_question = qa_services.ask(owner, course.active_modules[0], "Câu hỏi riêng của học viên.")
    notice = notify(person, "qa.answered", {"module_title": "x"}, f"/qa/{module_question.id}")
    db.session.commit()
    failures = []
    for rule, method in _routes(app):
        client = app.test_client()
        if role != "anonymous":
            login(client, make.user(Role(role)))
        url = _url_for_rule(rule, course, attempt.id, certificate, file_digest, user_id=person.id, unit_id=unit.id,
                            person_id=person.id, graded_attempt_id=graded.id, number=1, **class_ids,
                            question_id=module_question.id if rule.endpoint.startswith("qa.")
                            else attempt.answers[0].question_id, quiz_key=quiz.key, notification_id=notice.id)
        response = client.open(url, method=method, data={})
        expected = EXPECTED[(rule.endpoint, method)][role]
        if expected == LOGIN:
            ok = response.status_code == 302 and response.location.startswith("/login")
        else:
            ok = response.status_code == expected
        if not ok:
            failures.append(f"{method} {url}: got {response.status_code} {response.location or ''}, "
                            f"expected {expected}")
    assert failures == []
