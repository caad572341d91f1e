import re
import unicodedata

import pytest
from sqlalchemy import func, select

from lms.accounts.models import OrgUnit, Role, User
from lms.extensions import db


def test_login_then_dashboard_greets_by_full_name(client, make, login):
    user = make.trainee(full_name="Lường Thị Đào")
    login(client, user)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Lường Thị Đào" in page


def test_unknown_user_and_wrong_password_get_the_same_answer(client, make):
    make.trainee(username="thuy")
    wrong = client.post("/login", data={"username": "thuy", "password": "not-the-password"})
    unknown = client.post("/login", data={"username": "nobody", "password": "not-the-password"})
    assert wrong.status_code == unknown.status_code == 200

    def flash(response):
        return re.search(r'class="flash flash-error"[^>]*>([^<]+)<', response.get_data(as_text=True)).group(1)

    assert flash(wrong) == flash(unknown)


def test_deactivated_account_cannot_sign_in(client, make):
    user = make.trainee(active=False)
    response = client.post("/login", data={"username": user.username, "password": make.PASSWORD})
    assert response.status_code == 200
    assert client.get("/dashboard").status_code == 302


# OWASP's Password Storage Cheat Sheet: argon2id configurations it rates as equally strong (MiB, passes).
OWASP_ARGON2ID_MINIMUMS = {(46, 1), (19, 2), (12, 3), (9, 4), (7, 5)}


def test_passwords_are_argon2id_at_an_owasp_minimum(make):
    from argon2 import extract_parameters

    from lms.accounts.passwords import hash_password

    stored = hash_password("một mật khẩu dài")
    parameters = extract_parameters(stored)
    assert stored.startswith("$argon2id$v=19$")
    assert any(parameters.memory_cost >= mib * 1024 and parameters.time_cost >= passes
               for mib, passes in OWASP_ARGON2ID_MINIMUMS)


def test_a_hash_with_older_parameters_still_signs_in_and_is_upgraded(client, make):
    from argon2 import PasswordHasher

    from lms.accounts.models import User
    from lms.accounts.passwords import needs_rehash
    from lms.extensions import db

    user = make.trainee()
    user.password_hash = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1).hash(make.PASSWORD)
    db.session.commit()
    response = client.post("/login", data={"username": user.username, "password": make.PASSWORD})
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    assert not needs_rehash(db.session.get(User, user.id).password_hash)


def test_login_is_rate_limited_per_address_and_username(client, make, app):
    user = make.trainee()
    limit = int(app.config["RATELIMIT_LOGIN"].split()[0])
    for _ in range(limit):
        client.post("/login", data={"username": user.username, "password": "wrong-password!"})
    blocked = client.post("/login", data={"username": user.username, "password": make.PASSWORD})
    assert blocked.status_code == 429
    # Someone else in the same training hall (same address) still signs in.
    other = make.trainee()
    assert client.post("/login", data={"username": other.username, "password": make.PASSWORD}).status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/x", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)", "http:/evil.example", " //evil.example"])
def test_next_never_leaves_the_site(client, make, target):
    user = make.trainee()
    response = client.post("/login", query_string={"next": target},
                           data={"username": user.username, "password": make.PASSWORD})
    assert response.status_code == 302
    assert response.location == "/dashboard"


def test_next_within_the_site_is_followed(client, make):
    user = make.trainee()
    response = client.post("/login", query_string={"next": "/courses"},
                           data={"username": user.username, "password": make.PASSWORD})
    assert response.location == "/courses"


def test_logout_ends_the_users_other_sessions(app, make, login):
    user = make.trainee()
    phone, office = app.test_client(), app.test_client()
    login(phone, user)
    login(office, user)
    assert office.get("/dashboard").status_code == 200
    phone.post("/logout")
    assert phone.get("/dashboard").status_code == 302
    assert office.get("/dashboard").status_code == 302, "the other session must end too"


def test_password_change_keeps_this_session_and_ends_the_others(app, make, login):
    user = make.trainee()
    here, elsewhere = app.test_client(), app.test_client()
    login(here, user)
    login(elsewhere, user)
    response = here.post("/account/password", data={
        "current_password": make.PASSWORD, "new_password": "một-mật-khẩu-mới", "confirm_password":
        "một-mật-khẩu-mới"})
    assert response.status_code == 302
    assert here.get("/dashboard").status_code == 200
    assert elsewhere.get("/dashboard").status_code == 302
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": user.username, "password": make.PASSWORD}).status_code == 200
    assert fresh.post("/login", data={"username": user.username,
                                      "password": "một-mật-khẩu-mới"}).status_code == 302


def test_password_change_refuses_a_wrong_current_password(client, make, login):
    user = make.trainee()
    login(client, user)
    response = client.post("/account/password", data={
        "current_password": "nope-nope-nope", "new_password": "another-long-one", "confirm_password":
        "another-long-one"})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    db.session.expire_all()
    fresh = db.session.get(User, user.id)
    from lms.accounts.passwords import verify_password

    assert verify_password(fresh.password_hash, make.PASSWORD)


def test_admin_creates_a_unit_and_a_person_in_the_browser(client, make, login):
    admin = make.admin()
    login(client, admin)
    client.post("/admin/units", data={"name": "UBND xã Đàm Thủy", "code": "xa-damthuy",
                                      "unit_type": "commune", "parent_id": 0})
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "XA-DAMTHUY"))
    assert unit is not None and unit.name == "UBND xã Đàm Thủy"

    response = client.post("/admin/users/new", data={
        "full_name": "Nông  Văn Dền", "username": "NongVanDen", "email": "den@example.org",
        "position": "Công chức Văn hóa – Xã hội", "role": "trainee", "org_unit_id": unit.id})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    password = re.search(r'<code class="secret">([^<]+)</code>', page).group(1)
    person = db.session.scalar(select(User).where(User.username == "nongvanden"))
    assert person.full_name == "Nông Văn Dền" and person.org_unit_id == unit.id
    other = client.application.test_client()
    assert other.post("/login", data={"username": "nongvanden", "password": password}).status_code == 302


def test_admin_sees_a_clear_error_for_a_taken_username(client, make, login):
    admin = make.admin()
    unit = make.unit()
    make.trainee(username="taken")
    login(client, admin)
    before = db.session.scalar(select(func.count(User.id)))
    response = client.post("/admin/users/new", data={
        "full_name": "Ai Đó", "username": "taken", "email": "x@example.org", "role": "trainee",
        "org_unit_id": unit.id})
    assert response.status_code == 200
    assert 'id="username-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id))) == before


@pytest.mark.parametrize("name", ["Nguyễn Thị Hồng Nhung", "Đặng Thùy Trâm", "Hà Văn Thuỷ", "Ma Seo Chứ",
                                  "Lê Thị Ngọc Ẩn"])
def test_full_names_keep_every_diacritic(runner, make, name):
    unit = make.unit()
    decomposed = unicodedata.normalize("NFD", name)  # as some keyboards and Excel exports send it
    result = runner.invoke(args=["lms", "create-user", "--name", decomposed, "--username", "u1",
                                 "--email", "u1@example.org", "--unit", unit.code, "--generate-password"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.full_name).where(User.username == "u1")) == name


def test_cli_create_user_prompts_for_the_password(runner, make, app):
    unit = make.unit()
    result = runner.invoke(args=["lms", "create-user", "--name", "Trần Văn Bảy", "--username", "bay",
                                 "--email", "bay@example.org", "--role", "trainer", "--unit", unit.code],
                           input="mat-khau-rat-dai\nmat-khau-rat-dai\n")
    assert result.exit_code == 0, result.output
    assert "mat-khau-rat-dai" not in result.output
    user = db.session.scalar(select(User).where(User.username == "bay"))
    assert user.role is Role.TRAINER
    assert app.test_client().post("/login", data={"username": "bay", "password": "mat-khau-rat-dai"}
                                  ).status_code == 302


def test_cli_generated_password_is_printed_once_and_works(runner, app):
    result = runner.invoke(args=["lms", "create-user", "--name", "Bế Thị Hoa", "--username", "hoa",
                                 "--email", "hoa@example.org", "--generate-password"])
    assert result.exit_code == 0, result.output
    password = result.output.strip().splitlines()[-1].rsplit(" ", 1)[1]  # the last line ends with it
    assert app.test_client().post("/login", data={"username": "hoa", "password": password}
                                  ).status_code == 302


def test_cli_create_user_refuses_an_unknown_unit(runner):
    result = runner.invoke(args=["lms", "create-user", "--name", "A B", "--username", "ab",
                                 "--email", "ab@example.org", "--unit", "NOWHERE", "--generate-password"])
    assert result.exit_code != 0
    assert "NOWHERE" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_cli_builds_a_unit_tree(runner):
    assert runner.invoke(args=["lms", "create-unit", "--name", "Tỉnh Cao Bằng", "--code", "CB",
                               "--type", "province"]).exit_code == 0
    result = runner.invoke(args=["lms", "create-unit", "--name", "Xã Quảng Lâm", "--code", "QL",
                                 "--type", "commune", "--parent", "CB"])
    assert result.exit_code == 0, result.output
    commune = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "QL"))
    assert [u.name for u in commune.path()] == ["Tỉnh Cao Bằng", "Xã Quảng Lâm"]


def test_seed_demo_is_repeatable_and_refused_in_production(runner, app):
    first = runner.invoke(args=["lms", "seed-demo"])
    again = runner.invoke(args=["lms", "seed-demo"])
    assert first.exit_code == again.exit_code == 0
    assert db.session.scalar(select(func.count(User.id))) == 3
    app.config["DEMO_DATA_ALLOWED"] = False
    refused = runner.invoke(args=["lms", "seed-demo"])
    assert refused.exit_code != 0
