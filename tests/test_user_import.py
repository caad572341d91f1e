"""Bulk import of people from CSV or XLSX: the preview lists every row's problems, the import is all or
nothing, missing units are created only when asked, and the command line does the same."""
from __future__ import annotations

import csv
import io
import logging
import os
import re
import stat
import unicodedata

import pytest
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from lms.accounts import import_service, services
from lms.accounts.import_tables import ImportFileError
from lms.accounts.models import OrgUnit, Role, UnitType, User
from lms.accounts.passwords import verify_password
from lms.audit.models import AuditEvent
from lms.extensions import db

VI_HEADERS = ["STT", "Họ và tên", "Tên đăng nhập", "Email", "Đơn vị", "Chức vụ", "Vai trò", "Số điện thoại"]
EN_HEADERS = ["No.", "Full name", "Username", "Email", "Unit", "Position", "Role", "Phone"]
PEOPLE = [
    ["1", "Lường Thị Đào", "", "dao.lt@example.org", "XA-HATRI", "Công chức Văn phòng – Thống kê", "học viên",
     "0912 345 678"],
    ["2", "Nguyễn Văn Hùng", "hungnv", "HungNV@Example.org", "Sở Nội vụ", "Chuyên viên", "Giảng viên", ""],
    ["3", "Hà Thị Thuỷ", "", "thuy.ht@example.org", "ubnd xã hà trì", "", "", ""],
]


@pytest.fixture
def units(app):
    return {code: services.create_unit(name=name, code=code, unit_type=kind)
            for code, name, kind in (("SNV", "Sở Nội vụ", UnitType.DEPARTMENT),
                                     ("XA-HATRI", "UBND xã Hà Trì", UnitType.COMMUNE))}


@pytest.fixture
def admin_client(client, make, login):
    admin = make.admin()
    login(client, admin)
    client.post("/language", data={"lang": "en"})
    client.admin = admin
    return client


def cp1258(text: str) -> bytes:
    """Text as Windows-1258 stores it: a base letter (ư, ơ, â, ê…) followed by a combining tone mark."""
    out = b""
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", ch)
            [tone] = [mark for mark in decomposed if mark in "\u0300\u0301\u0303\u0309\u0323"]
            out += unicodedata.normalize("NFC", decomposed.replace(tone, "")).encode("cp1258") + tone.encode("cp1258")
    return out


def csv_file(rows, headers=VI_HEADERS, *, delimiter=",", bom=True, newline="\r\n", encoding="utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(headers)
    writer.writerows(rows)
    text = ("\ufeff" if bom else "") + out.getvalue()
    return cp1258(text) if encoding == "cp1258" else text.encode(encoding)


def xlsx_file(rows, headers=VI_HEADERS, *, above=()) -> bytes:
    book = Workbook()
    sheet = book.active
    for line in above:
        sheet.append(line)
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def counts() -> tuple[int, int, int]:
    return (db.session.scalar(select(func.count(User.id))), db.session.scalar(select(func.count(OrgUnit.id))),
            db.session.scalar(select(func.count(AuditEvent.id))))


def problems_by_line(check) -> dict[int, list[str]]:
    with force_locale("en"):
        return {row.line: [str(p) for p in row.problems] for row in check.problem_rows}


def upload(client, data: bytes, filename="danh-sach.csv", *, create_units=False, parent_id=0):
    form = {"file": (io.BytesIO(data), filename), "parent_id": str(parent_id)}
    if create_units:
        form["create_units"] = "y"
    return client.post("/admin/users/import", data=form, content_type="multipart/form-data")


def commit_token(page: str) -> str:
    return re.search(r'name="upload" type="hidden" value="([^"]+)"', page).group(1)


def user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


# --- reading files as people make them ----------------------------------------------------------------------

@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("bom", [True, False])
@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_csv_with_or_without_bom_any_delimiter_and_line_ends_reads_every_person(units, delimiter, bom, newline):
    data = csv_file(PEOPLE, delimiter=delimiter, bom=bom, newline=newline)
    check = import_service.check_file(data)
    assert check.ok, problems_by_line(check)
    assert [row.full_name for row in check.rows] == [p[1] for p in PEOPLE]
    assert [row.line for row in check.rows] == [2, 3, 4]
    assert [row.unit.code for row in check.rows] == ["XA-HATRI", "SNV", "XA-HATRI"]
    assert [row.role for row in check.rows] == [Role.TRAINEE, Role.TRAINER, Role.TRAINEE]
    assert check.rows[1].email == "hungnv@example.org"
    assert check.ignored_columns == ["STT", "Số điện thoại"]


def test_excel_unicode_text_utf16_with_tabs_reads_too(units):
    check = import_service.check_file(csv_file(PEOPLE, delimiter="\t", bom=False, encoding="utf-16"))
    assert check.ok and [row.full_name for row in check.rows] == [p[1] for p in PEOPLE]


def test_english_headers_and_roles_read_the_same(units):
    rows = [p[:6] + [{"học viên": "trainee", "Giảng viên": "Trainer", "": "admin"}[p[6]], p[7]] for p in PEOPLE]
    check = import_service.check_file(csv_file(rows, headers=EN_HEADERS))
    assert check.ok
    assert [row.role for row in check.rows] == [Role.TRAINEE, Role.TRAINER, Role.ADMIN]
    assert check.ignored_columns == ["No.", "Phone"]


def test_headings_in_other_spellings_and_split_name_columns(units):
    headers = ["HỌ ", "Tên", "Thư điện tử", "Đơn vị công tác", "Chức danh", "Ngày sinh"]
    data = csv_file([["Lường Thị", "Đào", "dao@example.org", "SNV", "Chuyên viên", "01/02/1990"]], headers=headers)
    [row] = import_service.check_file(data).rows
    assert (row.full_name, row.email, row.unit.code, row.position) == ("Lường Thị Đào", "dao@example.org", "SNV",
                                                                       "Chuyên viên")


def test_a_unit_code_column_beside_a_unit_name_column_decides(units):
    headers = ["Họ và tên", "Email", "Mã đơn vị", "Tên đơn vị"]
    rows = [["Lường Thị Đào", "dao@example.org", "SNV", "UBND xã Hà Trì"],
            ["Hà Thị Thuỷ", "thuy@example.org", "", "UBND xã Hà Trì"]]
    check = import_service.check_file(csv_file(rows, headers=headers))
    assert [row.unit.code for row in check.rows] == ["SNV", "XA-HATRI"]
    assert check.ignored_columns == []


def test_decomposed_unicode_names_are_stored_composed(units):
    decomposed = unicodedata.normalize("NFD", "Lường Thị Đào")
    [row] = import_service.check_file(csv_file([["1", decomposed, "", "d@example.org", "SNV", "", "", ""]])).rows
    assert row.full_name == unicodedata.normalize("NFC", "Lường Thị Đào")


def test_xlsx_with_a_title_above_numbers_and_blank_rows(units):
    from datetime import datetime

    rows = [["1", "Lường Thị Đào", 10234, "dao.lt@example.org", "XA-HATRI", "Công chức", "học viên", 912345678],
            [None] * 8,
            [2, "Nguyễn Văn Hùng", "", "hungnv@example.org", "SNV", datetime(2026, 3, 1), "", ""],
            [3, "", "", "not-an-email", "SNV", "", "", ""]]
    data = xlsx_file(rows, above=[["DANH SÁCH HỌC VIÊN LỚP TẬP HUẤN NĂM 2026"], []])
    check = import_service.check_file(data)
    assert check.kind == "xlsx"
    # Excel's own row numbers: the title on row 1, a blank row 2, the header on row 3, a blank row 5.
    assert [row.line for row in check.rows] == [4, 6, 7]
    assert check.rows[0].username == "10234"  # a number shown as typed, not "10234.0"
    assert check.rows[1].position == "01/03/2026"
    assert set(problems_by_line(check)) == {7}


# --- every problem, with its line, and nothing written --------------------------------------------------------

def test_every_problem_is_listed_with_its_line_and_nothing_is_written(units, make):
    make.trainee(username="dangky")
    taken_email = make.trainee().email
    services.create_unit(name="UBND xã Tân Lập", code="XA-TANLAP-1", unit_type=UnitType.COMMUNE)
    services.create_unit(name="UBND xã Tân Lập", code="XA-TANLAP-2", unit_type=UnitType.COMMUNE)
    rows = [
        ["1", "", "", "a@example.org", "SNV", "", "", ""],                       # 2 missing name
        ["2", "Bùi Văn An", "", "an@", "SNV", "", "", ""],                       # 3 bad email
        ["3", "Trần Thị Bình", "binhtt", "same@example.org", "SNV", "", "", ""],  # 4 duplicate email (with 5)
        ["4", "Phạm Văn Cường", "binhtt", "Same@example.org", "SNV", "", "", ""],  # 5 duplicate email and username
        ["5", "Đỗ Thị Dung", "dangky", "dung@example.org", "SNV", "", "", ""],   # 6 username taken
        ["6", "Vi Văn Ê", "", taken_email.upper(), "SNV", "", "", ""],           # 7 email taken
        ["7", "Lò Thị Phương", "", "phuong@example.org", "Sở Không Có", "", "", ""],  # 8 unknown unit
        ["8", "Ma Văn Giang", "", "giang@example.org", "", "", "", ""],          # 9 no unit
        ["9", "Nông Thị Hà", "", "ha@example.org", "SNV", "", "trưởng phòng", ""],  # 10 unknown role
        ["10", "Hoàng Văn Ích", "Ích Hoàng", "ich@example.org", "SNV", "", "", ""],  # 11 bad username
        ["11", "Sầm Thị Khánh", "", "khanh@example.org", "UBND xã Tân Lập", "", "", ""],  # 12 two such units
        ["12", "Lường Thị Đào", "", "dao@example.org", "XA-HATRI", "", "", ""],  # 13 fine
    ]
    before = counts()
    check = import_service.check_file(csv_file(rows))
    found = problems_by_line(check)
    expected = {
        2: ["The full name is missing."],
        3: ["“an@” is not a valid email address."],
        4: ["The email same@example.org is also on line 5.", "The username binhtt is also on line 5."],
        5: ["The email same@example.org is also on line 4.", "The username binhtt is also on line 4."],
        6: ["The username dangky is already taken."],
        7: [f"An account with the email {taken_email} already exists."],
        8: ["No unit has the code or name “Sở Không Có”. Correct it, add the unit first, or choose to create "
            "missing units."],
        9: ["The unit is missing."],
        10: ["Unknown role “trưởng phòng”: write học viên, giảng viên or quản trị (trainee, trainer or admin), "
             "or leave it empty for a trainee."],
        11: ["“ích hoàng” is not a valid username: use 2–64 lower-case letters, digits, dots, dashes or "
             "underscores, starting with a letter or digit."],
        12: ["Several units are named “UBND xã Tân Lập”: write the unit's code instead (XA-TANLAP-1, XA-TANLAP-2)."],
    }
    assert found == expected
    assert not check.ok and len(check.rows) == 12
    with pytest.raises(import_service.ImportRejected):
        import_service.import_people(csv_file(rows), create_units=False)
    assert counts() == before


@pytest.mark.parametrize("data, fragment", [
    (b"", "The file is empty."),
    (cp1258("Họ và tên,Email,Đơn vị\r\nLường Thị Đào,dao@example.org,SNV\r\n"), "CSV UTF-8"),
    ("Họ và tên;Email;Đơn vị\r\nHà Thị Thuỷ;thuy@example.org;SNV\r\n".encode("cp1252", "replace"), "CSV UTF-8"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, "old Excel file (.xls)"),
    (b"PK\x03\x04 this is no workbook", "cannot be read as an Excel workbook"),
    ("Họ và tên,Email\r\nLường Thị Đào,dao@example.org\r\n".encode(), "no column for unit"),
    ("Tên,Điện thoại\r\nĐào,0912\r\n".encode(), "No header row found"),
    ("Họ và tên,Email,Thư điện tử,Đơn vị\r\nĐào,a@example.org,b@example.org,SNV\r\n".encode(),
     "the columns “Email” and “Thư điện tử” mean the same thing"),
    ("Họ và tên,Email,Đơn vị\r\n".encode(), "no people under it"),
])
def test_unreadable_files_are_refused_with_what_to_do(units, data, fragment):
    with pytest.raises(ImportFileError) as refused, force_locale("en"):
        import_service.check_file(data)
    with force_locale("en"):
        assert fragment in str(refused.value.message)


def test_a_windows_code_page_file_gets_the_save_as_advice_on_the_upload_page(units, admin_client):
    data = csv_file(PEOPLE, bom=False, encoding="cp1258")
    page = upload(admin_client, data).get_data(as_text=True)
    assert "not in UTF-8" in page and "CSV UTF-8 (Comma delimited)" in page
    assert counts()[0] == 1  # only the admin


# --- usernames made from names, units created when asked -------------------------------------------------------

def test_blank_usernames_are_made_from_the_name_and_never_clash(units, make):
    make.trainee(username="luongthidao")
    rows = [["1", "Lường Thị Đào", "", "dao1@example.org", "SNV", "", "", ""],
            ["2", "Lường Thị Đào", "", "dao2@example.org", "SNV", "", "", ""],
            ["3", "Lương Thị Đảo", "luongthidao3", "dao3@example.org", "SNV", "", "", ""]]
    check = import_service.check_file(csv_file(rows))
    assert check.ok
    assert [(row.username, row.username_generated) for row in check.rows] == [
        ("luongthidao2", True), ("luongthidao4", True), ("luongthidao3", False)]


def test_unknown_units_are_created_only_when_asked_under_the_chosen_parent(units, admin_client):
    rows = [["1", "Lò Văn Minh", "", "minh@example.org", "UBND xã Minh Tân", "", "", ""],
            ["2", "Lò Thị Nga", "", "nga@example.org", "ubnd xã minh tân", "", "", ""],
            ["3", "Sằm Văn Ơn", "", "on@example.org", "Hợp tác xã Đoàn Kết", "", "", ""],
            ["4", "Lường Thị Đào", "", "dao@example.org", "SNV", "", "", ""]]
    data = csv_file(rows)
    refused = upload(admin_client, data).get_data(as_text=True)
    assert "No unit has the code or name “UBND xã Minh Tân”" in refused
    assert 'name="upload"' not in refused

    preview = upload(admin_client, data, create_units=True, parent_id=units["SNV"].id).get_data(as_text=True)
    assert "These units will be created" in preview
    assert "UBND xã Minh Tân" in preview and "UBND-XA-MINH-TAN" in preview and "Hợp tác xã Đoàn Kết" in preview
    assert "Sở Nội vụ" in preview  # the parent the new units go under
    done = admin_client.post("/admin/users/import/commit", data={"upload": commit_token(preview)})
    assert done.status_code == 200, done.get_data(as_text=True)
    created = db.session.scalars(select(OrgUnit).where(OrgUnit.unit_type == UnitType.OTHER)
                                 .order_by(OrgUnit.code)).all()
    assert [(u.code, u.name, u.parent_id) for u in created] == [
        ("HOP-TAC-XA-DOAN-KET", "Hợp tác xã Đoàn Kết", units["SNV"].id),
        ("UBND-XA-MINH-TAN", "UBND xã Minh Tân", units["SNV"].id)]
    assert user("lovanminh").org_unit_id == user("lothinga").org_unit_id == created[1].id


# --- the web flow -------------------------------------------------------------------------------------------------

def staged_files(app) -> list:
    folder = app.config["STORAGE_DIR"] / "imports"
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def test_preview_then_commit_creates_everyone_with_temporary_passwords(units, admin_client, app):
    data = csv_file(PEOPLE)
    before = counts()
    preview = upload(admin_client, data, "Danh sách lớp.csv")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "All 3 rows are ready." in page and "Import 3 people" in page
    assert "luongthidao" in page and "made from the name" in page
    assert "Columns ignored (not stored): STT, Số điện thoại." in page
    assert counts() == before, "a preview writes nothing"
    assert len(staged_files(app)) == 1

    records = logging.getLogger()
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    records.addHandler(handler)
    old_level = records.level
    records.setLevel(logging.DEBUG)
    try:
        done = admin_client.post("/admin/users/import/commit", data={"upload": commit_token(page)})
    finally:
        records.removeHandler(handler)
        records.setLevel(old_level)
    result = done.get_data(as_text=True)
    assert done.status_code == 200
    assert "3 people imported" in result
    passwords = re.findall(r'<code class="secret">([^<]+)</code>', result)
    assert len(passwords) == 3 and len(set(passwords)) == 3

    dao, hung, thuy = user("luongthidao"), user("hungnv"), user("hathithuy")
    assert (dao.full_name, dao.org_unit.code, dao.position, dao.role) == (
        "Lường Thị Đào", "XA-HATRI", "Công chức Văn phòng – Thống kê", Role.TRAINEE)
    assert (hung.email, hung.role, hung.org_unit.code) == ("hungnv@example.org", Role.TRAINER, "SNV")
    assert thuy.org_unit.code == "XA-HATRI"
    assert all(person.must_change_password and person.active for person in (dao, hung, thuy))
    assert verify_password(dao.password_hash, passwords[0])

    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.import")).all()
    assert event.actor_id == admin_client.admin.id and event.after["count"] == 3
    assert event.after["file"] == "Danh sách lớp.csv"
    assert not any(p in str(event.after) + event.summary for p in passwords), "no password in the audit log"
    assert not any(p in captured.getvalue() for p in passwords), "no password in the logs"
    assert staged_files(app) == [], "nothing of the upload is kept"

    # The person signs in with the temporary password and is asked to choose their own.
    response = app.test_client().post("/login", data={"username": "luongthidao", "password": passwords[0]})
    assert response.status_code == 302 and response.location.endswith("/account/password")

    # The same commit again imports nothing and says why.
    again = admin_client.post("/admin/users/import/commit", data={"upload": commit_token(page)},
                              follow_redirects=True)
    assert "already been imported" in again.get_data(as_text=True)
    assert counts()[0] == before[0] + 3


def test_the_passwords_download_lists_every_new_account(units, admin_client, app):
    preview = upload(admin_client, csv_file(PEOPLE)).get_data(as_text=True)
    result = admin_client.post("/admin/users/import/commit", data={"upload": commit_token(preview)}).get_data(
        as_text=True)
    token = re.search(r'name="credentials" type="hidden" value="([^"]+)"', result).group(1)
    shown = re.findall(r'<code class="secret">([^<]+)</code>', result)

    response = admin_client.post("/admin/users/import/passwords", data={"credentials": token, "fmt": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert table[0][:7] == ["Full name", "Unit", "Position", "Role", "Username", "Email", "Temporary password"]
    assert [row[0] for row in table[1:]] == [p[1] for p in PEOPLE]
    assert [row[6] for row in table[1:]] == shown
    assert table[1][7] == app.config["PUBLIC_URL"] + "/login"

    workbook = admin_client.post("/admin/users/import/passwords", data={"credentials": token, "fmt": "xlsx"})
    sheet = load_workbook(io.BytesIO(workbook.data)).active
    assert [row[6] for row in sheet.iter_rows(min_row=2, values_only=True)] == shown

    tampered = admin_client.post("/admin/users/import/passwords", data={"credentials": token[:-3] + "xyz",
                                                                        "fmt": "csv"}, follow_redirects=True)
    assert "This download is not valid." in tampered.get_data(as_text=True)


def test_a_duplicate_created_between_preview_and_commit_stops_the_whole_import(units, admin_client, make):
    preview = upload(admin_client, csv_file(PEOPLE)).get_data(as_text=True)
    make.trainee(username="hungnv")  # someone else added this person meanwhile
    before = counts()
    response = admin_client.post("/admin/users/import/commit", data={"upload": commit_token(preview)})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Something changed since the preview" in page
    assert "The username hungnv is already taken." in page
    assert 'name="upload"' not in page, "no commit button for a list with problems"
    assert counts() == before


def test_an_account_created_during_the_commit_itself_rolls_everything_back(units, make, monkeypatch):
    make.trainee(username="hungnv")
    real = import_service.existing_accounts
    calls = []

    def blind_first_time():
        # The check runs before the other account lands; the database's unique constraint catches it.
        calls.append(1)
        existing = real()
        if len(calls) == 1:
            existing.usernames.discard("hungnv")
        return existing

    monkeypatch.setattr(import_service, "existing_accounts", blind_first_time)
    before = counts()
    with pytest.raises(import_service.ImportRejected) as rejected:
        import_service.import_people(csv_file(PEOPLE), create_units=True)
    assert counts() == before
    assert problems_by_line(rejected.value.check) == {3: ["The username hungnv is already taken."]}


def test_forged_expired_or_someone_elses_preview_is_refused(units, admin_client, app, make, login, monkeypatch):
    page = upload(admin_client, csv_file(PEOPLE)).get_data(as_text=True)
    token = commit_token(page)
    before = counts()
    forged = admin_client.post("/admin/users/import/commit", data={"upload": token + "x"}, follow_redirects=True)
    assert "This preview is not valid." in forged.get_data(as_text=True)

    other = app.test_client()
    login(other, make.admin())
    assert other.post("/admin/users/import/commit", data={"upload": token}).status_code == 302
    assert counts()[0] == before[0] + 1  # only the other admin

    monkeypatch.setattr(import_service, "STAGED_MAX_AGE_SECONDS", -1)
    expired = admin_client.post("/admin/users/import/commit", data={"upload": token}, follow_redirects=True)
    assert "more than an hour old" in expired.get_data(as_text=True)
    assert counts()[0] == before[0] + 1


def test_a_file_with_problems_shows_each_with_its_line_and_keeps_nothing(units, admin_client, app):
    rows = [PEOPLE[0], ["2", "Nguyễn Văn Hùng", "", "hung@@example.org", "SNV", "", "", ""]]
    response = upload(admin_client, csv_file(rows))
    page = response.get_data(as_text=True)
    assert "Nothing has been imported: 1 row has problems." in page
    assert re.search(r'<td class="line">3</td>\s*<td>Nguyễn Văn Hùng</td>\s*<td><ul class="problems"><li>'
                     r'“hung@@example.org” is not a valid email address.</li>', page)
    assert 'name="upload"' not in page
    assert staged_files(app) == []


def test_the_template_downloads_and_imports_as_it_is(units, admin_client):
    csv_template = admin_client.get("/admin/users/import/template.csv")
    assert csv_template.status_code == 200 and csv_template.data.startswith(b"\xef\xbb\xbf")
    header = csv_template.data.decode("utf-8-sig").splitlines()[0]
    assert header == "Họ và tên,Tên đăng nhập,Email,Đơn vị,Chức vụ,Vai trò"
    xlsx_template = admin_client.get("/admin/users/import/template.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx_template.data)).active
    assert [cell.value for cell in sheet[1]] == header.split(",")
    assert sheet.max_row == 3
    for data in (csv_template.data, xlsx_template.data):
        check = import_service.check_file(data)
        assert check.ok and len(check.rows) == 2, problems_by_line(check)


def test_trainers_and_trainees_cannot_import(units, app, make, login):
    for person in (make.trainee(), make.trainer()):
        client = app.test_client()
        login(client, person)
        assert client.get("/admin/users/import").status_code == 403
        assert upload(client, csv_file(PEOPLE)).status_code == 403
        assert client.get("/admin/users/import/template.xlsx").status_code == 403
    assert counts()[0] == 2


# --- a real-sized list --------------------------------------------------------------------------------------------

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Lường", "Lò", "Hà"]
MIDDLE = ["Văn", "Thị", "Đức", "Thu", "Minh", "Ngọc"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Đào", "Giang", "Hạnh", "Hùng", "Khánh", "Linh", "Lợi", "Mai", "Nga",
         "Phương", "Quỳnh", "Sơn", "Thuỷ", "Tuyết", "Ước", "Yến"]


def participant_list(unit_codes: list[str], size: int = 300) -> list[list[str]]:
    rows = []
    for n in range(size):
        name = f"{FAMILY[n % len(FAMILY)]} {MIDDLE[n % len(MIDDLE)]} {GIVEN[n % len(GIVEN)]}"
        rows.append([str(n + 1), name, "", f"hocvien{n + 1}@example.org", unit_codes[n % len(unit_codes)],
                     "Công chức", "", f"09{n:08d}"])
    return rows


def test_300_people_across_20_units_import_through_the_web(app, admin_client):
    codes = []
    for n in range(20):
        unit = services.create_unit(name=f"UBND xã Số {n + 1}", code=f"XA-{n + 1:02d}", unit_type=UnitType.COMMUNE)
        codes.append(unit.code)
    rows = participant_list(codes)
    data = xlsx_file(rows)
    preview = upload(admin_client, data, "danh-sach-300.xlsx").get_data(as_text=True)
    assert "All 300 rows are ready." in preview
    result = admin_client.post("/admin/users/import/commit", data={"upload": commit_token(preview)})
    assert result.status_code == 200 and "300 people imported" in result.get_data(as_text=True)
    per_unit = dict(db.session.execute(
        select(OrgUnit.code, func.count(User.id)).join(User.org_unit).where(User.role == Role.TRAINEE)
        .group_by(OrgUnit.code)).all())
    assert per_unit == {code: 15 for code in codes}
    names = db.session.scalars(select(User.full_name).where(User.email.like("hocvien%"))).all()
    assert sorted(names) == sorted(row[1] for row in rows)
    assert db.session.scalar(select(func.count(func.distinct(User.username)))) == 301
    listed = admin_client.get("/admin/users", query_string={"q": rows[0][1]}).get_data(as_text=True)
    assert rows[0][1] in listed


# --- the command line ----------------------------------------------------------------------------------------------

def test_cli_prints_each_bad_row_and_exits_non_zero_writing_nothing(units, runner, tmp_path):
    path = tmp_path / "danh-sach.csv"
    path.write_bytes(csv_file([PEOPLE[0], ["2", "", "", "x@example.org", "SNV", "", "", ""],
                               ["3", "Ma Văn Giang", "", "giang@example.org", "Sở Không Có", "", "", ""]]))
    before = counts()
    with force_locale("en"):
        result = runner.invoke(args=["lms", "import-users", str(path)])
    assert result.exit_code == 1
    assert f"{path}:3: The full name is missing." in result.output
    assert f"{path}:4: No unit has the code or name “Sở Không Có”" in result.output
    assert "2 row(s) with problems" in result.output and "nothing was imported" in result.output
    assert counts() == before
    assert not (tmp_path / "danh-sach-passwords.csv").exists()


def test_cli_refuses_an_unreadable_file(units, runner, tmp_path):
    path = tmp_path / "danh-sach.csv"
    path.write_bytes(csv_file(PEOPLE, encoding="cp1258", bom=False))
    with force_locale("en"):
        result = runner.invoke(args=["lms", "import-users", str(path)])
    assert result.exit_code == 1 and "CSV UTF-8" in result.output
    assert counts()[0] == 0


def test_cli_imports_and_writes_the_passwords_next_to_the_file(units, runner, tmp_path):
    path = tmp_path / "danh-sach.xlsx"
    rows = PEOPLE + [["4", "Lò Văn Minh", "", "minh@example.org", "UBND xã Minh Tân", "", "", ""]]
    path.write_bytes(xlsx_file(rows))
    result = runner.invoke(args=["lms", "import-users", str(path), "--create-units", "--parent-unit", "XA-HATRI"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "danh-sach-passwords.csv"
    assert "imported 4 account(s)" in result.output and str(out) in result.output
    assert "created unit UBND-XA-MINH-TAN: UBND xã Minh Tân" in result.output
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    table = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [row[0] for row in table[1:]] == [row[1] for row in rows]
    minh = user("lovanminh")
    assert minh.org_unit.parent.code == "XA-HATRI" and minh.must_change_password
    assert verify_password(minh.password_hash, table[4][6])
    assert table[4][6] not in result.output, "passwords go to the file only"
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.import")).all()
    assert event.actor_id is None and event.after["count"] == 4

    # Run again: the passwords file is there, so nothing is even tried.
    again = runner.invoke(args=["lms", "import-users", str(path)])
    assert again.exit_code == 1 and "already exists" in again.output


def test_cli_passwords_out_path(units, runner, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_file(PEOPLE, headers=EN_HEADERS, delimiter=";", bom=False))
    out = tmp_path / "secret" / "logins.csv"
    out.parent.mkdir()
    result = runner.invoke(args=["lms", "import-users", str(path), "--passwords-out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(out.read_text(encoding="utf-8-sig").splitlines()) == 4
    assert not (tmp_path / "people-passwords.csv").exists()
