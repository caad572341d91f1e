"""Admins find, edit, deactivate and reset people, and rename and move units; every change is audited."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from lms.accounts import admin_services
from lms.accounts.models import OrgUnit, Role, UnitType, User
from lms.accounts.services import AccountError
from lms.audit.models import AuditEvent
from lms.extensions import db


def listed_names(response) -> list[str]:
    html = response.get_data(as_text=True)
    return re.findall(r'<td><a href="/admin/users/\d+">([^<]+)</a>', html)


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def flash_text(response, kind: str) -> str:
    return " ".join(re.findall(rf'class="flash flash-{kind}"[^>]*>([^<]+)<', response.get_data(as_text=True)))


@pytest.fixture
def admin_client(client, make, login):
    admin = make.admin(full_name="Nguyễn Thị Hồng Nhung")
    login(client, admin)
    client.admin = admin
    return client


# --- finding people -------------------------------------------------------------------------------------------

def test_search_matches_names_with_or_without_diacritics_and_usernames_and_emails(admin_client, make):
    make.trainee(full_name="Đặng Thùy Trâm", username="tramdt")
    make.trainee(full_name="Lường Thị Đào", username="daolt")
    make.trainee(full_name="Hoàng Văn Thụ", username="thuhv")

    assert listed_names(admin_client.get("/admin/users", query_string={"q": "Thùy Trâm"})) == ["Đặng Thùy Trâm"]
    assert listed_names(admin_client.get("/admin/users", query_string={"q": "dang thuy"})) == ["Đặng Thùy Trâm"]
    assert listed_names(admin_client.get("/admin/users", query_string={"q": "ĐÀO"})) == ["Lường Thị Đào"]
    assert listed_names(admin_client.get("/admin/users", query_string={"q": "thuhv"})) == ["Hoàng Văn Thụ"]
    thu = db.session.scalar(select(User).where(User.username == "thuhv"))
    assert listed_names(admin_client.get("/admin/users", query_string={"q": thu.email})) == ["Hoàng Văn Thụ"]
    # A LIKE wildcard typed in the box is a character, not "anything".
    assert listed_names(admin_client.get("/admin/users", query_string={"q": "%"})) == []


def test_people_are_listed_in_vietnamese_alphabetical_order(admin_client, make):
    in_order = ["Bế Thị Hoa", "Dương Văn An", "Đào Thị Lan", "Đặng Thùy Trâm", "Hà Văn Thuỷ", "Hoàng Văn Thụ",
                "Vũ Thị Bích"]
    for name in reversed(in_order):
        make.trainee(full_name=name)
    listed = listed_names(admin_client.get("/admin/users", query_string={"role": "trainee"}))
    assert listed == in_order


def test_unit_filter_includes_sub_units_and_not_siblings(admin_client, make):
    province = make.unit("Tỉnh Cao Bằng", UnitType.PROVINCE)
    department = make.unit("Sở Nội vụ", UnitType.DEPARTMENT, parent=province)
    board = make.unit("Ban Thi đua – Khen thưởng", UnitType.DEPARTMENT, parent=department)
    commune = make.unit("UBND xã Hà Trì", UnitType.COMMUNE, parent=province)
    make.trainee(full_name="Người Sở Nội Vụ", unit=department)
    make.trainee(full_name="Người Ban Thi Đua", unit=board)
    make.trainee(full_name="Người Xã Hà Trì", unit=commune)

    in_department = listed_names(admin_client.get("/admin/users", query_string={"unit": department.id}))
    assert sorted(in_department) == ["Người Ban Thi Đua", "Người Sở Nội Vụ"]
    assert listed_names(admin_client.get("/admin/users", query_string={"unit": board.id})) == ["Người Ban Thi Đua"]
    everyone_in_province = listed_names(admin_client.get("/admin/users", query_string={"unit": province.id}))
    assert len(everyone_in_province) == 3


def test_role_and_status_filters_with_counts(admin_client, make):
    make.trainer(full_name="Giảng Viên Một")
    make.trainee(full_name="Học Viên Hai")
    make.trainee(full_name="Học Viên Nghỉ", active=False)

    trainers = admin_client.get("/admin/users", query_string={"role": "trainer"})
    assert listed_names(trainers) == ["Giảng Viên Một"]
    gone = admin_client.get("/admin/users", query_string={"status": "deactivated"})
    assert listed_names(gone) == ["Học Viên Nghỉ"]
    trainees = admin_client.get("/admin/users", query_string={"role": "trainee"}).get_data(as_text=True)
    # The status tabs count the people the other filters match: 2 trainees, 1 of them active… plus 1 gone.
    counts = [int(n) for n in re.findall(r'<span class="count">(\d+)</span>', trainees)]
    assert counts == [2, 1, 1]


def test_people_list_pages_by_fifty(admin_client, make):
    total = 55 + 1  # and the admin who is looking
    for n in range(55):
        make.trainee(full_name=f"Người Thứ {n:02d}")
    first = admin_client.get("/admin/users")
    second = admin_client.get("/admin/users", query_string={"page": 2})
    assert len(listed_names(first)) == 50
    assert len(listed_names(second)) == total - 50
    assert set(listed_names(first)).isdisjoint(listed_names(second))
    assert re.search(r'id="people-count">(\d+)', first.get_data(as_text=True)).group(1) == str(total)


def test_a_tampered_filter_address_shows_everyone_with_the_error(admin_client, make):
    make.trainee(full_name="Ai Đó")
    response = admin_client.get("/admin/users", query_string={"unit": "abc", "role": "king"})
    assert response.status_code == 200
    assert "Ai Đó" in listed_names(response)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


# --- editing -------------------------------------------------------------------------------------------------

def edit_data(person: User, **changes) -> dict:
    data = {"full_name": person.full_name, "username": person.username, "email": person.email,
            "position": person.position, "role": person.role.value, "org_unit_id": person.org_unit_id or 0}
    data.update(changes)
    return data


def test_editing_saves_and_audits_the_role_change_with_before_and_after(admin_client, make):
    unit = make.unit("UBND xã Đàm Thủy", UnitType.COMMUNE)
    person = make.trainee(full_name="Nông Văn Dền")
    response = admin_client.post(f"/admin/users/{person.id}", data=edit_data(
        person, full_name="Nông  Văn  Dền", position="Công chức Văn hóa – Xã hội", role="trainer",
        org_unit_id=unit.id))
    assert response.status_code == 302
    db.session.expire_all()
    person = db.session.get(User, person.id)
    assert (person.role, person.org_unit_id, person.position) == (Role.TRAINER, unit.id, "Công chức Văn hóa – Xã hội")

    [role_event] = events("user.role")
    assert (role_event.actor_id, role_event.object_type, role_event.object_id) == (
        admin_client.admin.id, "user", str(person.id))
    assert (role_event.before, role_event.after) == ({"role": "trainee"}, {"role": "trainer"})
    [details] = events("user.update")
    assert details.before == {"position": "", "unit": None}
    assert details.after == {"position": "Công chức Văn hóa – Xã hội", "unit": f"{unit.name} ({unit.code})"}

    page = admin_client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert "Nông Văn Dền" in page and '<option selected value="trainer">' in page


def test_saving_without_changes_records_nothing(admin_client, make):
    person = make.trainee()
    assert admin_client.post(f"/admin/users/{person.id}", data=edit_data(person)).status_code == 302
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


@pytest.mark.parametrize("field", ["username", "email"])
def test_a_taken_username_or_email_is_shown_on_its_field_and_nothing_changes(admin_client, make, field):
    other = make.trainee(username="da-co")
    person = make.trainee(full_name="Trần Văn Bảy")
    taken = getattr(other, field)
    response = admin_client.post(f"/admin/users/{person.id}",
                                 data=edit_data(person, full_name="Trần Văn Tám", **{field: taken.upper()}))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'id="{field}-error"' in html and taken in html
    db.session.expire_all()
    assert db.session.get(User, person.id).full_name == "Trần Văn Bảy"
    assert db.session.scalar(select(func.count(AuditEvent.id))) == 0


def test_an_admin_cannot_change_their_own_role(admin_client):
    admin = admin_client.admin
    response = admin_client.post(f"/admin/users/{admin.id}", data=edit_data(admin, role="trainee"))
    assert response.status_code == 200 and 'id="role-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).role is Role.ADMIN


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(make):
    only = make.admin()
    make.admin(active=False)  # a deactivated admin does not count
    with pytest.raises(AccountError):
        admin_services.update_user(only, full_name=only.full_name, username=only.username, email=only.email,
                                   position="", role=Role.TRAINEE, unit=None, actor=None)
    with pytest.raises(AccountError):
        admin_services.deactivate_user(only, actor=None)
    db.session.rollback()
    assert db.session.get(User, only.id).role is Role.ADMIN and db.session.get(User, only.id).active
    make.admin()
    admin_services.deactivate_user(only, actor=None)  # with another active admin, it is allowed
    assert not db.session.get(User, only.id).active


def test_unknown_people_and_units_are_not_found(admin_client):
    assert admin_client.get("/admin/users/999999").status_code == 404
    assert admin_client.post("/admin/users/999999/deactivate").status_code == 404
    assert admin_client.get("/admin/units/999999").status_code == 404


# --- deactivation -----------------------------------------------------------------------------------------------

def test_deactivation_signs_the_person_out_keeps_the_account_and_is_audited(app, admin_client, make, login):
    person = make.trainee(full_name="Bế Thị Hoa")
    their_phone = app.test_client()
    login(their_phone, person)
    assert their_phone.get("/dashboard").status_code == 200

    response = admin_client.post(f"/admin/users/{person.id}/deactivate")
    assert response.status_code == 302
    assert "Bế Thị Hoa" in flash_text(admin_client.get(response.location), "success")

    signed_out = their_phone.get("/dashboard")
    assert signed_out.status_code == 302 and signed_out.location.startswith("/login")
    again = app.test_client().post("/login", data={"username": person.username, "password": make.PASSWORD})
    assert again.status_code == 200  # refused
    db.session.expire_all()
    person = db.session.get(User, person.id)  # still there, with its history
    assert person is not None and not person.active and person.deactivated_at is not None
    [event] = events("user.deactivate")
    assert (event.before, event.after, event.actor_id) == ({"active": True}, {"active": False},
                                                           admin_client.admin.id)
    listed = admin_client.get("/admin/users", query_string={"status": "deactivated"})
    assert listed_names(listed) == ["Bế Thị Hoa"]

    assert admin_client.post(f"/admin/users/{person.id}/reactivate").status_code == 302
    assert app.test_client().post("/login", data={"username": person.username,
                                                  "password": make.PASSWORD}).status_code == 302
    assert len(events("user.reactivate")) == 1


def test_an_admin_cannot_deactivate_themselves(admin_client):
    admin = admin_client.admin
    response = admin_client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert flash_text(response, "error")
    db.session.expire_all()
    assert db.session.get(User, admin.id).active
    assert admin_client.get("/admin/users").status_code == 200  # still signed in
    assert events("user.deactivate") == []


# --- password reset ------------------------------------------------------------------------------------------

def test_reset_shows_a_temporary_password_once_and_forces_a_change_at_sign_in(app, admin_client, make, login):
    person = make.trainee(full_name="Ma Seo Chứ")
    old_session = app.test_client()
    login(old_session, person)

    response = admin_client.post(f"/admin/users/{person.id}/reset-password")
    assert response.status_code == 200
    password = re.search(r'<code class="secret">([^<]+)</code>', response.get_data(as_text=True)).group(1)
    assert old_session.get("/dashboard").status_code == 302, "the old password's session must end"
    [event] = events("user.password_reset")
    assert password not in json.dumps([event.summary, event.before, event.after])
    assert password not in admin_client.get(f"/admin/users/{person.id}").get_data(as_text=True)

    person_client = app.test_client()
    signed_in = person_client.post("/login", data={"username": person.username, "password": password})
    assert signed_in.location == "/account/password"
    # Nothing else until the password is changed.
    assert person_client.get("/dashboard").location == "/account/password"
    assert person_client.get("/courses").location == "/account/password"
    assert "must-change" in person_client.get("/account/password").get_data(as_text=True)
    same = person_client.post("/account/password", data={
        "current_password": password, "new_password": password, "confirm_password": password})
    assert same.status_code == 200 and 'id="new_password-error"' in same.get_data(as_text=True)
    changed = person_client.post("/account/password", data={
        "current_password": password, "new_password": "mật-khẩu-của-riêng-tôi", "confirm_password":
        "mật-khẩu-của-riêng-tôi"})
    assert changed.status_code == 302
    assert person_client.get("/dashboard").status_code == 200
    db.session.expire_all()
    assert not db.session.get(User, person.id).must_change_password


def test_an_admin_resets_others_not_their_own_password(admin_client):
    admin = admin_client.admin
    response = admin_client.post(f"/admin/users/{admin.id}/reset-password")
    assert response.status_code == 302
    assert admin_client.get("/admin/users").status_code == 200
    assert events("user.password_reset") == []


# --- units -------------------------------------------------------------------------------------------------------

def unit_data(unit: OrgUnit, **changes) -> dict:
    data = {"name": unit.name, "unit_type": unit.unit_type.value, "parent_id": unit.parent_id or 0}
    data.update(changes)
    return data


def test_units_are_renamed_retyped_and_moved_with_audit_rows(admin_client, make):
    province = make.unit("Tỉnh Cao Bằng", UnitType.PROVINCE)
    department = make.unit("Sở Nội vụ", UnitType.DEPARTMENT, parent=province)
    cooperative = make.unit("HTX Thành Công", UnitType.OTHER, parent=province)

    response = admin_client.post(f"/admin/units/{cooperative.id}", data=unit_data(
        cooperative, name="Hợp tác xã Nông nghiệp Thành Công", unit_type="cooperative", parent_id=department.id))
    assert response.status_code == 302
    db.session.expire_all()
    cooperative = db.session.get(OrgUnit, cooperative.id)
    assert cooperative.name == "Hợp tác xã Nông nghiệp Thành Công"
    assert cooperative.unit_type is UnitType.COOPERATIVE
    assert [u.name for u in cooperative.path()] == [province.name, department.name, cooperative.name]
    [renamed] = events("unit.update")
    assert renamed.before["name"].startswith("HTX Thành Công") and renamed.before["unit_type"] == "other"
    assert renamed.after == {"name": "Hợp tác xã Nông nghiệp Thành Công", "unit_type": "cooperative"}
    [moved] = events("unit.move")
    assert moved.before == {"parent": f"{province.name} ({province.code})"}
    assert moved.after == {"parent": f"{department.name} ({department.code})"}


def test_a_unit_cannot_move_under_itself_or_its_own_sub_units(admin_client, make):
    province = make.unit("Tỉnh Cao Bằng", UnitType.PROVINCE)
    department = make.unit("Sở Nội vụ", UnitType.DEPARTMENT, parent=province)
    board = make.unit("Ban Thi đua – Khen thưởng", UnitType.DEPARTMENT, parent=department)

    for target in (board, department, province):
        response = admin_client.post(f"/admin/units/{province.id}", data=unit_data(province, parent_id=target.id))
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert 'id="parent_id-error"' in html
    cycle = admin_client.post(f"/admin/units/{department.id}", data=unit_data(department, parent_id=board.id))
    message = re.search(r'id="parent_id-error">([^<]+)<', cycle.get_data(as_text=True)).group(1)
    assert department.name in message and board.name in message
    db.session.expire_all()
    assert db.session.get(OrgUnit, province.id).parent_id is None
    assert db.session.get(OrgUnit, department.id).parent_id == province.id
    assert events("unit.move") == []
    # The page offers the unit's own branch greyed out.
    form = admin_client.get(f"/admin/units/{department.id}").get_data(as_text=True)
    assert re.search(rf'<option disabled value="{board.id}">', form)


def test_the_unit_tree_counts_active_people_with_their_sub_units(admin_client, make):
    province = make.unit("Tỉnh Cao Bằng", UnitType.PROVINCE)
    commune = make.unit("UBND xã Hà Trì", UnitType.COMMUNE, parent=province)
    make.trainee(unit=province)
    make.trainee(unit=commune)
    make.trainee(unit=commune)
    make.trainee(unit=commune, active=False)
    html = admin_client.get("/admin/units").get_data(as_text=True)
    assert re.search(rf'href="/admin/users\?unit={province.id}">1 [^<(]+\(3 ', html)
    assert re.search(rf'href="/admin/users\?unit={commune.id}">2 [^<(]+</a>', html)
