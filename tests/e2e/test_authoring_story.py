"""The issue's done-when story in a real browser: a trainer changes a module and publishes it, a trainee on a
phone reads the new text at once and asks a question, the trainer answers it from the desk and promotes it
to the module's FAQ, the trainee is notified and reads the answer, and the history shows the diff and
restores the old text."""
import pytest
from playwright.sync_api import expect

from lms.accounts.demo import DEMO_ACCOUNTS
from tests.e2e.test_trainee_journey import TRAINEE, sign_in

pytestmark = pytest.mark.e2e

TRAINER = next(a for a in DEMO_ACCOUNTS if a[0] == "giangvien")
COURSE, MODULE = "luat-thi-dua-khen-thuong", "khung-phap-ly"
NEW_PARAGRAPH = "Cập nhật tháng 11/2026: đơn vị rà soát lại quy chế thi đua theo các văn bản mới."
ASKED = "Xã chúng tôi có phải sửa quy chế thi đua ngay khi có văn bản mới không?"
ANSWERED = "Rà soát trong quý đầu năm và trình cấp có thẩm quyền ban hành lại nếu có nội dung trái luật."


def _phone(browser):
    return browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True,
                               has_touch=True, locale="vi-VN")


def test_trainer_publishes_trainee_reads_asks_and_gets_an_answer_and_history_restores(browser, live_server,
                                                                                        shoot):
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    trainer = desk.new_page()
    sign_in(trainer, live_server, TRAINER[0], TRAINER[1])
    trainer.get_by_role("button", name="English").click()

    # The trainer edits the module beside the live preview and publishes it.
    trainer.goto(f"{live_server}/courses/{COURSE}/modules/{MODULE}")
    trainer.get_by_role("link", name="Edit this module").click()
    source = trainer.locator("textarea[name=source]")
    original = source.input_value()
    source.fill(f"{NEW_PARAGRAPH}\n\n{original}")
    expect(trainer.locator("#module-preview")).to_contain_text(NEW_PARAGRAPH)  # rendered by the server
    shoot(trainer, "authoring-editor-en-desktop")
    trainer.locator("input[name=note]").fill("Thêm đoạn cập nhật")
    trainer.locator("#module-editor").get_by_role("button", name="Publish").click()
    expect(trainer.locator(".flash-success").first).to_be_visible()

    # A trainee on a phone reads the new text at once and asks a public question.
    phone = _phone(browser)
    trainee = phone.new_page()
    sign_in(trainee, live_server, TRAINEE[0], TRAINEE[1])
    trainee.goto(f"{live_server}/courses/{COURSE}")
    trainee.locator("form[action$='/enrol'] button").click()
    trainee.goto(f"{live_server}/courses/{COURSE}/modules/{MODULE}")
    expect(trainee.locator("article .prose").first).to_contain_text(NEW_PARAGRAPH)
    trainee.locator("section.qa textarea[name=body]").fill(ASKED)
    trainee.locator("section.qa input[name=visibility][value=public]").check()
    trainee.locator("section.qa form button[type=submit]").click()
    expect(trainee.locator("main")).to_contain_text(ASKED)  # the question's own page
    shoot(trainee, "qa-asked-vi-phone")
    trainee.goto(f"{live_server}/courses/{COURSE}/modules/{MODULE}")
    expect(trainee.locator("section.qa")).to_contain_text(ASKED)
    width = trainee.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the module page scrolls sideways on a phone ({width}px)"

    # The trainer finds it on the desk, oldest first, answers and promotes it to the FAQ.
    trainer.goto(f"{live_server}/teach")
    waiting = trainer.locator("main").get_by_text(ASKED)
    expect(waiting).to_be_visible()
    shoot(trainer, "trainer-desk-en-desktop")
    trainer.locator("main li", has_text=ASKED).get_by_role("link").first.click()
    trainer.locator("textarea[name=body]").fill(ANSWERED)
    trainer.get_by_role("button", name="Publish the answer").click()
    expect(trainer.locator("main")).to_contain_text(ANSWERED)
    trainer.get_by_role("button", name="Add to the module's FAQ").click()
    expect(trainer.get_by_role("button", name="Remove from the FAQ")).to_be_visible()

    # The trainee is told, opens the notice and reads the answer; the FAQ shows it under the module.
    trainee.goto(f"{live_server}/courses/{COURSE}")
    expect(trainee.locator(".notice-count")).to_have_text("1")
    trainee.locator("a.notice-link").click()
    trainee.locator("button.notice-open").first.click()
    expect(trainee.locator("main")).to_contain_text(ANSWERED)
    shoot(trainee, "qa-answered-vi-phone")
    trainee.goto(f"{live_server}/courses/{COURSE}/modules/{MODULE}")
    faq = trainee.locator(".qa-faq-item")
    expect(faq).to_contain_text(ASKED)
    expect(faq).to_contain_text(ANSWERED)

    # The history compares the two latest revisions and restores the text before the change.
    trainer.goto(f"{live_server}/author/courses/{COURSE}/modules/{MODULE}/history")
    shoot(trainer, "module-history-en-desktop")
    trainer.get_by_role("button", name="Compare the chosen revisions").click()
    expect(trainer.locator("li.diff-added", has_text="Cập nhật tháng 11/2026")).to_be_visible()
    shoot(trainer, "module-diff-en-desktop")
    trainer.go_back()
    restore_buttons = trainer.get_by_role("button", name="Restore")
    restore_buttons.first.click()  # the revision just before the newest
    expect(trainer.locator(".flash-success").first).to_be_visible()

    expect(trainer.locator("main")).to_contain_text("restored from revision")

    trainee.reload()
    expect(trainee.locator("article .prose").first).not_to_contain_text(NEW_PARAGRAPH)
    expect(trainee.locator("article .prose h2").first).to_be_visible()
    phone.close()
    desk.close()
