"""Training classes: creating one, its roster (by unit with sub-units, by search, by CSV, all or nothing),
attendance and the completion rule, who sees which class, enrolling the class, its certificates, the
results exports and the printable attendance sheet."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime, time, timedelta, timezone

import openpyxl
import pypdf
import pytest
from sqlalchemy import func, select

from lms.accounts.models import UnitType
from lms.audit.models import AuditEvent
from lms.certificates.models import Certificate
from lms.classes import services
from lms.classes.models import Attendance, ClassParticipant, ClassSession, TrainingClass
from lms.classes.results import COMPLETED, IN_PROGRESS, class_results
from lms.courses import services as course_services
from lms.courses.models import Course, Enrolment
from lms.db import utcnow
from lms.extensions import db
from tests.certificate_helpers import EVERY_TONE, pdf_fonts, pdf_text

START = date(2026, 11, 12)


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def small_course(make, tmp_path) -> Course:
    """A two-module course without quizzes: completing it online is reading both modules."""
    course_services.import_content(make.course_folder(tmp_path / "content"))
    return db.session.scalar(select(Course).where(Course.slug == "khoa-thu"))


def complete_online(user, course: Course) -> Enrolment:
    enrolment = course_services.enrol(user, course)
    for module in course.active_modules:
        course_services.complete_module(enrolment, module)
    db.session.refresh(enrolment)
    return enrolment


def new_class(actor, *, courses=(), trainers=(), sessions: int = 0, name="Lớp tập huấn nghiệp vụ Thi đua – Khen thưởng",
              days: int = 2) -> TrainingClass:
    training_class = services.create_class(services.ClassDetails(
        name=name, starts_on=START, ends_on=START + timedelta(days=days - 1), location="Hội trường UBND tỉnh",
        course_ids=[c.id for c in courses], trainer_ids=[t.id for t in trainers]), actor=actor)
    for n in range(sessions):
        services.add_session(training_class, title=f"Buổi {n + 1}", day=START + timedelta(days=n // 2),
                             starts=time(7, 30) if n % 2 == 0 else time(13, 30),
                             ends=time(11, 0) if n % 2 == 0 else time(17, 0), actor=actor)
    return training_class


def enrol_people(training_class, people, actor):
    from lms.classes import roster

    roster.add_people(training_class, people, actor=actor, how="test")
    return {p.user_id: p for p in db.session.scalars(select(ClassParticipant).where(
        ClassParticipant.class_id == training_class.id))}


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


# --- creating a class ---------------------------------------------------------------------------------------

def test_admin_creates_a_class_with_courses_trainers_and_sessions_on_the_local_clock(client, make, login,
                                                                                    small_course):
    admin, trainer, trainee = make.admin(), make.trainer(full_name="Hoàng Văn Minh"), make.trainee()
    board = make.unit("Ban Thi đua – Khen thưởng tỉnh")
    login(client, admin)
    form = {"name": "Lớp bồi dưỡng nghiệp vụ năm 2026", "starts_on": "2026-11-12", "ends_on": "2026-11-13",
            "location": "Hội trường tầng 3", "org_unit_id": str(board.id), "courses": [str(small_course.id)],
            "trainers": [str(trainer.id)], "notes": "Mang theo Luật Thi đua, khen thưởng."}
    # A trainee is no trainer: the form refuses and nothing is created.
    refused = client.post("/admin/classes/new", data={**form, "trainers": [str(trainee.id)]})
    assert refused.status_code == 200 and db.session.scalar(select(func.count(TrainingClass.id))) == 0
    response = client.post("/admin/classes/new", data=form)
    training_class = db.session.scalar(select(TrainingClass))
    assert response.status_code == 302 and response.location == f"/admin/classes/{training_class.id}"
    assert [c.slug for c in training_class.courses] == ["khoa-thu"]
    assert [t.id for t in training_class.trainers] == [trainer.id]
    assert training_class.org_unit_id == board.id
    assert events("class.create")[0].after["name"] == "Lớp bồi dưỡng nghiệp vụ năm 2026"
    # No organising unit, no courses, no trainers yet: still a class.
    bare = client.post("/admin/classes/new", data={"name": "Lớp chưa đủ thông tin", "starts_on": "2026-12-01",
                                                   "ends_on": "2026-12-01", "org_unit_id": ""})
    assert bare.status_code == 302 and db.session.scalar(select(func.count(TrainingClass.id))) == 2

    # 07:30 in Hà Giang is 00:30 UTC; the page shows the province's clock and the day as dd/mm/yyyy.
    client.post(f"/admin/classes/{training_class.id}/sessions",
                data={"title": "Sáng: Luật Thi đua, khen thưởng", "day": "2026-11-12", "starts_at": "07:30",
                      "ends_at": "11:00"})
    session = db.session.scalar(select(ClassSession))
    assert session.starts_at == datetime(2026, 11, 12, 0, 30, tzinfo=timezone.utc)
    page = client.get(f"/admin/classes/{training_class.id}").get_data(as_text=True)
    assert "12/11/2026, 07:30–11:00" in page and "Hoàng Văn Minh" in page
    # A session outside the class's days is refused.
    client.post(f"/admin/classes/{training_class.id}/sessions",
                data={"title": "Lạc ngày", "day": "2026-11-20", "starts_at": "07:30"})
    assert db.session.scalar(select(func.count(ClassSession.id))) == 1
    # Nor can the class's dates move away from a session it has.
    moved = client.post(f"/admin/classes/{training_class.id}/edit",
                        data={**form, "starts_on": "2026-11-13", "ends_on": "2026-11-14"})
    assert moved.status_code == 200 and "12/11/2026" in moved.get_data(as_text=True)
    db.session.refresh(training_class)
    assert training_class.starts_on == date(2026, 11, 12)


# --- the roster -------------------------------------------------------------------------------------------------

def test_roster_by_unit_takes_its_sub_units_only_when_asked(client, make, login):
    admin = make.admin()
    district = make.unit("UBND huyện Bắc Mê", UnitType.DEPARTMENT)
    commune = make.unit("UBND xã Yên Phong", UnitType.COMMUNE, parent=district)
    elsewhere = make.unit("Sở Tư pháp")
    in_district = make.trainee(full_name="Đặng Thị Hương", unit=district)
    in_commune = make.trainee(full_name="Lò Văn Páo", unit=commune)
    make.trainee(full_name="Nghỉ Việc", unit=commune, active=False)
    make.trainee(full_name="Người Ngoài", unit=elsewhere)
    training_class = new_class(admin)
    login(client, admin)

    client.post(f"/admin/classes/{training_class.id}/roster/unit", data={"unit": str(district.id)})
    assert {p.user_id for p in training_class.participants} == {in_district.id}
    response = client.post(f"/admin/classes/{training_class.id}/roster/unit",
                           data={"unit": str(district.id), "include_sub_units": "y"})
    assert response.status_code == 302
    db.session.refresh(training_class)
    assert {p.user_id for p in training_class.participants} == {in_district.id, in_commune.id}
    added = events("class.roster_add")
    assert [e.after["user_ids"] for e in added] == [[in_district.id], [in_commune.id]]
    page = client.get(f"/admin/classes/{training_class.id}").get_data(as_text=True)
    assert "Lò Văn Páo" in page and "UBND xã Yên Phong" in page and "Người Ngoài" not in page


def test_roster_by_search_adds_the_people_ticked(client, make, login):
    admin = make.admin()
    wanted = make.trainee(full_name="Đặng Ngọc Ánh", username="dangngocanh")
    make.trainee(full_name="Trần Văn Bình")
    training_class = new_class(admin)
    login(client, admin)
    for typed in ("Đặng", "dang ngoc", "DANGNGOC"):  # marks and letter case need not be typed
        page = client.get(f"/admin/classes/{training_class.id}/roster?q={typed}").get_data(as_text=True)
        assert "Đặng Ngọc Ánh" in page and "Trần Văn Bình" not in page, typed
    client.post(f"/admin/classes/{training_class.id}/roster/chosen", data={"people": [str(wanted.id)]})
    assert [p.user_id for p in training_class.participants] == [wanted.id]
    page = client.get(f"/admin/classes/{training_class.id}/roster?q=dangngoc").get_data(as_text=True)
    assert "already on the roster" in page or "đã có trong danh sách" in page


def test_roster_by_csv_is_all_or_nothing_and_names_each_bad_line(client, make, login):
    admin = make.admin()
    first = make.trainee(full_name="Hà Thị Lụa", username="halua")
    second = make.trainee(full_name="Vàng Seo Chứ", username="vangseochu")
    make.trainee(full_name="Đã Nghỉ", username="danghi", active=False)
    training_class = new_class(admin)
    login(client, admin)
    url = f"/admin/classes/{training_class.id}/roster/file"

    bad = "\ufeffTên đăng nhập,Họ và tên\r\nhalua,Hà Thị Lụa\r\nkhongco,Không Có\r\n\r\ndanghi,Đã Nghỉ\r\n"
    response = client.post(url, data={"file": (io.BytesIO(bad.encode("utf-8")), "danh-sach.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "khongco" in page and "<td>3</td>" in page and "danghi" in page and "<td>5</td>" in page
    assert training_class.participants == [] and events("class.roster_add") == []

    # Without a BOM or a header, by email as well as username: everyone is added.
    good = f"halua\n{second.email.upper()}\n"
    response = client.post(url, data={"file": (io.BytesIO(good.encode("utf-8")), "ds.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.refresh(training_class)
    assert {p.user_id for p in training_class.participants} == {first.id, second.id}

    latin1 = client.post(url, data={"file": (io.BytesIO("halua,Hà Lụa\n".encode("cp1252", "replace")), "ds.csv")},
                         content_type="multipart/form-data")
    assert latin1.status_code == 400 and "UTF-8" in latin1.get_data(as_text=True)


def test_a_participant_who_attended_stays_on_the_roster(client, make, login):
    admin = make.admin()
    came, never = make.trainee(full_name="Có Mặt"), make.trainee(full_name="Vắng Mặt")
    training_class = new_class(admin, sessions=1)
    participants = enrol_people(training_class, [came, never], admin)
    session = training_class.sessions[0]
    services.mark_attendance(session, shown=set(p.id for p in participants.values()),
                             present={participants[came.id].id}, actor=admin)
    login(client, admin)
    for person in (came, never):
        client.post(f"/admin/classes/{training_class.id}/participants/{participants[person.id].id}/remove")
    db.session.refresh(training_class)
    assert [p.user_id for p in training_class.participants] == [came.id]
    assert events("class.roster_remove")[0].before["user_id"] == never.id
    assert db.session.scalar(select(func.count(Attendance.id))) == 1  # the absence went with them


# --- attendance and the completion rule ----------------------------------------------------------------------

def test_attendance_sheet_updates_in_place_and_status_combines_attendance_and_online(client, app, make, login,
                                                                                   small_course):
    admin, trainer = make.admin(), make.trainer()
    everywhere, half, offline = (make.trainee(full_name="Nguyễn Văn Đủ"), make.trainee(full_name="Lê Thị Nửa"),
                                 make.trainee(full_name="Phạm Chưa Học"))
    training_class = new_class(admin, courses=[small_course], trainers=[trainer], sessions=2)
    participants = enrol_people(training_class, [everywhere, half, offline], admin)
    complete_online(everywhere, small_course)
    complete_online(half, small_course)
    first, second = training_class.sessions
    ids = {user_id: p.id for user_id, p in participants.items()}
    login(client, trainer)

    sheet = client.get(f"/admin/classes/{training_class.id}/sessions/{first.id}/attendance")
    assert sheet.status_code == 200 and "Nguyễn Văn Đủ" in sheet.get_data(as_text=True)
    shown = ",".join(str(i) for i in ids.values())
    # A first, mistaken sheet, then the corrected one: one row each, holding the last mark.
    client.post(f"/admin/classes/{training_class.id}/sessions/{first.id}/attendance",
                data={"shown": shown, "present": [str(ids[everywhere.id])]})
    client.post(f"/admin/classes/{training_class.id}/sessions/{first.id}/attendance",
                data={"shown": shown, "present": [str(ids[everywhere.id]), str(ids[half.id]),
                                                  str(ids[offline.id])]})
    client.post(f"/admin/classes/{training_class.id}/sessions/{second.id}/attendance",
                data={"shown": shown, "present": [str(ids[everywhere.id]), str(ids[offline.id])]})
    marks = db.session.execute(select(Attendance.session_id, Attendance.participant_id, Attendance.present)).all()
    assert len(marks) == 6
    assert sum(present for _s, _p, present in marks) == 5

    results = {row.user.id: row for row in class_results(training_class).rows}
    assert (results[everywhere.id].present, results[everywhere.id].status) == (2, COMPLETED)
    assert (results[half.id].present, results[half.id].status) == (1, IN_PROGRESS)   # missed a session
    assert (results[offline.id].present, results[offline.id].status) == (2, IN_PROGRESS)  # not done online
    page = client.get(f"/admin/classes/{training_class.id}").get_data(as_text=True)
    assert page.count("2/2") == 2 and "1/2" in page

    # With a required share of 50%, one session out of two is enough.
    app.config["CLASS_ATTENDANCE_PERCENT"] = 50
    assert {row.user.id for row in class_results(training_class).rows if row.completed} == {everywhere.id,
                                                                                             half.id}


def test_a_tampered_sheet_changes_nothing(client, make, login):
    admin = make.admin()
    training_class, other = new_class(admin, sessions=1), new_class(admin, name="Lớp khác", sessions=1)
    mine = enrol_people(training_class, [make.trainee()], admin)
    theirs = enrol_people(other, [make.trainee()], admin)
    login(client, admin)
    stranger = next(iter(theirs.values())).id
    response = client.post(f"/admin/classes/{training_class.id}/sessions/{training_class.sessions[0].id}/attendance",
                           data={"shown": f"{next(iter(mine.values())).id},{stranger}", "present": [str(stranger)]})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(Attendance.id))) == 0
    # Nor may a sheet reach a session of another class through this class's address.
    assert client.get(f"/admin/classes/{training_class.id}/sessions/{other.sessions[0].id}/attendance"
                      ).status_code == 404


def test_a_trainer_sees_and_marks_only_the_classes_they_train(client, make, login):
    admin, trainer, trainee = make.admin(), make.trainer(), make.trainee()
    mine = new_class(admin, trainers=[trainer], name="Lớp của tôi", sessions=1)
    theirs = new_class(admin, name="Lớp của người khác", sessions=1)
    enrol_people(mine, [trainee], admin)
    enrol_people(theirs, [trainee], admin)
    login(client, trainer)
    listing = client.get("/admin/classes/").get_data(as_text=True)
    assert "Lớp của tôi" in listing and "Lớp của người khác" not in listing
    assert client.get(f"/admin/classes/{mine.id}").status_code == 200
    for url in (f"/admin/classes/{theirs.id}", f"/admin/classes/{theirs.id}/results",
                f"/admin/classes/{theirs.id}/sheet.pdf", f"/admin/classes/{theirs.id}/results.csv",
                f"/admin/classes/{theirs.id}/sessions/{theirs.sessions[0].id}/attendance"):
        assert client.get(url).status_code == 404, url
    participant = theirs.participants[0].id
    assert client.post(f"/admin/classes/{theirs.id}/sessions/{theirs.sessions[0].id}/attendance",
                       data={"shown": str(participant), "present": [str(participant)]}).status_code == 404
    assert client.get(f"/admin/classes/{mine.id}/edit").status_code == 403
    assert db.session.scalar(select(func.count(Attendance.id))) == 0

    other = app_client(client)
    login(other, trainee)
    assert other.get("/admin/classes/").status_code == 403
    assert other.get(f"/admin/classes/{mine.id}").status_code == 403


def app_client(client):
    return client.application.test_client()


# --- enrolment and certificates ------------------------------------------------------------------------------

def test_enrolling_the_class_sets_each_participants_due_date(client, make, login, small_course):
    admin = make.admin()
    people = [make.trainee(full_name="Bùi Thị Thu"), make.trainee(full_name="Hứa Văn Lâm")]
    gone = make.trainee(full_name="Đã Nghỉ Việc")
    training_class = new_class(admin, courses=[small_course])
    enrol_people(training_class, [*people, gone], admin)
    gone.active = False
    db.session.commit()
    login(client, admin)
    response = client.post(f"/admin/classes/{training_class.id}/enrol", data={"due_on": "2026-12-31"})
    assert response.status_code == 302
    enrolments = {e.user_id: e for e in db.session.scalars(select(Enrolment))}
    assert set(enrolments) == {p.id for p in people}
    assert {e.due_on for e in enrolments.values()} == {date(2026, 12, 31)}
    assert all(e.assigned_by_id == admin.id and not e.self_enrolled for e in enrolments.values())
    assert events("enrolment.assign")[0].after["due_on"] == "2026-12-31"
    page = client.get(f"/admin/classes/{training_class.id}").get_data(as_text=True)
    assert "31/12/2026" in page


def test_certificates_are_issued_for_completed_participants_only(client, make, login, small_course):
    admin = make.admin()
    lacking = make.trainee(full_name="Triệu Thị Mai")      # completed, attended, certificate failed earlier
    absent = make.trainee(full_name="Sùng A Dình")         # completed online, missed the session
    studying = make.trainee(full_name="Giàng Thị Sua")     # attended, not done online
    training_class = new_class(admin, courses=[small_course], sessions=1)
    participants = enrol_people(training_class, [lacking, absent, studying], admin)
    for person in (lacking, absent):
        enrolment = course_services.enrol(person, small_course)
        enrolment.completed_at = utcnow()  # as if the certificate's rendering had failed at completion
    course_services.enrol(studying, small_course)
    db.session.commit()
    services.mark_attendance(training_class.sessions[0], shown={p.id for p in participants.values()},
                             present={participants[lacking.id].id, participants[studying.id].id}, actor=admin)
    login(client, admin)

    client.post(f"/admin/classes/{training_class.id}/certificates")
    holders = db.session.scalars(select(Certificate.user_id)).all()
    assert holders == [lacking.id]
    assert events("certificate.issue")[0].summary.startswith(db.session.scalar(select(Certificate.serial)))
    client.post(f"/admin/classes/{training_class.id}/certificates")  # again: nothing more
    assert db.session.scalar(select(func.count(Certificate.id))) == 1

    bundle = client.get(f"/admin/classes/{training_class.id}/certificates.zip")
    assert bundle.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(bundle.data)).namelist()
    assert len(names) == 1 and names[0].endswith("Triệu Thị Mai.pdf")


# --- the results report and the attendance sheet ---------------------------------------------------------------

@pytest.fixture
def reported_class(make, small_course):
    admin = make.admin()
    unit = make.unit("UBND xã Đồng Văn")
    done = make.trainee(full_name="Lường Thị Đào", unit=unit)
    other = make.trainee(full_name=EVERY_TONE[:40].strip(), unit=make.unit("Hội Liên hiệp Phụ nữ tỉnh"))
    training_class = new_class(admin, courses=[small_course], sessions=2)
    participants = enrol_people(training_class, [done, other], admin)
    complete_online(done, small_course)
    for session in training_class.sessions:
        services.mark_attendance(session, shown={p.id for p in participants.values()},
                                 present={participants[done.id].id}, actor=admin)
    return admin, training_class, done, other


def test_results_export_keeps_vietnamese_in_csv_and_xlsx(client, login, reported_class, small_course):
    admin, training_class, done, other = reported_class
    login(client, admin)
    client.post("/language", data={"lang": "en"})
    response = client.get(f"/admin/classes/{training_class.id}/results.csv")
    assert response.status_code == 200 and response.data.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:7] == ["No.", "Full name", "Username", "Email", "Unit", "Sessions attended", "Sessions"]
    assert rows[0][-1] == "Status" and f"{small_course.title}: certificate" in rows[0]
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["Lường Thị Đào"][4] == done.org_unit.name and "Đồng Văn" in done.org_unit.name
    assert by_name["Lường Thị Đào"][5:7] == ["2", "2"] and by_name["Lường Thị Đào"][-1] == "Completed"
    assert by_name[other.full_name][-1] == "Not started"

    response = client.get(f"/admin/classes/{training_class.id}/results.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][1] == "Full name"
    names = {row[1]: row for row in values[1:]}
    assert names["Lường Thị Đào"][4] == done.org_unit.name and names["Lường Thị Đào"][-1] == "Completed"
    assert other.full_name in names and names[other.full_name][4] == other.org_unit.name
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == done.id))
    assert certificate.serial in names["Lường Thị Đào"]

    page = client.get(f"/admin/classes/{training_class.id}/results").get_data(as_text=True)
    assert "UBND xã Đồng Văn" in page and "Hội Liên hiệp Phụ nữ tỉnh" in page


def test_attendance_sheet_pdf_lists_every_participant_with_a_column_per_session(client, login, reported_class):
    admin, training_class, done, other = reported_class
    login(client, admin)
    response = client.get(f"/admin/classes/{training_class.id}/sheet.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = squash(pdf_text(response.data))
    assert "Lường Thị Đào" in text and squash(other.full_name) in text
    assert "UBND xã Đồng Văn" in text and training_class.name in text
    assert "12/11" in text and "07:30" in text and "13:30" in text
    page = pypdf.PdfReader(io.BytesIO(response.data)).pages[0]
    assert float(page.mediabox.width) > float(page.mediabox.height)  # A4 landscape
    assert "Sheet-Sans-Bold" in pdf_fonts(response.data) or any("NotoSans" in f for f in pdf_fonts(response.data))
