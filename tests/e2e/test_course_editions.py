"""A reviewer reading in English is offered the English edition of a course, reads it on a desktop and on a
phone, and can reach the Vietnamese original from it."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.test_trainee_journey import TRAINEE, sign_in

pytestmark = pytest.mark.e2e


def test_an_english_reader_studies_the_english_edition_and_finds_the_original(browser, live_server, shoot):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, TRAINEE[0], TRAINEE[1])
    page.get_by_role("button", name="English").click()
    page.get_by_role("link", name="Courses", exact=True).click()

    cards = page.locator(".card")
    law = cards.filter(has_text="Law on Emulation and Commendation")
    expect(law).to_have_count(1)
    expect(cards.locator("h2", has_text="Luật Thi đua, khen thưởng")).to_have_count(0)
    expect(law.get_by_role("link", name="Tiếng Việt")).to_be_visible()
    shoot(page, "catalogue-editions-en-desktop")

    law.locator("h2 a").click()
    expect(page.locator("h1")).to_have_attribute("lang", "en")
    page.get_by_role("button", name=re.compile("Enrol")).click()
    article = page.locator("article")
    expect(article.locator(".prose")).to_have_attribute("lang", "en")
    expect(article.get_by_role("heading", name="Learning objectives")).to_be_visible()
    expect(article.get_by_role("heading", name="Legal basis")).to_be_visible()
    shoot(page, "module-edition-en-desktop")

    phone = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True,
                                has_touch=True, storage_state=context.storage_state())
    mobile = phone.new_page()
    mobile.goto(page.url)
    expect(mobile.locator("article .prose")).to_have_attribute("lang", "en")
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the module scrolls sideways on a phone ({width}px)"
    shoot(mobile, "module-edition-en-phone")
    phone.close()

    # The original is one link away, in Vietnamese whatever the interface language.
    page.locator("nav.breadcrumb a").first.click()
    page.locator("h2 a", has_text="Law on Emulation").click()
    page.locator(".editions").get_by_role("link", name="Tiếng Việt").click()
    expect(page.locator("h1")).to_have_attribute("lang", "vi")
    expect(page.locator("h1")).to_have_text("Luật Thi đua, khen thưởng")
    context.close()
