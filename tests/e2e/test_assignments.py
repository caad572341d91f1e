"""An admin assigns a course to a commune (and the cooperative under it) with a due date, in a real browser:
chooses, previews, confirms, then finds overdue people in the course's list; the trainee sees the due date
and the overdue badge on their dashboard. Screenshots in Vietnamese and English, desktop and phone."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.accounts.models import User
from lms.accounts.services import create_user, find_unit
from lms.courses import assignments
from lms.courses.models import Course, Enrolment
from lms.extensions import db
from tests.conftest import _app_for
from tests.e2e.test_trainee_journey import TRAINEE, sign_in

pytestmark = pytest.mark.e2e
ADMIN = ("admin", "admin-demo-2026")
LAW = "luat-thi-dua-khen-thuong"
CEREMONY = "nghi-thuc-trao-tang-khen-thuong"
COLLEAGUES = [("Bế Văn Sáng", "XA-HATRI"), ("Nông Thị Hoa", "XA-HATRI"), ("Triệu Đức Mạnh", "HTX-THANHCONG"),
              ("Ma Thị Nguyệt", "HTX-THANHCONG")]


def in_app(database_url: str, work) -> object:
    app = _app_for(database_url)
    with app.app_context():
        try:
            return work()
        finally:
            db.session.remove()
            db.engine.dispose()


def add_colleagues() -> None:
    for n, (name, unit) in enumerate(COLLEAGUES, start=1):
        create_user(full_name=name, username=f"hv{n}", email=f"hv{n}@example.org", password="hv-demo-2026-x",
                    unit=find_unit(unit))
    gone = create_user(full_name="Lò Văn Nghỉ", username="hv-nghi", email="nghi@example.org",
                       password="hv-demo-2026-x", unit=find_unit("HTX-THANHCONG"))
    gone.active = False
    db.session.commit()


def time_passes(usernames: list[str], days: int) -> None:
    """As if the due date had come and gone: it now lies `days` days before today."""
    for enrolment in db.session.scalars(select(Enrolment).join(User, User.id == Enrolment.user_id)
                                        .where(User.username.in_(usernames))):
        enrolment.due_on = assignments.local_today() - timedelta(days=days)
    db.session.commit()


def assign_ceremony_later(username: str) -> None:
    admin = db.session.scalar(select(User).where(User.username == ADMIN[0]))
    person = db.session.scalar(select(User).where(User.username == username))
    course = db.session.scalar(select(Course).where(Course.slug == CEREMONY))
    assignments.assign_course(course, [person], due_on=assignments.local_today() + timedelta(days=45), actor=admin)


def both_languages_and_sizes(browser, live_server, credentials, path, name, shoot, check) -> None:
    for lang, button in (("vi", "Tiếng Việt"), ("en", "English")):  # the choice is kept on the account
        for size, viewport in (("desktop", {"width": 1280, "height": 900}), ("phone", {"width": 375, "height": 800})):
            context = browser.new_context(viewport=viewport, locale="vi-VN")
            page = context.new_page()
            sign_in(page, live_server, *credentials)
            page.get_by_role("button", name=button).click()
            expect(page.locator("html")).to_have_attribute("lang", lang)
            page.goto(f"{live_server}{path}")
            check(page)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{name} {lang} {size}: the page scrolls sideways ({width}px)"
            shoot(page, f"{name}-{lang}-{size}")
            context.close()


def test_admin_assigns_a_unit_with_a_due_date_and_overdue_work_shows_on_both_sides(browser, page, live_server,
                                                                                    database_url, shoot):
    in_app(database_url, add_colleagues)
    due = in_app(database_url, lambda: assignments.local_today() + timedelta(days=30))
    sign_in(page, live_server, *ADMIN)
    page.locator(".staff-nav a[href='/admin/reports/assign']").click()

    page.locator("#course").select_option(label="Luật Thi đua, khen thưởng")
    page.locator("#units").select_option(str(in_app(database_url, lambda: find_unit("XA-HATRI").id)))
    expect(page.locator("#sub_units")).to_be_checked()
    page.locator("#due").fill(due.isoformat())
    page.locator("#q").fill("dao")  # the trainee, typed without diacritics, is found and ticked as well
    page.locator("button[name=search]").click()
    page.locator(".pick-list label", has_text=TRAINEE[2]).locator("input").check()
    page.locator("button[name=preview]").click()

    preview = page.locator(".assign-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("#count-enrolled")).to_have_text("5")  # the trainee + 4 colleagues; not Lò Văn Nghỉ
    expect(page.locator("#sub_units")).to_be_checked()
    shoot(page, "assign-preview-vi-desktop")
    preview.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"/admin/reports/courses/{LAW}/enrolments$"))
    expect(page.locator(".flash-success")).to_contain_text("5")
    expect(page.locator("table.enrolments tbody tr")).to_have_count(5)
    expect(page.locator("table.enrolments")).to_contain_text(due.strftime("%d/%m/%Y"))

    # Time passes: three of them miss the date. The list and the course overview flag them.
    in_app(database_url, lambda: time_passes(["hv1", "hv3", TRAINEE[0]], days=3))
    in_app(database_url, lambda: assign_ceremony_later(TRAINEE[0]))
    page.reload()
    expect(page.locator("tr.is-overdue")).to_have_count(3)
    page.locator("#status").select_option("overdue")
    page.locator("form.filters button[type=submit]").click()
    expect(page.locator("table.enrolments tbody tr")).to_have_count(3)

    # A new due date for the two colleagues, from the list (the trainee stays overdue).
    for name in ("Bế Văn Sáng", "Triệu Đức Mạnh"):
        page.locator("table.enrolments tbody tr", has_text=name).locator("input[type=checkbox]").check()
    page.locator(".bulk-actions #due").fill(due.isoformat())
    page.locator(".bulk-actions button[value=set]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("table.enrolments tbody tr")).to_have_count(1)  # still filtered: one is overdue now

    def sees_overdue_list(p):
        expect(p.locator("tr.is-overdue").first).to_be_visible()

    def sees_overview_counts(p):
        expect(p.locator(f"a.badge.status-overdue[href*='/courses/{LAW}/']")).to_have_text("1")

    def sees_due_dates(p):
        expect(p.locator(".card.is-overdue .badge.status-overdue")).to_have_count(1)
        expect(p.locator(".card").first).to_have_class(re.compile("is-overdue"))  # the nearest date first
        expect(p.locator(".card .due")).to_have_count(2)

    both_languages_and_sizes(browser, live_server, ADMIN, "/admin/reports/assign", "assign", shoot,
                             sees_overview_counts)
    both_languages_and_sizes(browser, live_server, ADMIN, f"/admin/reports/courses/{LAW}/enrolments",
                             "enrolments", shoot, sees_overdue_list)
    both_languages_and_sizes(browser, live_server, TRAINEE[:2], "/dashboard", "dashboard-due", shoot,
                             sees_due_dates)
