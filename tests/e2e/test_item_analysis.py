"""A trainer opens the item analysis of a course with a few thousand graded answers, narrows it to the final
exam, and downloads it; the page reads well in Vietnamese and English, on a desktop and on a phone."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lms.extensions import db
from lms.reports.scale_data import ScaleSpec, seed_scale
from tests.conftest import _app_for
from tests.e2e.test_trainee_journey import sign_in

pytestmark = pytest.mark.e2e
TRAINER = ("giangvien", "giangvien-demo-2026")
SLUG = "sc7-khoa-001"


def seed_answers(database_url: str) -> None:
    app = _app_for(database_url)
    with app.app_context():
        seed_scale(ScaleSpec(users=400, units=12, courses=1, answers=12000, seed=7), say=lambda _line: None)
        db.session.remove()
        db.engine.dispose()


def test_a_trainer_reads_narrows_and_downloads_the_item_analysis(browser, page, live_server, database_url,
                                                                  shoot):
    seed_answers(database_url)
    sign_in(page, live_server, *TRAINER)
    page.locator(".staff-nav a[href='/admin/reports/items']").click()
    page.locator(f"a[href='/admin/reports/courses/{SLUG}/items']").click()
    rows = page.locator("table.item-table tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() > 50  # the starter course's bank, copied
    expect(page.locator("tbody .item-flag").first).to_be_visible()
    shoot(page, "item-analysis-vi-desktop")

    all_attempts = int(page.locator(".item-facts dd").first.inner_text())
    page.locator("#quiz").select_option(label=page.locator("#quiz option").last.inner_text())
    page.locator("form.filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"quiz=\d+"))
    assert 0 < int(page.locator(".item-facts dd").first.inner_text()) < all_attempts

    with page.expect_download() as download:
        page.locator("a[href*='items.csv']").click()
    assert download.value.suggested_filename.endswith(".csv")

    page.locator(".lang-switch button[value=en]").click()
    expect(page.locator("h1")).to_contain_text("Item analysis")
    shoot(page, "item-analysis-en-desktop")

    phone = browser.new_context(viewport={"width": 375, "height": 800}, locale="vi-VN", is_mobile=True,
                                has_touch=True).new_page()
    sign_in(phone, live_server, *TRAINER)
    phone.goto(f"{live_server}/admin/reports/courses/{SLUG}/items")
    phone.locator(".lang-switch button[value=vi]").click()  # the account kept English from the desktop
    expect(phone.locator("html")).to_have_attribute("lang", "vi")
    expect(phone.locator("table.item-table")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375  # the table scrolls in its box
    shoot(phone, "item-analysis-vi-phone")
    phone.locator(".lang-switch button[value=en]").click()
    expect(phone.locator("h1")).to_contain_text("Item analysis")
    shoot(phone, "item-analysis-en-phone")
    phone.context.close()
