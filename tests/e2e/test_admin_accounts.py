"""An admin in a real browser (CSRF on): finds a trainee, changes her role, resets her password, deactivates
someone, and reads it all back in the audit log; the person with the temporary password must change it."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lms.accounts import services as account_services
from lms.accounts.demo import DEMO_ACCOUNTS
from lms.extensions import db
from tests.conftest import _app_for
from tests.e2e.test_trainee_journey import sign_in

pytestmark = pytest.mark.e2e
ADMIN = next(a for a in DEMO_ACCOUNTS if a[0] == "admin")
TRAINEE = next(a for a in DEMO_ACCOUNTS if a[0] == "hocvien")
MORE_PEOPLE = [("Đặng Thùy Trâm", "tramdt", "XA-HATRI", "Công chức Tư pháp – Hộ tịch"),
               ("Ma Seo Chứ", "chums", "HTX-THANHCONG", "Kế toán"),
               ("Hà Văn Thuỷ", "thuyhv", "SGDDT", "Chuyên viên Phòng Tổ chức cán bộ"),
               ("Bế Thị Hoa", "hoabt", "BCHQS", "Trợ lý Tuyên huấn")]


def add_people(database_url: str) -> None:
    app = _app_for(database_url)
    with app.app_context():
        for full_name, username, unit_code, position in MORE_PEOPLE:
            account_services.create_user(full_name=full_name, username=username, email=f"{username}@example.org",
                                         password="mat-khau-dai-du-muoi", unit=account_services.find_unit(unit_code),
                                         position=position)
        db.session.remove()
        db.engine.dispose()


def shoot_in_english(page, shoot, name: str) -> None:
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shoot(page, name)
    page.get_by_role("button", name="Tiếng Việt").click()
    expect(page.locator("html")).to_have_attribute("lang", "vi")


def test_admin_manages_accounts_and_reads_the_audit_log(browser, page, live_server, database_url, shoot):
    add_people(database_url)
    sign_in(page, live_server, ADMIN[0], ADMIN[1])
    page.locator(".staff-nav a[href='/admin/users']").click()
    expect(page.locator("table.people tbody tr")).to_have_count(3 + len(MORE_PEOPLE))
    shoot(page, "admin-users-vi-desktop")
    shoot_in_english(page, shoot, "admin-users-en-desktop")

    # Search without diacritics, then filter a unit with its sub-units.
    page.locator("#q").fill("luong thi dao")
    page.locator(".filters button[type=submit]").click()
    expect(page.locator("table.people tbody tr")).to_have_count(1)
    page.locator("#q").fill("")
    commune = page.locator("#unit option", has_text="UBND xã Hà Trì").get_attribute("value")
    page.locator("#unit").select_option(commune)
    page.locator(".filters button[type=submit]").click()
    expect(page.locator("table.people tbody tr")).to_have_count(3)  # the commune and its cooperative
    shoot(page, "admin-users-filtered-vi-desktop")

    # Change Lường Thị Đào's role.
    page.get_by_role("link", name=TRAINEE[2]).click()
    page.locator("#role").select_option("trainer")
    page.locator("form button[type=submit].primary").first.click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(".history li")).to_have_count(1)
    shoot(page, "admin-user-edit-vi-desktop")
    shoot_in_english(page, shoot, "admin-user-edit-en-desktop")

    # A temporary password, shown once; the person must change it on signing in.
    page.locator("form[action$='/reset-password'] button").click()
    password = page.locator("code.secret").inner_text()
    shoot(page, "admin-password-reset-vi-desktop")
    person = browser.new_context(viewport={"width": 375, "height": 800}, locale="vi-VN").new_page()
    sign_in(person, live_server, TRAINEE[0], password)
    expect(person).to_have_url(re.compile(r"/account/password$"))
    expect(person.locator("#must-change")).to_be_visible()
    shoot(person, "password-must-change-vi-phone")
    person.goto(f"{live_server}/courses")
    expect(person).to_have_url(re.compile(r"/account/password$"))
    person.locator("#current_password").fill(password)
    person.locator("#new_password").fill("mật-khẩu-mới-của-Đào")
    person.locator("#confirm_password").fill("mật-khẩu-mới-của-Đào")
    person.locator("main form button[type=submit].primary").click()
    expect(person).to_have_url(re.compile(r"/dashboard$"))

    # Deactivate someone else: they are signed out.
    page.goto(f"{live_server}/admin/users?q=thuy")
    page.get_by_role("link", name="Hà Văn Thuỷ").click()
    page.locator("form[action$='/deactivate'] button").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator(".badge.account-deactivated")).to_be_visible()

    page.locator(".staff-nav a[href='/admin/audit/']").click()
    # Newest first: the admin's three actions, above what the content import recorded at start-up.
    actions = page.locator("table.audit-log > tbody > tr code")
    for position, action in enumerate(["user.deactivate", "user.password_reset", "user.role"]):
        expect(actions.nth(position)).to_have_text(action)
    expect(page.locator("table.audit-log > tbody > tr code", has_text="user.")).to_have_count(3)
    shoot(page, "audit-log-vi-desktop")
    shoot_in_english(page, shoot, "audit-log-en-desktop")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("CSV")).click()
    assert download.value.suggested_filename.endswith(".csv")

    # The same pages on a phone.
    phone = browser.new_context(viewport={"width": 375, "height": 800}, locale="vi-VN").new_page()
    sign_in(phone, live_server, ADMIN[0], ADMIN[1])
    for path, name in (("/admin/users", "admin-users"), ("/admin/audit/", "audit-log")):
        phone.goto(f"{live_server}{path}")
        shoot(phone, f"{name}-vi-phone")
        shoot_in_english(phone, shoot, f"{name}-en-phone")
    phone.goto(f"{live_server}/admin/users?q=tram")
    phone.get_by_role("link", name="Đặng Thùy Trâm").click()
    shoot(phone, "admin-user-edit-vi-phone")
    shoot_in_english(phone, shoot, "admin-user-edit-en-phone")
    phone.goto(f"{live_server}/admin/units")
    shoot(phone, "admin-units-vi-phone")

    # A unit page: its own branch cannot be picked as its new parent; saving a new type is audited.
    page.goto(f"{live_server}/admin/units")
    page.get_by_role("link", name="UBND xã Hà Trì").click()
    expect(page.locator("#parent_id option[disabled]")).to_have_count(2)  # itself and its cooperative
    shoot(page, "admin-unit-edit-vi-desktop")
    page.locator("#unit_type").select_option("other")
    page.locator("main form button[type=submit].primary").click()
    expect(page.locator(".flash-success")).to_be_visible()
    person.context.close()
    phone.context.close()
