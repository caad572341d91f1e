"""A trainee in a real browser: signs in, switches language, enrols, reads, completes, sees progress."""
import re

import pytest
from playwright.sync_api import expect

from lms.accounts.demo import DEMO_ACCOUNTS

pytestmark = pytest.mark.e2e
TRAINEE = next(a for a in DEMO_ACCOUNTS if a[0] == "hocvien")


def sign_in(page, base_url, username, password):
    page.goto(f"{base_url}/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("form button[type=submit].primary").click()


def test_trainee_reads_a_module_and_sees_progress(page, live_server, shoot):
    username, password, full_name = TRAINEE[0], TRAINEE[1], TRAINEE[2]
    page.goto(live_server)
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    shoot(page, "login-vi-desktop")
    sign_in(page, live_server, username, password)
    expect(page.locator("h1")).to_contain_text(full_name)

    # English and back; the choice follows the person from page to page.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Courses", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shoot(page, "catalogue-en-desktop")
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")

    page.get_by_role("link", name="Khóa học", exact=True).click()
    page.locator(".card h2 a").first.click()
    course_title = page.locator("h1").inner_text()
    page.get_by_role("button", name=re.compile("Đăng ký")).click()

    # The first module: a table of contents that jumps to its headings.
    expect(page.locator("nav.module-toc")).to_be_visible()
    first_title = page.locator("article h1").inner_text()
    shoot(page, "module-vi-desktop")
    toc_link = page.locator("nav.module-toc a").first
    target = toc_link.get_attribute("href")
    toc_link.click()
    assert page.url.endswith(target)
    expect(page.locator(f"[id='{target[1:]}']")).to_be_in_viewport()

    page.get_by_role("button", name=re.compile("Đánh dấu")).click()
    # Marking complete moves on to the next module.
    expect(page.locator("article h1")).not_to_have_text(first_title)
    expect(page.locator(".flash-success")).to_be_visible()

    page.locator("nav.main-nav a[href=\"/dashboard\"]").click()
    card = page.locator(".card", has_text=course_title)
    progress = card.locator("progress")
    expect(progress).to_have_attribute("value", "1")
    total = int(progress.get_attribute("max"))
    expect(card.locator(".progress-text")).to_contain_text(f"{round(100 / total)}%")
    shoot(page, "dashboard-vi-desktop")


def test_pages_read_well_on_a_375px_phone(browser, live_server, shoot):
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    username, password = TRAINEE[0], TRAINEE[1]
    sign_in(page, live_server, username, password)
    page.goto(f"{live_server}/courses")
    page.locator(".card h2 a").first.click()
    page.get_by_role("button", name=re.compile("Đăng ký")).click()
    expect(page.locator("article h1")).to_be_visible()
    for lang in ("vi", "en"):
        if lang == "en":
            page.get_by_role("button", name="English").click()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"the page scrolls sideways on a phone ({width}px, {lang})"
        shoot(page, f"module-{lang}-phone")
    page.goto(f"{live_server}/dashboard")
    shoot(page, "dashboard-en-phone")
    context.close()


def test_keyboard_users_can_skip_to_content_and_see_focus(page, live_server):
    sign_in(page, live_server, TRAINEE[0], TRAINEE[1])
    expect(page.locator("nav.main-nav")).to_be_visible()
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focus must be visible"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_a_wrong_password_is_told_plainly(page, live_server):
    sign_in(page, live_server, TRAINEE[0], "wrong-password-123")
    expect(page.locator(".flash-error")).to_be_visible()
    expect(page.locator("#username")).to_be_visible()
