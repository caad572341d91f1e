"""Every registered route, requested as anonymous, trainee, trainer and admin, answers as stated here.

A new route without an entry in EXPECTED fails this test: say who may use it before shipping it.
"""
import re

import pytest

from lms.accounts.models import Role
from lms.courses import services as course_services
from lms.certificates import services as certificate_services
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
    ("courses.dashboard", "GET"): {"anonymous": LOGIN, "trainee": 200, "trainer": 200, "admin": 200},
    ("courses.catalogue", "GET"): {"anonymous": LOGIN, "trainee": 200, "trainer": 200, "admin": 200},
    ("courses.course", "GET"): {"anonymous": LOGIN, "trainee": 200, "trainer": 200, "admin": 200},
    ("courses.enrol", "POST"): {"anonymous": LOGIN, "trainee": 302, "trainer": 302, "admin": 302},
    # Not enrolled: a trainee is sent to the course page to enrol; trainers and admins read everything.
    ("courses.module", "GET"): {"anonymous": LOGIN, "trainee": 302, "trainer": 200, "admin": 200},
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
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _url_for_rule(rule, course, attempt_id: int, certificate, file_digest: str = "0" * 32) -> str:
    values = {"filename": "css/app.css", "slug": course.slug, "key": course.active_modules[0].key,
              "attempt_id": str(attempt_id), "certificate_id": str(certificate.id), "code": certificate.code,
              "digest": file_digest[:32], "name": "so-do.png"}
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda match: values[match.group(1)], rule.rule)


def test_every_route_has_a_stated_expectation(app):
    missing = sorted(f"{method} {rule.rule} ({rule.endpoint})" for rule, method in _routes(app)
                     if (rule.endpoint, method) not in EXPECTED)
    assert missing == [], "routes without an access expectation: " + ", ".join(missing)
    stale = set(EXPECTED) - {(rule.endpoint, method) for rule, method in _routes(app)}
    assert stale == set(), f"expectations for routes that no longer exist: {stale}"


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_expected(app, make, login, course, role):
    owner = make.trainee()
    quiz = quiz_services.find_quiz(course, course.active_modules[0].key)
    attempt = quiz_services.start_attempt(course_services.enrol(owner, course), quiz)
    certificate = complete_course(make.trainee(), course).id
    certificate = certificate_services.current_certificate(certificate)
    # An image a module of the course shows (a trainee not enrolled may not fetch it).
    file_digest = course_services.store_course_files({"so-do.png": b"\x89PNG\r\n\x1a\n"})["so-do.png"]
    failures = []
    for rule, method in _routes(app):
        client = app.test_client()
        if role != "anonymous":
            login(client, make.user(Role(role)))
        url = _url_for_rule(rule, course, attempt.id, certificate, file_digest)
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
