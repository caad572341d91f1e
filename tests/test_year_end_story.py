"""Issue 6's whole story, through the admin's pages: a real-sized participant list is imported, a class is
made of it and enrolled with a due date, some trainees finish, and the per-unit figures, the Excel export
and the audit log all say what happened."""
from __future__ import annotations

import io
from datetime import time, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from lms.accounts import services as account_services
from lms.accounts.models import OrgUnit, UnitType, User
from lms.audit.models import AuditEvent
from lms.classes import roster
from lms.classes import services as class_services
from lms.courses import services as course_services
from lms.courses.assignments import local_today
from lms.courses.models import Course, Enrolment
from lms.extensions import db
from tests.test_user_import import commit_token, participant_list, upload, xlsx_file

FINISHED_UNITS = 3  # the units whose people complete the course online before the review


def test_import_class_enrol_finish_report_export_and_audit(app, client, make, login, tmp_path):
    admin = make.admin()
    login(client, admin)
    client.post("/language", data={"lang": "en"})
    course_services.import_content(make.course_folder(tmp_path / "content"))
    course = db.session.scalar(select(Course).where(Course.slug == "khoa-thu"))

    # 1. The participant list: 300 people in 20 communes, as an XLSX with Vietnamese headers.
    codes = [account_services.create_unit(name=f"UBND xã Số {n + 1}", code=f"XA-{n + 1:02d}",
                                          unit_type=UnitType.COMMUNE).code for n in range(20)]
    rows = participant_list(codes)
    preview = upload(client, xlsx_file(rows), "danh-sach-hoc-vien.xlsx").get_data(as_text=True)
    assert "All 300 rows are ready." in preview
    assert client.post("/admin/users/import/commit", data={"upload": commit_token(preview)}).status_code == 200
    people = db.session.scalars(select(User).where(User.email.like("hocvien%@example.org"))).all()
    assert len(people) == len(rows)

    # 2. A class of all of them, enrolled in the course with a due date.
    start = local_today()
    training_class = class_services.create_class(class_services.ClassDetails(
        name="Lớp tập huấn nghiệp vụ Thi đua – Khen thưởng năm 2026", starts_on=start, ends_on=start,
        location="Hội trường UBND tỉnh", course_ids=[course.id], trainer_ids=[]), actor=admin)
    class_services.add_session(training_class, title="Sáng", day=start, starts=time(7, 30), ends=time(11, 0),
                               actor=admin)
    unit_ids = set(db.session.scalars(select(OrgUnit.id).where(OrgUnit.code.in_(codes))))
    roster.add_by_units(training_class, unit_ids, include_sub_units=True, actor=admin)
    due = start + timedelta(days=30)
    class_services.enrol_class(training_class, due_on=due, actor=admin)
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.course_id == course.id)).all()
    assert len(enrolments) == len(rows) and {e.due_on for e in enrolments} == {due}

    # 3. The people of the first units finish online.
    by_unit: dict[str, list[User]] = {}
    for person in people:
        by_unit.setdefault(person.org_unit.code, []).append(person)
    finished_codes = codes[:FINISHED_UNITS]
    for code in finished_codes:
        for person in by_unit[code]:
            enrolment = course_services.find_enrolment(person, course)
            for module in course.active_modules:
                course_services.complete_module(enrolment, module)

    # 4. The figures per unit, read back from the Excel export.
    export = client.get("/admin/reports/matrix.xlsx")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.data)).active
    header, *body = [[cell.value for cell in row] for row in sheet.iter_rows()]
    column = {name: index for index, name in enumerate(header)}
    figures = {row[column["Unit code"]]: row for row in body if row[column["Unit code"]] in codes
               and row[column["Course"]] == course.title}
    assert set(figures) == set(codes)
    for code in codes:
        row = figures[code]
        expected_done = len(by_unit[code]) if code in finished_codes else 0
        assert row[column["Enrolled"]] == len(by_unit[code])
        assert row[column["Completed"]] == expected_done
        assert row[column["Unit"]].startswith("UBND xã Số"), "Vietnamese intact"
    dashboard = client.get("/admin/reports/").get_data(as_text=True)
    assert "UBND xã Số 1" in dashboard

    # 5. Every sensitive action of the story is in the audit log.
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == admin.id)))
    assert {"user.import", "class.create", "class.roster_add", "enrolment.assign"} <= actions
    log = client.get("/admin/audit/", query_string={"action": "user.import"}).get_data(as_text=True)
    assert "People imported from a file" in log
