"""An admin imports a participant list in a real browser: a bad row is shown with its line, the fixed file
is previewed and committed, the temporary passwords are downloaded, and the people are listed."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.e2e.test_trainee_journey import sign_in

pytestmark = pytest.mark.e2e
ADMIN = ("admin", "admin-demo-2026")
HEADERS = ["STT", "Họ và tên", "Email", "Đơn vị", "Chức vụ", "Số điện thoại"]
PEOPLE = [
    ["1", "Lò Thị Phương", "phuonglt@example.org", "XA-HATRI", "Công chức Văn hoá – Xã hội", "0912000001"],
    ["2", "Sầm Văn Khải", "khaisv@example.org", "Sở Giáo dục và Đào tạo", "Chuyên viên", "0912000002"],
    ["3", "Hoàng Thị Ước", "uocht@example.org", "HTX-THANHCONG", "Kế toán", ""],
    ["4", "Nông Đức Mạnh", "manhnd@example.org", "BCHQS", "Trợ lý", ""],
]


def write_csv(path, rows) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([HEADERS] + rows)
    path.write_bytes(("\ufeff" + out.getvalue()).encode("utf-8"))  # Excel's "CSV UTF-8"
    return str(path)


def test_admin_fixes_a_bad_row_previews_and_imports_the_list(browser, page, live_server, shoot, tmp_path):
    bad = [row[:] for row in PEOPLE]
    bad[2][2] = "uocht@example"  # line 4 of the file: an address without a domain
    bad_file = write_csv(tmp_path / "danh-sach-loi.csv", bad)
    good_file = write_csv(tmp_path / "danh-sach.csv", PEOPLE)

    sign_in(page, live_server, *ADMIN)
    page.goto(f"{live_server}/admin/users")
    page.locator("a[href$='/admin/users/import']").click()
    expect(page.locator("a[href$='/import/template.xlsx']")).to_be_visible()
    shoot(page, "user-import-upload-vi-desktop")
    page.locator("input[type=file]").set_input_files(bad_file)
    page.locator(".import-form button[type=submit]").click()

    problems = page.locator("table.import-problems tbody tr")
    expect(problems).to_have_count(1)
    expect(problems.locator("td.line")).to_have_text("4")
    expect(problems).to_contain_text("Hoàng Thị Ước")
    expect(problems).to_contain_text("uocht@example")
    expect(page.locator("form[action$='/commit']")).to_have_count(0)
    expect(page.locator("table.import-rows tbody tr")).to_have_count(4)
    shoot(page, "user-import-problems-vi-desktop")

    # The English-speaking colleague checks the fixed file on a phone first.
    phone = browser.new_context(viewport={"width": 375, "height": 800}, locale="vi-VN").new_page()
    sign_in(phone, live_server, *ADMIN)
    phone.goto(f"{live_server}/admin/users/import")
    phone.locator(".lang-switch button[value=en]").click()
    expect(phone.locator("html")).to_have_attribute("lang", "en")
    phone.locator("input[type=file]").set_input_files(good_file)
    phone.locator(".import-form button[type=submit]").click()
    expect(phone.locator(".import-ready")).to_contain_text("All 4 rows are ready")
    shoot(phone, "user-import-preview-en-phone")
    phone.context.close()

    # Back on the desktop, the fixed file goes through the form on the same page.
    page.locator(".import-again input[type=file]").set_input_files(good_file)
    page.locator(".import-again button[type=submit]").click()
    expect(page.locator(".import-ready")).to_be_visible()
    expect(page.locator("table.import-rows tbody tr.is-ready")).to_have_count(4)
    expect(page.locator("table.import-rows")).to_contain_text("lothiphuong")  # usernames made from names
    expect(page.locator("table.import-rows")).to_contain_text("Sở Giáo dục và Đào tạo")
    shoot(page, "user-import-preview-vi-desktop")

    page.locator("form[action$='/commit'] button[type=submit]").click()
    credentials = page.locator("table.import-credentials tbody tr")
    expect(credentials).to_have_count(4)
    shoot(page, "user-import-done-vi-desktop")
    shown = [code.inner_text() for code in page.locator("table.import-credentials code.secret").all()]
    with page.expect_download() as download_info:
        page.locator(".import-passwords button[value=xlsx]").click()
    path = tmp_path / "passwords.xlsx"
    download_info.value.save_as(path)
    sheet = load_workbook(path).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [row[1] for row in PEOPLE]
    assert [row[6] for row in sheet.iter_rows(min_row=2, values_only=True)] == shown

    page.goto(f"{live_server}/admin/users")
    for row in PEOPLE:
        expect(page.locator("main")).to_contain_text(row[1])

    # A new person signs in with the handed-out password and is asked to choose their own.
    newcomer = browser.new_context(viewport={"width": 375, "height": 800}, locale="vi-VN").new_page()
    sign_in(newcomer, live_server, "lothiphuong", shown[0])
    expect(newcomer).to_have_url(f"{live_server}/account/password")
    newcomer.context.close()
