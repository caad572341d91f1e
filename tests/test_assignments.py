"""Enrolment with due dates: an admin assigns a course to people or to units (with their sub-units), sees what
will change before confirming, changes due dates and withdraws untouched assignments from a course's list;
trainees see their due dates; overdue work (on the province's clock) is flagged on both sides."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from lms.accounts.models import UnitType
from lms.audit.models import AuditEvent
from lms.courses import assignments
from lms.courses import services as course_services
from lms.courses.models import Course, Enrolment
from lms.extensions import db
from lms.quizzes import services as quiz_services
from lms.reports.enrolments import course_counts

PROVINCE = ZoneInfo("Asia/Ho_Chi_Minh")


def vn(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def squash(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def small_course(make, tmp_path) -> Course:
    """Two modules, no quizzes: reading both completes it."""
    course_services.import_content(make.course_folder(tmp_path))
    return db.session.scalar(select(Course).where(Course.slug == "khoa-thu"))


@pytest.fixture
def admin(make):
    return make.admin(full_name="Nguyễn Thị Hồng Nhung")


@pytest.fixture
def units(make):
    """A commune with a cooperative under it, and an unrelated department."""
    commune = make.unit("UBND xã Hà Trì", UnitType.COMMUNE)
    cooperative = make.unit("Hợp tác xã Thành Công", UnitType.COOPERATIVE, parent=commune)
    department = make.unit("Sở Giáo dục và Đào tạo", UnitType.DEPARTMENT)
    return commune, cooperative, department


@pytest.fixture
def admin_client(client, login, admin):
    login(client, admin)
    return client


def in_days(n: int) -> date:
    return assignments.local_today() + timedelta(days=n)


def enrolment_of(user, course) -> Enrolment | None:
    db.session.expire_all()
    return course_services.find_enrolment(user, course)


def read_every_module(enrolment: Enrolment) -> None:
    """Complete the course the trainee's way (certificate rendering is not the point here)."""
    for module in enrolment.course.active_modules:
        course_services.record_module_completion(enrolment, module)
    course_services.refresh_course_completion(enrolment)
    db.session.commit()


def freeze_local_clock(monkeypatch, moment: datetime) -> None:
    """The platform's "now" (and so its local "today") is this instant."""
    monkeypatch.setattr("lms.certificates.services.utcnow", lambda: moment.astimezone(timezone.utc))


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


# --- assigning ------------------------------------------------------------------------------------------------

def test_admin_previews_then_assigns_a_course_to_chosen_people(admin_client, make, admin, small_course):
    lan = make.trainee(full_name="Trần Thị Lan")
    binh = make.trainee(full_name="Lê Văn Bình")
    make.trainee(full_name="Phạm Minh Châu")  # not chosen
    due = in_days(30)

    search = admin_client.get("/admin/reports/assign", query_string={"q": "tran thi", "chosen": "1"})
    assert search.status_code == 200
    assert "Trần Thị Lan" in search.get_data(as_text=True), "found without typing the diacritics"
    assert "Lê Văn Bình" not in search.get_data(as_text=True)

    choice = {"course": small_course.id, "people": [lan.id, binh.id], "due": vn(due), "chosen": "1",
              "preview": "1"}
    preview = admin_client.get("/admin/reports/assign", query_string=choice).get_data(as_text=True)
    assert re.search(r'id="count-enrolled">2<', preview)
    assert db.session.scalar(select(func.count(Enrolment.id))) == 0, "a preview changes nothing"

    response = admin_client.post("/admin/reports/assign", data={
        "course": small_course.id, "people": [lan.id, binh.id], "due": due.isoformat()})
    assert response.status_code == 302 and response.location == f"/admin/reports/courses/{small_course.slug}/enrolments"
    for person in (lan, binh):
        enrolment = enrolment_of(person, small_course)
        assert enrolment.due_on == due and enrolment.assigned_by_id == admin.id and not enrolment.self_enrolled
    [event] = events("enrolment.assign")
    assert event.actor_id == admin.id and event.object_id == str(small_course.id)
    assert sorted(event.after["enrolled"]) == sorted([lan.id, binh.id]) and event.after["due_on"] == due.isoformat()

    listing = squash(admin_client.get(response.location).get_data(as_text=True))
    assert "Trần Thị Lan" in listing and "Lê Văn Bình" in listing and "Phạm Minh Châu" not in listing
    assert vn(due) in listing and "Nguyễn Thị Hồng Nhung" in listing, "due date and who assigned it"


def test_assigning_a_unit_reaches_its_sub_units_but_not_deactivated_people(admin_client, make, admin, units,
                                                                          small_course):
    commune, cooperative, department = units
    clerk = make.trainee(full_name="Lường Thị Đào", unit=commune)
    farmer = make.trainee(full_name="Hoàng Văn Thụ", unit=cooperative)
    left = make.trainee(full_name="Đặng Văn Cũ", unit=cooperative, active=False)
    teacher = make.trainee(full_name="Vũ Thị Giáo", unit=department)

    preview = admin_client.get("/admin/reports/assign", query_string={
        "course": small_course.id, "units": [commune.id], "sub_units": "y", "chosen": "1", "preview": "1"})
    page = preview.get_data(as_text=True)
    assert re.search(r'id="count-enrolled">2<', page)
    assert "Hoàng Văn Thụ" in page and "Đặng Văn Cũ" not in page

    admin_client.post("/admin/reports/assign", data={"course": small_course.id, "units": [commune.id],
                                                     "sub_units": "y", "due": ""})
    assert enrolment_of(clerk, small_course) is not None
    assert enrolment_of(farmer, small_course) is not None, "people of a sub-unit are enrolled"
    assert enrolment_of(left, small_course) is None, "a deactivated account is not"
    assert enrolment_of(teacher, small_course) is None, "another unit is not"
    assert enrolment_of(clerk, small_course).due_on is None


def test_without_sub_units_only_the_units_own_people_are_assigned(admin_client, make, units, small_course):
    commune, cooperative, _department = units
    clerk = make.trainee(unit=commune)
    farmer = make.trainee(unit=cooperative)
    admin_client.post("/admin/reports/assign", data={"course": small_course.id, "units": [commune.id]})
    assert enrolment_of(clerk, small_course) is not None
    assert enrolment_of(farmer, small_course) is None


def test_sub_units_are_included_by_default(admin_client, small_course):
    page = admin_client.get("/admin/reports/assign").get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*name="sub_units"|<input[^>]*name="sub_units"[^>]*checked', page)


def test_reassigning_changes_the_due_date_but_never_a_completed_enrolment(make, admin, small_course):
    studying, finished = make.trainee(), make.trainee()
    first, later = in_days(10), in_days(40)
    assignments.assign_course(small_course, [studying, finished], due_on=first, actor=admin)
    read_every_module(enrolment_of(finished, small_course))
    completed_at = enrolment_of(finished, small_course).completed_at

    plan = assignments.plan_assignment(small_course, [studying, finished], due_on=later)
    assert (plan.due_changed, plan.already_completed) == ([studying.id], [finished.id])
    report = assignments.assign_course(small_course, [studying, finished], due_on=later, actor=admin)
    assert report.enrolled == [] and report.due_changed == [studying.id]
    assert enrolment_of(studying, small_course).due_on == later
    done = enrolment_of(finished, small_course)
    assert (done.due_on, done.completed_at) == (first, completed_at), "a completed enrolment is left alone"
    assert db.session.scalar(select(func.count(Enrolment.id))) == 2, "nobody is enrolled twice"
    last = events("enrolment.assign")[-1]
    assert last.before == {"due_on": {str(studying.id): first.isoformat()}}
    assert last.after["due_on"] == later.isoformat() and last.after["already_completed"] == [finished.id]


def test_assigning_without_a_due_date_keeps_the_due_dates_people_have(make, admin, small_course):
    person = make.trainee()
    due = in_days(20)
    assignments.assign_course(small_course, [person], due_on=due, actor=admin)
    report = assignments.assign_course(small_course, [person], due_on=None, actor=admin)
    assert report.unchanged == [person.id]
    assert enrolment_of(person, small_course).due_on == due


def test_a_self_enrolled_person_is_marked_assigned(make, admin, small_course):
    person = make.trainee()
    course_services.enrol(person, small_course)
    assignments.assign_course(small_course, [person], due_on=in_days(5), actor=admin)
    enrolment = enrolment_of(person, small_course)
    assert enrolment.assigned_by_id == admin.id and enrolment.due_on == in_days(5)


def test_bad_assignment_input_changes_nothing(admin_client, make, small_course):
    admin_client.post("/language", data={"lang": "en"})  # the messages below are read in English
    gone = make.trainee(active=False)
    here = make.trainee()
    for data, message in [
        ({"course": small_course.id, "people": [here.id], "due": vn(in_days(-1))}, "The due date cannot be in the past."),
        ({"course": small_course.id, "people": [here.id], "due": "31/02/2027"}, "Write the date as dd/mm/yyyy"),
        ({"course": small_course.id, "people": [here.id, gone.id]}, "deactivated or no longer exist"),
        ({"course": small_course.id, "people": ["x1"]}, "Invalid choice"),
        ({"course": 999999, "people": [here.id]}, "Not a valid choice"),
        ({"course": small_course.id}, "Choose people"),
        ({"people": [here.id]}, "Choose a course."),
    ]:
        response = admin_client.post("/admin/reports/assign", data=data)
        assert response.status_code == 302
        assert message in admin_client.get(response.location).get_data(as_text=True), data
    assert db.session.scalar(select(func.count(Enrolment.id))) == 0
    assert events("enrolment.assign") == []


def test_a_preview_without_course_or_people_says_what_is_missing(admin_client):
    admin_client.post("/language", data={"lang": "en"})
    response = admin_client.get("/admin/reports/assign", query_string={"chosen": "1", "preview": "1"})
    assert response.status_code == 400
    assert "Choose a course." in response.get_data(as_text=True)


# --- the course's enrolment list --------------------------------------------------------------------------------

def test_the_list_filters_by_unit_with_sub_units_and_by_status(admin_client, make, admin, units, small_course,
                                                            monkeypatch):
    commune, cooperative, department = units
    late = make.trainee(full_name="Người Trễ Hạn", unit=cooperative)
    busy = make.trainee(full_name="Người Đang Học", unit=commune)
    done = make.trainee(full_name="Người Đã Xong", unit=department)
    idle = make.trainee(full_name="Người Chưa Học", unit=department)
    assignments.assign_course(small_course, [late, busy, done, idle], due_on=in_days(3), actor=admin)
    course_services.complete_module(enrolment_of(busy, small_course), small_course.active_modules[0])
    read_every_module(enrolment_of(done, small_course))
    assignments.set_due_date(small_course, [enrolment_of(busy, small_course)], due_on=in_days(30), actor=admin)
    freeze_local_clock(monkeypatch, datetime.combine(in_days(5), time(9), PROVINCE))  # late's date has passed
    url = f"/admin/reports/courses/{small_course.slug}/enrolments"

    def names(**query) -> set[str]:
        page = admin_client.get(url, query_string=query).get_data(as_text=True)
        return set(re.findall(r'<label for="pick-\d+">([^<]+)</label>', page))

    assert names() == {"Người Trễ Hạn", "Người Đang Học", "Người Đã Xong", "Người Chưa Học"}
    assert names(unit=commune.id) == {"Người Trễ Hạn", "Người Đang Học"}, "with the cooperative under it"
    assert names(status="overdue") == {"Người Trễ Hạn", "Người Chưa Học"}
    assert names(status="in_progress") == {"Người Đang Học"}
    assert names(status="completed") == {"Người Đã Xong"}
    assert names(status="not_started") == {"Người Trễ Hạn", "Người Chưa Học"}
    assert names(q="dang hoc") == {"Người Đang Học"}
    overdue_rows = re.findall(r'<tr class="is-overdue">.*?</tr>', admin_client.get(url).get_data(as_text=True), re.S)
    assert len(overdue_rows) == 2 and all("Quá hạn" in r or "Overdue" in r for r in overdue_rows)


def test_the_assign_page_counts_overdue_enrolments_per_course(admin_client, make, admin, small_course, course,
                                                             monkeypatch):
    people = [make.trainee() for _ in range(3)]
    assignments.assign_course(small_course, people[:2], due_on=in_days(1), actor=admin)
    assignments.assign_course(small_course, people[2:], due_on=in_days(9), actor=admin)
    assignments.assign_course(course, people, due_on=in_days(9), actor=admin)
    freeze_local_clock(monkeypatch, datetime.combine(in_days(2), time(8), PROVINCE))
    page = admin_client.get("/admin/reports/assign").get_data(as_text=True)
    small_row = re.search(rf'<tr>\s*<td><a href="/admin/reports/courses/{small_course.slug}/enrolments">.*?</tr>',
                          page, re.S).group(0)
    assert f'/admin/reports/courses/{small_course.slug}/enrolments?status=overdue">2</a>' in small_row
    other_row = re.search(rf'<tr>\s*<td><a href="/admin/reports/courses/{course.slug}/enrolments">.*?</tr>',
                          page, re.S).group(0)
    assert "badge status-overdue" not in other_row


def test_admin_changes_and_removes_due_dates_of_selected_enrolments(admin_client, make, admin, small_course):
    a, b, finished = make.trainee(), make.trainee(), make.trainee()
    assignments.assign_course(small_course, [a, b, finished], due_on=in_days(7), actor=admin)
    read_every_module(enrolment_of(finished, small_course))
    ids = [enrolment_of(p, small_course).id for p in (a, finished)]
    url = f"/admin/reports/courses/{small_course.slug}/enrolments/due-date"

    response = admin_client.post(url + "?status=not_started", data={"enrolment": ids, "due": vn(in_days(60)),
                                                                     "action": "set"})
    assert response.location == f"/admin/reports/courses/{small_course.slug}/enrolments?status=not_started"
    assert enrolment_of(a, small_course).due_on == in_days(60)
    assert enrolment_of(b, small_course).due_on == in_days(7), "not ticked"
    assert enrolment_of(finished, small_course).due_on == in_days(7), "completed: not changed"
    [event] = events("enrolment.due_date")
    assert event.actor_id == admin.id
    assert event.before == {"due_on": {str(ids[0]): in_days(7).isoformat()}}
    assert event.after["due_on"] == {str(ids[0]): in_days(60).isoformat()}

    admin_client.post(url, data={"enrolment": ids[:1], "action": "remove"})
    assert enrolment_of(a, small_course).due_on is None
    assert len(events("enrolment.due_date")) == 2

    page = admin_client.get(admin_client.post(url, data={"enrolment": ids[:1], "due": "", "action": "set"})
                            .location).get_data(as_text=True)
    assert "Enter the new due date" in page or "Nhập hạn" in page


def test_enrolments_of_another_course_are_not_touched_through_this_one(admin_client, make, admin, small_course,
                                                                      course):
    person = make.trainee()
    assignments.assign_course(course, [person], due_on=in_days(7), actor=admin)
    other = enrolment_of(person, course)
    admin_client.post(f"/admin/reports/courses/{small_course.slug}/enrolments/due-date",
                      data={"enrolment": [other.id], "due": vn(in_days(50)), "action": "set"})
    admin_client.post(f"/admin/reports/courses/{small_course.slug}/enrolments/withdraw",
                      data={"enrolment": [other.id], "confirm": "yes"})
    assert enrolment_of(person, course).due_on == in_days(7)
    assert events("enrolment.due_date") == [] and events("enrolment.withdraw") == []


def test_withdrawing_refuses_an_enrolment_with_progress(admin_client, make, admin, small_course, course):
    untouched, reading = make.trainee(full_name="Chưa Mở Bài"), make.trainee(full_name="Đã Đọc Bài")
    assignments.assign_course(small_course, [untouched, reading], due_on=in_days(7), actor=admin)
    course_services.complete_module(enrolment_of(reading, small_course), small_course.active_modules[0])
    with pytest.raises(assignments.AssignmentRefused):
        assignments.unassign(enrolment_of(reading, small_course), actor=admin)

    # A quiz attempt is progress too.
    quizzer = make.trainee()
    assignments.assign_course(course, [quizzer], due_on=None, actor=admin)
    quiz = quiz_services.find_quiz(course, course.active_modules[0].key)
    quiz_services.start_attempt(enrolment_of(quizzer, course), quiz)
    with pytest.raises(assignments.AssignmentRefused):
        assignments.unassign(enrolment_of(quizzer, course), actor=admin)

    ids = [enrolment_of(p, small_course).id for p in (untouched, reading)]
    url = f"/admin/reports/courses/{small_course.slug}/enrolments/withdraw"
    confirm = admin_client.post(url, data={"enrolment": ids})
    assert confirm.status_code == 200
    text = squash(confirm.get_data(as_text=True))
    assert "Chưa Mở Bài" in text and "Đã Đọc Bài" in text
    assert enrolment_of(untouched, small_course) is not None, "asking is not doing"

    admin_client.post(url, data={"enrolment": ids, "confirm": "yes"})
    assert enrolment_of(untouched, small_course) is None
    assert enrolment_of(reading, small_course) is not None, "progress is never thrown away"
    [event] = events("enrolment.withdraw")
    assert event.actor_id == admin.id and event.object_id == str(ids[0])
    assert event.before["user_id"] == untouched.id and event.before["due_on"] == in_days(7).isoformat()


def test_withdrawing_from_a_self_enrolled_person_keeps_their_enrolment(make, admin, small_course):
    person = make.trainee()
    course_services.enrol(person, small_course)
    with pytest.raises(assignments.AssignmentRefused):
        assignments.unassign(enrolment_of(person, small_course), actor=admin)  # nothing was assigned
    assignments.assign_course(small_course, [person], due_on=in_days(3), actor=admin)
    assignments.unassign(enrolment_of(person, small_course), actor=admin)
    enrolment = enrolment_of(person, small_course)
    assert enrolment is not None and enrolment.due_on is None and enrolment.assigned_at is None


# --- overdue, on the province's clock ---------------------------------------------------------------------------

def test_overdue_means_due_before_the_given_day_and_not_completed(make, admin, small_course):
    person, finished = make.trainee(), make.trainee()
    due = in_days(3)
    assignments.assign_course(small_course, [person, finished], due_on=due, actor=admin)
    read_every_module(enrolment_of(finished, small_course))
    enrolment, done = enrolment_of(person, small_course), enrolment_of(finished, small_course)
    assert not assignments.is_overdue(enrolment, due), "due today is not yet overdue"
    assert assignments.is_overdue(enrolment, due + timedelta(days=1))
    assert not assignments.is_overdue(done, due + timedelta(days=100)), "completed work is never overdue"

    def overdue_count(today: date) -> int:
        return db.session.scalar(select(func.count(Enrolment.id)).where(assignments.overdue_clause(today)))

    assert (overdue_count(due), overdue_count(due + timedelta(days=1))) == (0, 1), "the SQL rule agrees"


def test_overdue_follows_the_local_date_not_utc(make, admin, small_course, monkeypatch):
    person = make.trainee()
    due = in_days(2)
    assignments.assign_course(small_course, [person], due_on=due, actor=admin)
    enrolment = enrolment_of(person, small_course)
    # 20:00 UTC on the due date is already 03:00 the next morning in Vietnam (UTC+7).
    evening_utc = datetime.combine(due, time(20), timezone.utc)
    freeze_local_clock(monkeypatch, evening_utc)
    assert assignments.local_today() == due + timedelta(days=1)
    assert assignments.is_overdue(enrolment)
    # 16:00 UTC on the due date is 23:00 local: still the due date.
    freeze_local_clock(monkeypatch, datetime.combine(due, time(16), timezone.utc))
    assert not assignments.is_overdue(enrolment)


# --- the trainee's side ------------------------------------------------------------------------------------------

def test_trainee_sees_due_dates_nearest_first_and_overdue_flags(client, login, make, admin, small_course, course,
                                                                monkeypatch):
    trainee = make.trainee()
    soon, later = in_days(4), in_days(20)
    assignments.assign_course(course, [trainee], due_on=later, actor=admin)
    assignments.assign_course(small_course, [trainee], due_on=soon, actor=admin)
    login(client, trainee)

    page = client.get("/dashboard").get_data(as_text=True)
    mine = page.split('id="my-courses"')[1].split('id="open-courses"')[0]
    assert mine.index(small_course.title) < mine.index(course.title), "the nearest due date first"
    text = squash(mine)
    assert f"Hạn hoàn thành {vn(soon)}" in text or f"Due by {vn(soon)}" in text
    assert vn(later) in text
    assert text.count("Được giao") + text.count("Assigned to you") == 2, "assigned, not yet started"
    assert "badge status-overdue" not in mine
    if 'id="open-courses"' in page:
        assert small_course.title not in page.split('id="open-courses"')[1], "not offered to join: it is theirs"

    freeze_local_clock(monkeypatch, datetime.combine(soon + timedelta(days=1), time(7), PROVINCE))
    page = client.get("/dashboard").get_data(as_text=True)
    cards = re.findall(r'<li class="card[^"]*">.*?</li>', page, re.S)
    small_card = next(c for c in cards if small_course.title in c)
    other_card = next(c for c in cards if course.title in c)
    assert "is-overdue" in small_card and 'class="badge status-overdue"' in small_card
    assert "badge status-overdue" not in other_card
    course_page = client.get(f"/courses/{small_course.slug}").get_data(as_text=True)
    assert 'class="badge status-overdue"' in course_page and vn(soon) in course_page


def test_a_completed_course_shows_no_due_date(client, login, make, admin, small_course, monkeypatch):
    trainee = make.trainee()
    due = in_days(1)
    assignments.assign_course(small_course, [trainee], due_on=due, actor=admin)
    read_every_module(enrolment_of(trainee, small_course))
    freeze_local_clock(monkeypatch, datetime.combine(due + timedelta(days=8), time(7), PROVINCE))
    login(client, trainee)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "badge status-overdue" not in page and vn(due) not in page


def test_a_new_due_date_for_everyone_the_filters_show(admin_client, make, admin, units, small_course, monkeypatch):
    commune, cooperative, department = units
    late_here, late_below = make.trainee(unit=commune), make.trainee(unit=cooperative)
    late_elsewhere, on_time = make.trainee(unit=department), make.trainee(unit=commune)
    first, second = in_days(1), in_days(20)
    assignments.assign_course(small_course, [late_here, late_below, late_elsewhere], due_on=first, actor=admin)
    assignments.assign_course(small_course, [on_time], due_on=second, actor=admin)
    freeze_local_clock(monkeypatch, datetime.combine(first + timedelta(days=2), time(9), PROVINCE))
    extended = second + timedelta(days=10)

    response = admin_client.post(
        f"/admin/reports/courses/{small_course.slug}/enrolments/due-date?status=overdue&unit={commune.id}",
        data={"all_matching": "1", "due": vn(extended), "action": "set"})
    assert response.status_code == 302
    assert [enrolment_of(p, small_course).due_on for p in (late_here, late_below, late_elsewhere, on_time)] == \
        [extended, extended, first, second], "only the overdue people of the commune and its cooperative"


def test_course_counts_leave_out_deactivated_accounts(make, admin, small_course, monkeypatch):
    staying, leaving = make.trainee(), make.trainee()
    due = in_days(1)
    assignments.assign_course(small_course, [staying, leaving], due_on=due, actor=admin)
    leaving.active = False
    db.session.commit()
    freeze_local_clock(monkeypatch, datetime.combine(due + timedelta(days=1), time(9), PROVINCE))
    [counts] = course_counts(course_id=small_course.id)
    assert (counts.enrolled, counts.completed, counts.overdue) == (1, 0, 1)
