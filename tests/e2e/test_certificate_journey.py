"""From the final exam to the PDF in hand: a trainee passes, downloads the certificate, its QR code opens
the verification page; an admin revokes it and the page says so, with the reason."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.accounts.models import User
from lms.courses import services as course_services
from lms.courses.models import Course
from lms.extensions import db
from lms.quizzes import grading
from lms.quizzes import services as quiz_services
from tests.certificate_helpers import pass_quiz, pdf_fonts, pdf_text, qr_payloads
from tests.conftest import _app_for
from tests.e2e.test_quiz_journey import SLUG, TRAINEE, answer, expect_saved, snapshots
from tests.e2e.test_trainee_journey import sign_in

pytestmark = pytest.mark.e2e
ADMIN = ("admin", "admin-demo-2026")


def pass_module_quizzes(database_url: str, username: str) -> None:
    """The modules were done on another day; today the trainee sits the final exam."""
    app = _app_for(database_url)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        enrolment = course_services.enrol(user, course)
        for module in course.active_modules:
            pass_quiz(enrolment, quiz_services.quiz_for_module(module))
        db.session.remove()
        db.engine.dispose()


def test_final_exam_to_pdf_to_verification_and_revocation(browser, page, live_server, database_url, shoot,
                                                         tmp_path):
    username, password, full_name = TRAINEE[:3]
    pass_module_quizzes(database_url, username)
    sign_in(page, live_server, username, password)
    page.goto(f"{live_server}/courses/{SLUG}/quizzes/final-exam")
    page.locator("form[action$='/start'] button").click()
    expect(page).to_have_url(re.compile(r"/attempts/\d+$"))
    frozen = snapshots(database_url, int(page.url.rsplit("/", 1)[1]))
    for n, snap in sorted(frozen.items()):
        answer(page, n, snap, grading.correct_response(snap))
    expect_saved(page)
    page.locator("#submit-button").click()
    expect(page.locator(".certificate-callout")).to_be_visible()
    shoot(page, "certificate-ready-vi-desktop")

    page.locator(".main-nav a[href='/certificates']").click()
    expect(page.locator(".certificate-card")).to_have_count(1)
    expect(page.locator(".certificate-card .badge")).to_have_text("Còn hiệu lực")
    shoot(page, "certificates-mine-vi-desktop")
    with page.expect_download() as download_info:
        page.locator(".certificate-card a[href$='/download']").click()
    pdf_path = tmp_path / "certificate.pdf"
    download_info.value.save_as(pdf_path)
    pdf = pdf_path.read_bytes()
    assert full_name in " ".join(pdf_text(pdf).split())
    assert "Cert-Serif-Bold" in pdf_fonts(pdf)

    # The phone camera reads the QR code and opens the page it points at.
    [verify_url] = qr_payloads(pdf)
    assert verify_url.startswith(f"{live_server}/verify/")
    phone = browser.new_context(viewport={"width": 375, "height": 800}, locale="vi-VN")
    inspector = phone.new_page()
    inspector.goto(verify_url)
    expect(inspector.locator(".verify-status")).to_have_class(re.compile("status-valid"))
    expect(inspector.locator(".verify-details .holder")).to_have_text(full_name)
    shoot(inspector, "verify-valid-vi-phone")

    # The admin revokes it; the inspector's page now says "revoked", with the reason.
    admin = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN").new_page()
    sign_in(admin, live_server, *ADMIN)
    admin.goto(f"{live_server}/admin/certificates/")
    admin.get_by_role("link", name=re.compile(r"^CN-\d{4}-\d{5}$")).first.click()
    shoot(admin, "certificate-admin-detail-vi-desktop")
    reason = "Kết quả kiểm tra bị hủy do vi phạm quy chế"
    admin.locator("#reason").fill(reason)
    admin.locator("form[action$='/revoke'] button").click()
    expect(admin.locator(".flash-success")).to_be_visible()
    inspector.reload()
    expect(inspector.locator(".verify-status")).to_have_class(re.compile("status-revoked"))
    expect(inspector.locator(".verify-result")).to_contain_text(reason)
    inspector.get_by_role("button", name="English").click()
    expect(inspector.locator("h1")).to_have_text("This certificate has been revoked")
    shoot(inspector, "verify-revoked-en-phone")
    inspector.goto(f"{live_server}/verify?code=AAAA-BBBB-CCCC-DDDD")
    expect(inspector.locator("h1")).to_have_text("No certificate has this code")
    shoot(inspector, "verify-not-found-en-phone")
    admin.goto(f"{live_server}/admin/certificates/?status=revoked")
    expect(admin.locator("table.data tbody tr")).to_have_count(1)
    shoot(admin, "certificates-admin-list-vi-desktop")
    phone.close()
    admin.context.close()
