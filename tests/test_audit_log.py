"""The audit log viewer: admins filter the log, read each change's before and after, and export what they see."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lms.accounts import admin_services
from lms.accounts.models import Role, UnitType
from lms.audit.models import AuditEvent
from lms.audit.services import record_event
from lms.extensions import db


def at(year, month, day, hour=3) -> datetime:
    return datetime(year, month, day, hour, tzinfo=timezone.utc)


def logged(actor, action, obj_type, obj_id, when, **fields) -> AuditEvent:
    event = record_event(actor, action, obj_type, obj_id, **fields)
    event.occurred_at = when
    db.session.commit()
    return event


def shown_actions(response) -> list[str]:
    return re.findall(r"<small><code>([\w.]+)</code></small>", response.get_data(as_text=True))


@pytest.fixture
def admin(make):
    return make.admin(full_name="Nguyễn Thị Hồng Nhung", username="nhung")


@pytest.fixture
def admin_client(client, login, admin):
    login(client, admin)
    return client


@pytest.fixture
def history(make, admin):
    """A small log: two admins, three kinds of record, over three months of 2026."""
    other = make.admin(full_name="Trần Đức Lương", username="luong")
    person = make.trainee(full_name="Lường Thị Đào")
    unit = make.unit("UBND xã Hà Trì", UnitType.COMMUNE)
    logged(admin, "user.role", "user", person.id, at(2026, 1, 10), summary="dao: trainee → trainer",
           before={"role": "trainee"}, after={"role": "trainer"})
    logged(other, "user.deactivate", "user", person.id, at(2026, 2, 20), summary=person.username,
           before={"active": True}, after={"active": False})
    logged(admin, "unit.move", "unit", unit.id, at(2026, 3, 5), before={"parent": "Tỉnh Cao Bằng (TINH)"},
           after={"parent": "Sở Nội vụ (SNV)"})
    logged(other, "certificate.revoke", "certificate", 77, at(2026, 3, 30),
           summary="Cấp nhầm người: Đặng Thùy Trâm")
    return {"other": other, "person": person, "unit": unit}


def test_newest_first_with_each_change_as_a_small_table(admin_client, history):
    response = admin_client.get("/admin/audit/")
    assert response.status_code == 200
    assert shown_actions(response) == ["certificate.revoke", "unit.move", "user.deactivate", "user.role"]
    html = response.get_data(as_text=True)
    # Before and after side by side, in words, with the record's current name linked.
    assert re.search(r'<td class="before">Học viên</td><td class="after">Giảng viên</td>', html)
    assert re.search(r'<td class="before">Tỉnh Cao Bằng \(TINH\)</td><td class="after">Sở Nội vụ \(SNV\)</td>',
                     html)
    assert f'href="/admin/users/{history["person"].id}">Lường Thị Đào</a>' in html
    assert "Cấp nhầm người: Đặng Thùy Trâm" in html


def test_filters_by_action_actor_record_and_dates(admin_client, history):
    def actions(**query):
        return shown_actions(admin_client.get("/admin/audit/", query_string=query))

    assert actions(action="unit.move") == ["unit.move"]
    assert actions(actor="luong") == ["certificate.revoke", "user.deactivate"]
    assert actions(actor="tran duc") == ["certificate.revoke", "user.deactivate"]  # no diacritics needed
    assert actions(actor="Hồng Nhung") == ["unit.move", "user.role"]
    assert actions(object_type="user", object_id=history["person"].id) == ["user.deactivate", "user.role"]
    assert actions(date_from="2026-02-01", date_to="2026-03-05") == ["unit.move", "user.deactivate"]
    assert actions(date_to="2026-01-10") == ["user.role"]
    assert actions(actor="luong", date_from="2026-03-01") == ["certificate.revoke"]


def test_the_action_list_offers_only_actions_in_the_log(admin_client, history):
    html = admin_client.get("/admin/audit/").get_data(as_text=True)
    select_html = re.search(r'<select id="action".*?</select>', html, re.S).group(0)
    assert re.findall(r'<option value="([\w.]+)"', select_html) == [
        "certificate.revoke", "unit.move", "user.deactivate", "user.role"]


def test_a_reversed_date_range_is_explained_and_shows_everything(admin_client, history):
    response = admin_client.get("/admin/audit/", query_string={"date_from": "2026-03-01", "date_to": "2026-01-01"})
    assert 'id="date_to-error"' in response.get_data(as_text=True)
    assert len(shown_actions(response)) == 4


def test_day_boundaries_follow_the_provinces_clock(admin_client, admin):
    # 23:30 on 31 January in Vietnam is still 31 January, though it is 16:30 UTC.
    logged(admin, "user.role", "user", 1, datetime(2026, 1, 31, 16, 30, tzinfo=timezone.utc))
    logged(admin, "user.update", "user", 1, datetime(2026, 1, 31, 17, 30, tzinfo=timezone.utc))  # 1 Feb there
    response = admin_client.get("/admin/audit/", query_string={"date_to": "2026-01-31"})
    assert shown_actions(response) == ["user.role"]


def test_csv_export_holds_the_filtered_rows_with_vietnamese_intact(admin_client, history):
    response = admin_client.get("/admin/audit/export.csv", query_string={"actor": "luong"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert len(header) == len(body[0]) and len(body) == 2
    revoke, deactivate = (dict(zip(header, row, strict=True)) for row in body)
    assert revoke[header[3]] == "certificate.revoke" and deactivate[header[3]] == "user.deactivate"
    assert revoke[header[1]] == "Trần Đức Lương"
    assert "Cấp nhầm người: Đặng Thùy Trâm" in body[0]
    assert revoke[header[0]] == "30/03/2026 10:00:00"  # 03:00 UTC, on the province's clock
    assert deactivate[header[7]] == "Lường Thị Đào"
    assert deactivate[header[9]] == '{"active": true}' and deactivate[header[10]] == '{"active": false}'


def test_xlsx_export_opens_with_the_same_rows(admin_client, history):
    response = admin_client.get("/admin/audit/export.xlsx", query_string={"action": "unit.move"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    row = rows[1]
    assert row[0] == datetime(2026, 3, 5, 10, 0)
    assert row[1] == "Nguyễn Thị Hồng Nhung" and row[3] == "unit.move"
    assert row[7] == history["unit"].name
    assert "Sở Nội vụ (SNV)" in row[10]


def test_the_log_pages_by_fifty(admin_client, admin):
    for n in range(53):
        record_event(admin, "user.update", "user", n + 1000)
    db.session.commit()
    first = admin_client.get("/admin/audit/")
    second = admin_client.get("/admin/audit/", query_string={"page": 2})
    assert len(shown_actions(first)) == 50 and len(shown_actions(second)) == 3
    assert re.search(r'id="event-count">(\d+)', first.get_data(as_text=True)).group(1) == "53"


def test_every_admin_change_of_an_account_or_unit_lands_in_the_log(admin_client, make, admin):
    """Through the real pages: role change, deactivation, reset, unit move all appear, newest first."""
    person = make.trainee()
    parent, unit = make.unit("Sở Nội vụ"), make.unit("Phòng Thi đua")
    admin_client.post(f"/admin/users/{person.id}", data={
        "full_name": person.full_name, "username": person.username, "email": person.email, "position": "",
        "role": "trainer", "org_unit_id": 0})
    admin_client.post(f"/admin/users/{person.id}/deactivate")
    admin_client.post(f"/admin/users/{person.id}/reset-password")
    admin_client.post(f"/admin/units/{unit.id}", data={"name": unit.name, "unit_type": "department",
                                                       "parent_id": parent.id})
    recorded = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert recorded == ["user.role", "user.deactivate", "user.password_reset", "unit.move"]
    assert shown_actions(admin_client.get("/admin/audit/")) == list(reversed(recorded))
    assert all(event.actor_id == admin.id for event in db.session.scalars(select(AuditEvent)))


def test_events_by_the_system_show_no_actor(admin_client, make):
    admin_services.deactivate_user(make.trainee(), actor=None)
    html = admin_client.get("/admin/audit/").get_data(as_text=True)
    row = re.search(r"<tr>\s*<td class=\"nowrap\">.*?</tr>", html, re.S).group(0)
    assert "user.deactivate" in row
    assert re.search(r"</td>\s*<td[^>]*><small>[^<]+</small></td>", row), "no one's name in the actor cell"


@pytest.mark.parametrize("role", [Role.TRAINEE, Role.TRAINER])
def test_only_admins_see_the_log(client, make, login, role):
    login(client, make.user(role))
    for url in ("/admin/audit/", "/admin/audit/export.csv", "/admin/audit/export.xlsx"):
        assert client.get(url).status_code == 403
