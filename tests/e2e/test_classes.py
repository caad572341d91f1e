"""A trainer at the door of the hall, on a phone: opens the class, ticks who came, saves; the class page
then shows the session marked and each participant's attendance. The admin's class pages, in Vietnamese
and English, on a desktop and a phone."""
from __future__ import annotations

import re
from datetime import date, time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.accounts.models import User
from lms.accounts.services import create_user, find_unit
from lms.classes import roster, services
from lms.courses.models import Course
from lms.extensions import db
from tests.conftest import _app_for
from tests.e2e.test_trainee_journey import sign_in

pytestmark = pytest.mark.e2e
ADMIN = ("admin", "admin-demo-2026")
TRAINER = ("giangvien", "giangvien-demo-2026")
PEOPLE = [("Lường Thị Đào", None), ("Đặng Văn Khải", "XA-HATRI"), ("Hoàng Thị Ngọc Ánh", "HTX-THANHCONG")]
CLASS_NAME = "Lớp tập huấn nghiệp vụ Thi đua – Khen thưởng cấp xã, đợt 1"


def build_class(database_url: str) -> tuple[int, int]:
    """A class the demo trainer trains: two sessions, three participants from the commune and its cooperative."""
    app = _app_for(database_url)
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == ADMIN[0]))
        trainer = db.session.scalar(select(User).where(User.username == TRAINER[0]))
        people = [db.session.scalar(select(User).where(User.username == "hocvien"))]
        for n, (name, unit_code) in enumerate(PEOPLE[1:], start=1):
            people.append(create_user(full_name=name, username=f"hocvien{n}", email=f"hocvien{n}@example.org",
                                      password="mat-khau-demo-2026", unit=find_unit(unit_code)))
        course = db.session.scalar(select(Course).where(Course.slug == "luat-thi-dua-khen-thuong"))
        training_class = services.create_class(services.ClassDetails(
            name=CLASS_NAME, starts_on=date(2026, 11, 12), ends_on=date(2026, 11, 13),
            location="Hội trường UBND xã Hà Trì", org_unit_id=find_unit("BTDKT").id, course_ids=[course.id],
            trainer_ids=[trainer.id]), actor=admin)
        first = services.add_session(training_class, title="Sáng: Luật Thi đua, khen thưởng",
                                     day=date(2026, 11, 12), starts=time(7, 30), ends=time(11, 0), actor=admin)
        services.add_session(training_class, title="Chiều: Hồ sơ khen thưởng", day=date(2026, 11, 12),
                             starts=time(13, 30), ends=time(17, 0), actor=admin)
        roster.add_people(training_class, people, actor=admin, how="test")
        ids = training_class.id, first.id
        db.session.remove()
        db.engine.dispose()
    return ids


def test_trainer_marks_attendance_on_a_phone_and_the_class_page_shows_it(browser, live_server, database_url,
                                                                         shoot):
    class_id, session_id = build_class(database_url)
    phone = browser.new_context(viewport={"width": 375, "height": 800}, locale="vi-VN", is_mobile=True,
                                has_touch=True)
    page = phone.new_page()
    sign_in(page, live_server, *TRAINER)
    page.locator(".staff-nav a[href='/admin/classes/']").click()
    page.get_by_role("link", name=CLASS_NAME).click()
    expect(page.locator("h1")).to_have_text(CLASS_NAME)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # wide tables scroll in their box
    page.locator(f"#session-{session_id} a[href$='/attendance']").click()
    expect(page.locator(".attendance-list li")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing runs off the screen
    page.get_by_label(re.compile("Lường Thị Đào")).check()
    page.get_by_label(re.compile("Hoàng Thị Ngọc Ánh")).check()
    shoot(page, "class-attendance-vi-phone")
    page.locator(".attendance-actions .primary").click()

    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(f"#session-{session_id} .session-attendance")).to_contain_text("2")
    for name, expected in (("Lường Thị Đào", "1/2"), ("Hoàng Thị Ngọc Ánh", "1/2"), ("Đặng Văn Khải", "0/2")):
        expect(page.locator("table.roster tr", has_text=name).locator(".attendance-count")).to_have_text(expected)
    shoot(page, "class-detail-vi-phone")

    # Back to the sheet: the marks are there; the trainer changes one and saves again.
    page.locator(f"#session-{session_id} a[href$='/attendance']").click()
    expect(page.get_by_label(re.compile("Lường Thị Đào"))).to_be_checked()
    expect(page.get_by_label(re.compile("Đặng Văn Khải"))).not_to_be_checked()
    page.get_by_label(re.compile("Đặng Văn Khải")).check()
    page.locator(".attendance-actions .primary").click()
    expect(page.locator("table.roster tr", has_text="Đặng Văn Khải").locator(".attendance-count")).to_have_text("1/2")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shoot(page, "class-detail-en-phone")
    # Another class's page does not exist for this trainer.
    assert page.goto(f"{live_server}/admin/classes/{class_id + 1000}").status == 404
    phone.close()


def test_admin_class_pages_in_both_languages(browser, live_server, database_url, shoot):
    class_id, _session_id = build_class(database_url)
    desktop = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = desktop.new_page()
    sign_in(page, live_server, *ADMIN)
    page.goto(f"{live_server}/admin/classes/")
    expect(page.locator("table.data tbody tr")).to_have_count(1)
    shoot(page, "class-list-vi-desktop")
    page.get_by_role("link", name=CLASS_NAME).click()
    expect(page.locator("table.roster tbody tr")).to_have_count(3)
    shoot(page, "class-detail-vi-desktop")
    page.goto(f"{live_server}/admin/classes/{class_id}/roster?q=Đặng")
    expect(page.locator(".pick-list li")).to_have_count(1)
    shoot(page, "class-roster-vi-desktop")
    page.goto(f"{live_server}/admin/classes/{class_id}/edit")
    shoot(page, "class-edit-vi-desktop")
    page.get_by_role("button", name="English").click()
    page.goto(f"{live_server}/admin/classes/{class_id}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shoot(page, "class-detail-en-desktop")
    page.goto(f"{live_server}/admin/classes/{class_id}/results")
    expect(page.locator("h1")).to_have_text("Results of the class")
    shoot(page, "class-results-en-desktop")
    desktop.close()

    phone = browser.new_context(viewport={"width": 375, "height": 800}, locale="vi-VN", is_mobile=True)
    page = phone.new_page()
    sign_in(page, live_server, *ADMIN)
    page.goto(f"{live_server}/admin/classes/{class_id}")
    shoot(page, "class-detail-admin-vi-phone")
    page.goto(f"{live_server}/admin/classes/{class_id}/roster")
    shoot(page, "class-roster-vi-phone")
    phone.close()
