"""A trainee takes the timed final exam and a module quiz of the starter course in Chromium: answers are
saved as they go, survive a reload, a lost connection and a closed tab, and the result page shows the
grade and the review."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lms.accounts.demo import DEMO_ACCOUNTS
from lms.extensions import db
from lms.quizzes import grading
from lms.quizzes.models import Attempt
from tests.conftest import _app_for
from tests.e2e.test_trainee_journey import sign_in

pytestmark = pytest.mark.e2e
TRAINEE = next(a for a in DEMO_ACCOUNTS if a[0] == "hocvien")
SLUG = "luat-thi-dua-khen-thuong"


def time_limit_minutes(database_url: str, attempt_id: int) -> int:
    """The limit the attempt was started with, as the server recorded it."""
    app = _app_for(database_url)
    with app.app_context():
        minutes = db.session.get(Attempt, attempt_id).quiz.time_limit_minutes
        db.session.remove()
        db.engine.dispose()
    return minutes


def snapshots(database_url: str, attempt_id: int) -> dict[int, dict]:
    """What the server froze for this attempt (read from the database the live server uses)."""
    app = _app_for(database_url)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        result = {a.position: a.snapshot for a in attempt.answers}
        db.session.remove()
        db.engine.dispose()
    return result


def answer(page, position: int, snap: dict, response) -> None:
    """Answer one question the way a person would: click, tick, type or choose."""
    slot = page.locator(f"#slot-{position}")
    kind = snap["type"]
    if kind in (grading.SINGLE, grading.TRUE_FALSE):
        slot.locator(f"input[value='{response}']").check()
    elif kind == grading.MULTIPLE:
        for option in snap["options"]:
            box = slot.locator(f"input[value='{option['id']}']")
            box.check() if option["id"] in response else box.uncheck()
    elif kind in (grading.SHORT_ANSWER, grading.NUMERIC):
        slot.locator("input[type=text]").fill(response)
    else:
        for key, value in response.items():
            slot.locator(f"select[name='q{position}-{key}']").select_option(str(value))


def expect_answered(page, position: int, snap: dict, response) -> None:
    slot = page.locator(f"#slot-{position}")
    kind = snap["type"]
    if kind in (grading.SINGLE, grading.TRUE_FALSE):
        expect(slot.locator(f"input[value='{response}']")).to_be_checked()
    elif kind == grading.MULTIPLE:
        for value in response:
            expect(slot.locator(f"input[value='{value}']")).to_be_checked()
    elif kind in (grading.SHORT_ANSWER, grading.NUMERIC):
        expect(slot.locator("input[type=text]")).to_have_value(response)
    else:
        for key, value in response.items():
            expect(slot.locator(f"select[name='q{position}-{key}']")).to_have_value(str(value))


def expect_saved(page) -> None:
    expect(page.locator("#save-status")).to_have_class(re.compile("is-ok"), timeout=10_000)


def test_timed_final_exam_with_autosave_reload_lost_connection_and_result(page, live_server, database_url, shoot):
    sign_in(page, live_server, TRAINEE[0], TRAINEE[1])
    page.goto(f"{live_server}/courses/{SLUG}")
    page.locator("form[action$='/enrol'] button").click()
    page.goto(f"{live_server}/courses/{SLUG}/quizzes/final-exam")
    shoot(page, "quiz-overview-vi-desktop")
    page.locator("form[action$='/start'] button").click()
    expect(page).to_have_url(re.compile(r"/attempts/\d+$"))
    attempt_url = page.url
    attempt_id = int(attempt_url.rsplit("/", 1)[1])
    limit = time_limit_minutes(database_url, attempt_id)
    # A fresh attempt shows the whole limit counting down (a second or so may already have gone).
    expect(page.locator("#countdown-clock")).to_have_text(re.compile(rf"^({limit - 1}|{limit}):\d\d$"))
    frozen = snapshots(database_url, attempt_id)
    right = {n: grading.correct_response(s) for n, s in frozen.items()}
    positions = sorted(frozen)

    # Answers are saved as the trainee goes, without pressing anything.
    for n in positions[:4]:
        answer(page, n, frozen[n], right[n])
    expect_saved(page)
    shoot(page, "quiz-attempt-vi-desktop")

    # A reload in the middle: every saved answer is back in place, and the clock kept running.
    page.reload()
    for n in positions[:4]:
        expect_answered(page, n, frozen[n], right[n])
    expect(page.locator("#answered-count")).to_have_text("4")

    # The connection drops: the page says so and keeps the answer; when it returns, the answer is saved.
    page.context.set_offline(True)
    answer(page, positions[4], frozen[positions[4]], right[positions[4]])
    expect(page.locator("#save-status")).to_have_class(re.compile("is-warning"), timeout=10_000)
    page.context.set_offline(False)
    expect_saved(page)

    # Offline again, the trainee answers and closes the tab; opening the attempt later saves it.
    page.context.set_offline(True)
    answer(page, positions[5], frozen[positions[5]], right[positions[5]])
    expect(page.locator("#save-status")).to_have_class(re.compile("is-warning"), timeout=10_000)
    context = page.context
    page.close()
    context.set_offline(False)
    page = context.new_page()
    page.goto(attempt_url)
    expect_saved(page)
    page.reload()
    for n in positions[:6]:
        expect_answered(page, n, frozen[n], right[n])

    for n in positions[6:]:
        answer(page, n, frozen[n], right[n])
    expect_saved(page)
    page.set_viewport_size({"width": 375, "height": 800})
    shoot(page, "quiz-attempt-vi-phone")
    page.locator("#submit-button").click()
    expect(page).to_have_url(re.compile(rf"/attempts/{attempt_id}/result$"))
    expect(page.locator(".score-card")).to_have_class(re.compile("passed"))
    expect(page.locator(".score-card .score strong")).to_have_text("100.0%")
    shoot(page, "quiz-result-vi-phone")
    # Going back to the attempt after handing in shows the result, not the form.
    page.goto(attempt_url)
    expect(page).to_have_url(re.compile(rf"/attempts/{attempt_id}/result$"))


def test_module_quiz_result_shows_the_review_with_legal_basis(page, live_server, shoot):
    sign_in(page, live_server, TRAINEE[0], TRAINEE[1])
    page.goto(f"{live_server}/courses/{SLUG}")
    page.locator("form[action$='/enrol'] button").click()
    page.locator(".quiz-callout a.button").first.click()
    expect(page).to_have_url(re.compile(r"/quizzes/[a-z-]+$"))
    page.locator("form[action$='/start'] button").click()
    # Hand in without answering: graded, not passed, and the review explains every question.
    page.locator("#submit-button").click()
    expect(page.locator(".score-card")).to_have_class(re.compile("failed"))
    items = page.locator(".review-item")
    expect(items.first).to_be_visible()
    expect(items.first.locator(".legal-source")).to_be_visible()
    shoot(page, "quiz-review-vi-desktop")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".score-card h2")).to_have_text("Not passed")
    shoot(page, "quiz-review-en-desktop")
