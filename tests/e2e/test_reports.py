"""The completion dashboard in a real browser: an admin opens the dashboard, sees the chart and the table,
clicks a unit, then a person, and reads (and downloads) their transcript; in Vietnamese and English, on a
desktop and on a 375 px phone."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.accounts.models import User
from lms.accounts.services import create_user, find_unit
from lms.certificates import services as certificate_services
from lms.courses import assignments
from lms.courses import services as course_services
from lms.courses.models import Course
from lms.extensions import db
from lms.quizzes import services as quiz_services
from tests.certificate_helpers import complete_course, pass_quiz, pdf_text
from tests.conftest import _app_for
from tests.e2e.test_trainee_journey import sign_in

pytestmark = pytest.mark.e2e
ADMIN = ("admin", "admin-demo-2026")
SLUG = "luat-thi-dua-khen-thuong"
COMMUNE = "UBND xã Hà Trì"
TRAINEE_NAME = "Lường Thị Đào"  # the demo trainee, in the commune


def seed_progress(database_url: str) -> None:
    """A few people of the demo units at different points of the course, through the services."""
    app = _app_for(database_url)
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        admin = db.session.scalar(select(User).where(User.username == "admin"))

        def person(name: str, username: str, unit_code: str) -> User:
            return create_user(full_name=name, username=username, email=f"{username}@example.org",
                               password="mat-khau-thu-2026", unit=find_unit(unit_code))

        trainee = db.session.scalar(select(User).where(User.username == "hocvien"))
        complete_course(trainee, course)
        started = course_services.enrol(person("Nông Văn Dền", "nongvanden", "XA-HATRI"), course)
        pass_quiz(started, quiz_services.quiz_for_module(course.active_modules[0]))
        assignments.assign_course(course, [person("Triệu Thị Mỷ", "trieuthimy", "HTX-THANHCONG"),
                                           person("Ma Thị Én", "mathien", "SGDDT")],
                                  due_on=assignments.local_today() - timedelta(days=5), actor=admin)
        certificate_services.issue_in_person(user=person("Lâm Văn Khải", "lamvankhai", "SGDDT"), course=course,
                                             completed_on=assignments.local_today(),
                                             note="Lớp tập huấn nghiệp vụ thi đua, khen thưởng", actor=admin)
        complete_course(person("Hoàng Thị Ngọc Ánh", "hoangngocanh", "BCHQS"), course)
        db.session.remove()
        db.engine.dispose()


def test_admin_drills_down_from_the_dashboard_to_a_transcript(browser, page, live_server, database_url, shoot,
                                                             tmp_path):
    seed_progress(database_url)
    sign_in(page, live_server, *ADMIN)
    page.locator(".staff-nav a[href='/admin/reports/']").click()
    expect(page.locator("h1")).to_be_visible()
    chart = page.locator(".completion-chart svg")
    expect(chart).to_be_visible()
    # One bar per unit under the province, each with its figure as text.
    expect(chart.locator("g.chart-bar")).to_have_count(4)
    # The commune and its cooperative: the trainee completed, one is reading, one is overdue.
    expect(chart.locator("g.chart-bar", has_text=COMMUNE)).to_contain_text("33% (1/3)")
    shoot(page, "reports-dashboard-vi-desktop")
    page.emulate_media(media="print")  # printed: no menus, filters or buttons; the chart keeps its figures
    expect(page.locator("form.filters")).to_be_hidden()
    expect(chart).to_be_visible()
    shoot(page, "reports-dashboard-vi-print")
    page.emulate_media(media="screen")
    shoot_element(page.locator(".completion-chart"), "reports-chart-vi-desktop")

    page.locator("table.by-unit a", has_text=COMMUNE).click()
    expect(page.locator("h1")).to_have_text(COMMUNE)
    people = page.locator("table.people-status")
    expect(people).to_contain_text(TRAINEE_NAME)
    expect(people).to_contain_text("Nông Văn Dền")
    shoot(page, "reports-unit-vi-desktop")

    people.get_by_role("link", name=TRAINEE_NAME).click()
    expect(page.locator("h1")).to_have_text(TRAINEE_NAME)
    expect(page.locator(".transcript-course h2").first).to_contain_text("Luật Thi đua")
    expect(page.locator(".transcript-certificate a")).to_have_text(re.compile(r"CN-\d{4}-\d{5}"))
    shoot(page, "reports-transcript-vi-desktop")
    with page.expect_download() as download_info:
        page.locator("a[href$='/transcript.pdf']").click()
    pdf_path = tmp_path / "transcript.pdf"
    download_info.value.save_as(pdf_path)
    text = " ".join(pdf_text(pdf_path.read_bytes()).split())
    assert TRAINEE_NAME in text and "Luật Thi đua" in text

    # The same pages in English.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shoot(page, "reports-transcript-en-desktop")
    page.goto(f"{live_server}/admin/reports/")
    expect(page.locator("h1")).to_have_text("Completion by unit")
    shoot(page, "reports-dashboard-en-desktop")
    shoot_element(page.locator(".completion-chart"), "reports-chart-en-desktop")
    page.goto(f"{live_server}/admin/reports/year-end")
    shoot(page, "reports-year-end-en-desktop")

    # On a phone: the chart scales, the tables scroll sideways inside their frame.
    phone = browser.new_context(viewport={"width": 375, "height": 800}, locale="vi-VN").new_page()
    sign_in(phone, live_server, *ADMIN)
    phone.get_by_role("button", name="Tiếng Việt").click()  # the account last chose English
    expect(phone.locator("html")).to_have_attribute("lang", "vi")
    phone.goto(f"{live_server}/admin/reports/")
    expect(phone.locator(".completion-chart svg")).to_be_visible()
    box = phone.locator(".completion-chart svg").bounding_box()
    assert box["width"] <= 375
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375  # nothing pushes the page wider
    shoot(phone, "reports-dashboard-vi-phone")
    shoot_element(phone.locator(".completion-chart"), "reports-chart-vi-phone")
    phone.locator("table.by-unit a", has_text=COMMUNE).click()
    shoot(phone, "reports-unit-vi-phone")
    phone.locator("table.people-status").get_by_role("link", name=TRAINEE_NAME).click()
    expect(phone.locator("h1")).to_have_text(TRAINEE_NAME)
    shoot(phone, "reports-transcript-vi-phone")
    phone.get_by_role("button", name="English").click()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    phone.goto(f"{live_server}/admin/reports/")
    shoot(phone, "reports-dashboard-en-phone")
    phone.context.close()


def shoot_element(locator, name: str) -> None:
    from tests.e2e.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(exist_ok=True)
    locator.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
