"""Completion tracking: the units × courses matrix against a hand-built data set (made through the services),
its period, course and unit filters, a bounded number of queries, the SVG chart, the drill-down to a unit's
people and a person's transcript (page and PDF), the year-end view, and the CSV and XLSX exports read back."""
from __future__ import annotations

import csv
import io
import re
import textwrap
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import openpyxl
import pytest
from babel.dates import format_date
from sqlalchemy import event, select

from lms.accounts.models import UnitType
from lms.certificates import services as certificate_services
from lms.courses import assignments
from lms.courses import services as course_services
from lms.courses.models import Course
from lms.extensions import db
from lms.reports.services import OWN, Counts, ReportFilter, completion_matrix
from lms.reports.year_end import year_end_view
from tests.certificate_helpers import pdf_text

# What each state the test builds counts as in this year's figures: (enrolled, in progress, completed,
# overdue, certified). The matrix must add these up per unit and course.
THIS_YEAR = {
    "not-started": Counts(enrolled=1),
    "in-progress": Counts(enrolled=1, in_progress=1),
    "completed": Counts(enrolled=1, completed=1, certified=1),
    "completed-revoked": Counts(enrolled=1, completed=1),
    "overdue": Counts(enrolled=1, overdue=1),
    "overdue-started": Counts(enrolled=1, in_progress=1, overdue=1),
    "completed-last-year": Counts(),  # done before the period: not this year's work
    "deactivated": Counts(),           # left the unit: not counted at all
}


@dataclass(frozen=True)
class Case:
    person: str
    unit: str
    course: str
    state: str


CASES = [
    Case("Trần Văn Tỉnh", "province", "law", "completed"),
    Case("Nguyễn Thị Ánh", "justice", "law", "completed"),
    Case("Nguyễn Thị Ánh", "justice", "ceremony", "not-started"),
    Case("Lê Văn Bình", "justice", "law", "in-progress"),
    Case("Phạm Thị Cúc", "justice", "ceremony", "overdue"),
    Case("Đỗ Văn Dũng", "justice", "law", "completed-last-year"),
    Case("Vũ Thị Hà", "justice", "law", "deactivated"),
    Case("Hoàng Thị Ế", "section", "law", "completed-revoked"),
    Case("Bùi Văn Giang", "section", "law", "overdue-started"),
    Case("Ngô Thị Hồng", "section", "ceremony", "completed"),
    Case("Ngô Thị Hồng", "section", "law", "completed"),
    Case("Lường Thị Đào", "commune", "law", "not-started"),
    Case("Đặng Văn Ước", "commune", "ceremony", "in-progress"),
    Case("Hà Thị Ưng", "commune", "law", "completed"),
]
# The unit each built unit adds up to on the dashboard (the province is the one root, so its children
# are the rows, plus a row for the province's own staff).
ROW_OF = {"province": OWN, "justice": "justice", "section": "justice", "commune": "commune", "health": "health"}


def course_yml(title: str) -> str:
    return textwrap.dedent(f"""\
        title: {title}
        summary: Khóa học để kiểm thử báo cáo.
        language: vi
        enrolment: open
        modules:
          - 01-mot.md
          - 02-hai.md
        """)


@dataclass
class World:
    admin: object
    units: dict
    courses: dict
    people: dict
    today: date


@pytest.fixture
def world(make, tmp_path, monkeypatch) -> World:
    # Certificates are issued as they are in production, but their PDF (tested in test_certificates) is a
    # stand-in here: a dozen WeasyPrint renders would only slow these tests down.
    monkeypatch.setattr(certificate_services, "_render", lambda content: b"%PDF-1.7 stand-in")
    today = assignments.local_today()
    admin = make.admin(full_name="Nguyễn Thị Hồng Nhung")
    province = make.unit("Tỉnh Thử Nghiệm", UnitType.PROVINCE)
    justice = make.unit("Sở Tư pháp", UnitType.DEPARTMENT, parent=province)
    units = {"province": province, "justice": justice,
             "section": make.unit("Phòng Phổ biến, giáo dục pháp luật", UnitType.OTHER, parent=justice),
             "commune": make.unit("UBND xã Lũng Cú", UnitType.COMMUNE, parent=province),
             "health": make.unit("Sở Y tế", UnitType.DEPARTMENT, parent=province)}
    courses = {}
    for key, slug, title in (("law", "luat-thu", "Luật Thi đua, khen thưởng"),
                             ("ceremony", "nghi-thuc-thu", "Nghi thức trao tặng khen thưởng")):
        course_services.import_content(make.course_folder(tmp_path, slug, course_yml=course_yml(title)))
        courses[key] = db.session.scalar(select(Course).where(Course.slug == slug))
    people = {}
    for case in CASES:
        if case.person not in people:
            people[case.person] = make.trainee(full_name=case.person, unit=units[case.unit],
                                               active=case.state != "deactivated")
        build(case.state, people[case.person], courses[case.course], admin, today)
    return World(admin=admin, units=units, courses=courses, people=people, today=today)


def build(state: str, person, course, admin, today: date) -> None:
    """Bring one person's study of one course into the state, the way the platform does."""
    first, second = course.active_modules
    if state == "completed-last-year":
        certificate_services.issue_in_person(user=person, course=course, completed_on=date(today.year - 1, 6, 15),
                                             note="Lớp tập huấn năm trước", actor=admin)
        return
    if state.startswith("overdue"):
        assignments.assign_course(course, [person], due_on=today - timedelta(days=3), actor=admin)
        enrolment = course_services.find_enrolment(person, course)
    else:
        enrolment = course_services.enrol(person, course)
    if state in ("in-progress", "overdue-started"):
        course_services.complete_module(enrolment, first)
    if state in ("completed", "completed-revoked", "deactivated"):
        course_services.complete_module(enrolment, first)
        course_services.complete_module(enrolment, second)
    if state == "completed-revoked":
        certificate = certificate_services.current_certificate(enrolment.id)
        certificate_services.revoke_certificate(certificate, reason="Cấp nhầm", actor=admin)


def expected(cases, *, row_of=ROW_OF, table=THIS_YEAR) -> dict:
    """(row, course) → the counts the test built there."""
    totals: dict = defaultdict(Counts)
    for case in cases:
        totals[(row_of[case.unit], case.course)] += table[case.state]
    return {key: counts for key, counts in totals.items() if counts != Counts()}


def figures(matrix, world: World) -> dict:
    """The matrix as (row, course) → counts, in the test's own names."""
    unit_names = {unit.id: name for name, unit in world.units.items()}
    course_names = {course.id: name for name, course in world.courses.items()}
    found = {}
    for row in matrix.rows:
        for course_id, counts in row.cells.items():
            if counts != Counts():
                found[(OWN if row.is_own else unit_names[row.key], course_names[course_id])] = counts
    return found


# --- the matrix ----------------------------------------------------------------------------------------------

def test_the_matrix_adds_up_what_was_built_per_unit_and_course(world):
    matrix = completion_matrix(ReportFilter.this_year())
    assert matrix.scope.id == world.units["province"].id  # the one root: its children are the rows
    assert figures(matrix, world) == expected(CASES)
    # Every child unit has a row, the one without anyone enrolled too; the province's own staff first.
    children = sorted((world.units[k] for k in ("justice", "commune", "health")), key=lambda u: u.name)
    assert [row.key for row in matrix.rows] == [OWN] + [unit.id for unit in children]
    law = world.courses["law"].id
    built = sum((THIS_YEAR[c.state] for c in CASES if c.course == "law"), Counts())
    assert matrix.totals[law] == built
    assert matrix.totals[law].percent == (200 * built.completed + built.enrolled) // (2 * built.enrolled)


def test_the_period_filter_counts_only_that_periods_work(world):
    last_year = date(world.today.year - 1, 1, 1), date(world.today.year - 1, 12, 31)
    matrix = completion_matrix(ReportFilter(start=last_year[0], end=last_year[1]))
    done_then = [c for c in CASES if c.state == "completed-last-year"]
    assert figures(matrix, world) == expected(done_then, table={
        "completed-last-year": Counts(enrolled=1, completed=1, certified=1)})

    # Without bounds, everything ever recorded for active people is in: last year's completion too.
    everything = completion_matrix(ReportFilter())
    assert figures(everything, world) == expected(CASES, table={
        **THIS_YEAR, "completed-last-year": Counts(enrolled=1, completed=1, certified=1)})


def test_the_course_and_unit_filters(world):
    ceremony = world.courses["ceremony"]
    matrix = completion_matrix(replace_year(course_id=ceremony.id))
    assert [c.id for c in matrix.courses] == [ceremony.id]
    assert figures(matrix, world) == expected([c for c in CASES if c.course == "ceremony"])

    justice = world.units["justice"]
    matrix = completion_matrix(replace_year(unit_id=justice.id))
    assert matrix.scope.id == justice.id
    assert [row.key for row in matrix.rows] == [OWN, world.units["section"].id]
    within = [c for c in CASES if c.unit in ("justice", "section")]
    assert figures(matrix, world) == expected(within, row_of={"justice": OWN, "section": "section"})


def replace_year(**changes) -> ReportFilter:
    from dataclasses import replace

    return replace(ReportFilter.this_year(), **changes)


def test_an_edition_in_another_language_counts_for_its_original(world, make, tmp_path):
    law = world.courses["law"]
    folder = make.course_folder(tmp_path, "law-test-en", course_yml=course_yml("Law on Emulation").replace(
        "language: vi", "language: en\nedition_of: luat-thu"))
    course_services.import_content(folder)
    edition = db.session.scalar(select(Course).where(Course.slug == "law-test-en"))
    reader = make.trainee(full_name="Phan Thị Ngọc Ẩn", unit=world.units["commune"])
    build("completed", reader, edition, world.admin, world.today)
    matrix = completion_matrix(ReportFilter.this_year())
    commune = next(row for row in matrix.rows if row.key == world.units["commune"].id)
    built = expected(CASES + [Case(reader.full_name, "commune", "law", "completed")])
    assert commune.cell(law.id) == built[("commune", "law")]
    assert edition.id not in {c.id for c in matrix.courses}


# --- the pages -------------------------------------------------------------------------------------------------

def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture
def admin_client(client, login, world):
    """An admin reading the pages in English, so the assertions hold whatever the Vietnamese catalogue says."""
    login(client, world.admin)
    client.post("/language", data={"lang": "en", "next": "/"})
    return client


def english_day(day: date) -> str:
    return format_date(day, "d MMM yyyy", locale="en")


def test_dashboard_shows_the_table_and_an_svg_chart_with_diacritics(admin_client, world):
    page = admin_client.get("/admin/reports/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    svg = html[html.index("<svg"):html.index("</svg>")]
    justice = world.units["justice"]
    row = expected(CASES)
    law, ceremony = row[("justice", "law")], row[("justice", "ceremony")]
    together = law + ceremony
    # One bar per row, its figure as text (not colour alone), its title for screen readers.
    assert svg.count('class="chart-bar"') == 4
    assert f"{justice.name}: {together.percent}% completed ({together.completed} of {together.enrolled})" in svg
    assert f"{together.percent}%</tspan> ({together.completed}/{together.enrolled})" in svg
    assert "Sở Y tế" in svg and "no one enrolled" in svg
    assert '<title id="chart-title">' in svg and "<script" not in html
    # The table links each unit to its drill-down, carrying the period.
    start = f"{world.today.year}-01-01"
    assert f'href="/admin/reports/units/{justice.id}?start={start}' in html
    text = text_of(html)
    # By unit, all courses together; then by unit and course.
    assert f"{justice.name} (with its sub-units) {together.enrolled} {together.in_progress} {together.completed} " \
           f"{together.overdue} {together.certified} {together.percent}%" in text
    assert f"{justice.name} (with its sub-units) Luật Thi đua, khen thưởng {law.enrolled} {law.in_progress} " \
           f"{law.completed} {law.overdue} {law.certified} {law.percent}%" in text


def test_a_matrix_too_long_for_a_page_is_left_to_the_exports_and_filters(admin_client, world, monkeypatch):
    from lms.reports import views

    monkeypatch.setattr(views, "MAX_MATRIX_ROWS_SHOWN", 3)  # 4 units × 2 courses here
    text = text_of(admin_client.get("/admin/reports/").get_data(as_text=True))
    assert "The full table of 4 units × 2 courses is too long for one page" in text
    together = expected(CASES)[("commune", "law")] + expected(CASES)[("commune", "ceremony")]
    assert f"{world.units['commune'].name} {together.enrolled} {together.in_progress} {together.completed}" in text
    # One course chosen: the table by unit is all there is to show.
    law = world.courses["law"]
    text = text_of(admin_client.get(f"/admin/reports/?course={law.id}").get_data(as_text=True))
    assert "too long" not in text and "By unit: Luật Thi đua, khen thưởng" in text


def test_unit_page_lists_its_own_people_with_their_status_and_links_to_transcripts(admin_client, world):
    justice = world.units["justice"]
    html = admin_client.get(f"/admin/reports/units/{justice.id}").get_data(as_text=True)
    text = text_of(html)
    assert "Phòng Phổ biến, giáo dục pháp luật" in text  # the sub-unit's row
    people = html[html.index('id="people"'):]
    for name in ("Nguyễn Thị Ánh", "Lê Văn Bình", "Phạm Thị Cúc", "Đỗ Văn Dũng"):
        assert name in people
        assert f'href="/admin/reports/people/{world.people[name].id}"' in people
    assert "Vũ Thị Hà" not in people          # deactivated
    assert "Hoàng Thị Ế" not in people        # in the sub-unit: on its own page
    due = english_day(world.today - timedelta(days=3))
    assert f"Overdue due {due}" in text_of(people)  # Phạm Thị Cúc, in words and with the date
    assert "Completed earlier" in text_of(people)    # Đỗ Văn Dũng finished last year
    # With no period at all, last year's completion is simply a completion.
    html = admin_client.get(f"/admin/reports/units/{justice.id}?start=&end=&course=").get_data(as_text=True)
    people = text_of(html[html.index('id="people"'):])
    assert "Completed earlier" not in people
    assert f"Đỗ Văn Dũng Completed {english_day(date(world.today.year - 1, 6, 15))}" in people


def test_trainers_see_figures_but_never_named_people(client, login, make, world):
    login(client, make.trainer(full_name="Hoàng Văn Thụ"))
    assert client.get("/admin/reports/").status_code == 200
    html = client.get(f"/admin/reports/units/{world.units['justice'].id}").get_data(as_text=True)
    assert 'id="people"' not in html
    assert [name for name in world.people if name in html] == []
    assert client.get(f"/admin/reports/people/{world.people['Nguyễn Thị Ánh'].id}").status_code == 403


def test_transcript_page_and_pdf(admin_client, world):
    person = world.people["Ngô Thị Hồng"]
    html = admin_client.get(f"/admin/reports/people/{person.id}").get_data(as_text=True)
    text = text_of(html)
    assert "Luật Thi đua, khen thưởng" in text and "Nghi thức trao tặng khen thưởng" in text
    assert "Bài một" in text and "Bài hai" in text  # module progress
    for certificate in certificate_services.certificates_of(person):
        assert certificate.serial in text
    response = admin_client.get(f"/admin/reports/people/{person.id}/transcript.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = " ".join(pdf_text(response.data).split())
    assert person.full_name in pdf
    assert "Luật Thi đua, khen thưởng" in pdf and "Nghi thức trao tặng khen thưởng" in pdf


def test_bad_filters_are_explained_and_change_nothing(admin_client, world):
    page = admin_client.get("/admin/reports/?start=2026-02-30&end=&course=&unit=")
    assert page.status_code == 200 and "Not a valid date value" in page.get_data(as_text=True)
    page = admin_client.get(f"/admin/reports/?start={world.today.year}-12-31&end={world.today.year}-01-01")
    assert "The end of the period is before its start." in page.get_data(as_text=True)
    assert "Not a valid choice" in admin_client.get("/admin/reports/?unit=999999").get_data(as_text=True)
    assert admin_client.get("/admin/reports/units/999999").status_code == 404
    assert admin_client.get("/admin/reports/people/999999").status_code == 404
    export = admin_client.get("/admin/reports/matrix.csv?start=not-a-date")
    assert export.status_code == 302 and export.location.startswith("/admin/reports/?start=not-a-date")
    assert "Number must be between 2000 and 2200." in admin_client.get(
        "/admin/reports/year-end?year=1900").get_data(as_text=True)
    assert "is not a valid choice" in admin_client.get("/admin/reports/year-end?courses=999999").get_data(as_text=True)
    assert admin_client.get("/admin/reports/year-end.xlsx?year=abc").status_code == 302


# --- no query per row ---------------------------------------------------------------------------------------------

def count_queries(client, url: str) -> int:
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


def test_the_number_of_queries_does_not_grow_with_the_number_of_people(admin_client, world, make):
    pages = ["/admin/reports/", f"/admin/reports/units/{world.units['justice'].id}",
             f"/admin/reports/units/{world.units['section'].id}", "/admin/reports/matrix.csv",
             "/admin/reports/matrix.xlsx", "/admin/reports/year-end", "/admin/reports/year-end.xlsx"]
    before = {url: count_queries(admin_client, url) for url in pages}
    for n in range(24):  # as many again as were built, in every unit and state that needs no certificate
        unit = world.units[("justice", "section", "commune", "province")[n % 4]]
        person = make.trainee(full_name=f"Người Thêm Số {n}", unit=unit)
        build(("not-started", "in-progress", "overdue", "overdue-started")[n % 4], person,
              world.courses[("law", "ceremony")[n % 2]], world.admin, world.today)
    after = {url: count_queries(admin_client, url) for url in pages}
    assert after == before
    assert max(before.values()) <= 12


# --- the year-end view -----------------------------------------------------------------------------------------

def test_year_end_share_of_staff_who_completed_every_required_course(world):
    active = defaultdict(set)
    for case in CASES:
        if case.state != "deactivated":
            active[ROW_OF[case.unit]].add(case.person)
    for required in (["law"], ["law", "ceremony"]):
        view = year_end_view(world.today.year, course_ids=[world.courses[k].id for k in required])
        done = defaultdict(set)
        for person in {c.person for c in CASES}:
            finished = {c.course for c in CASES if c.person == person
                        and c.state in ("completed", "completed-revoked")}
            if set(required) <= finished:
                done[ROW_OF[next(c.unit for c in CASES if c.person == person)]].add(person)
        unit_names = {unit.id: name for name, unit in world.units.items()}
        got = {OWN if row.is_own else unit_names[row.key]: (row.staff, row.completed_all) for row in view.rows}
        assert got == {key: (len(active[key]), len(done[key])) for key in (OWN, "justice", "commune", "health")}


def test_year_end_defaults_to_the_courses_assigned_this_year_and_says_so(admin_client, world):
    view = year_end_view(world.today.year)
    assigned = {c.course for c in CASES if c.state.startswith("overdue")}
    assert {course.id for course in view.required} == {world.courses[k].id for k in assigned}
    assert not view.chosen
    text = text_of(admin_client.get("/admin/reports/year-end").get_data(as_text=True))
    assert "Required courses (assigned during the year):" in text
    assert "a completion in an earlier year does not count" in text


# --- exports ----------------------------------------------------------------------------------------------------

def test_matrix_csv_has_a_bom_and_keeps_vietnamese(admin_client, world):
    response = admin_client.get("/admin/reports/matrix.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:9] == ["Unit", "Unit code", "Course", "Enrolled", "In progress", "Completed", "Overdue",
                          "Certified", "% completed"]
    justice = world.units["justice"]
    law = expected(CASES)[("justice", "law")]
    assert [justice.name, justice.code, "Luật Thi đua, khen thưởng", str(law.enrolled), str(law.in_progress),
            str(law.completed), str(law.overdue), str(law.certified), str(law.percent)] in [r[:9] for r in body]
    own = next(r for r in body if r[0].startswith("Tỉnh Thử Nghiệm"))
    assert own[0] == f"{world.units['province'].name} (its own staff)"


def test_matrix_xlsx_opens_with_the_same_figures(admin_client, world):
    response = admin_client.get(f"/admin/reports/matrix.xlsx?start=&end=&course={world.courses['law'].id}&unit=")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book.active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    commune = world.units["commune"]
    law = expected(CASES)[("commune", "law")]
    assert [commune.name, commune.code, "Luật Thi đua, khen thưởng", law.enrolled, law.in_progress,
            law.completed, law.overdue, law.certified, law.percent] in [r[:9] for r in rows]
    assert {r[2] for r in rows[1:]} == {"Luật Thi đua, khen thưởng"}  # the course filter applies


def test_year_end_exports_read_back(admin_client, world):
    law = world.courses["law"]
    csv_rows = list(csv.reader(io.StringIO(admin_client.get(
        f"/admin/reports/year-end.csv?year={world.today.year}&courses={law.id}").data.decode("utf-8-sig"))))
    assert csv_rows[0][:5] == ["Unit", "Unit code", "Staff", "Completed every required course", "Share (%)"]
    commune = world.units["commune"]
    staff = len({c.person for c in CASES if c.unit == "commune"})
    done = len({c.person for c in CASES if c.unit == "commune" and c.course == "law" and c.state == "completed"})
    assert [commune.name, commune.code, str(staff), str(done), str((200 * done + staff) // (2 * staff))] \
        in [r[:5] for r in csv_rows]
    book = openpyxl.load_workbook(io.BytesIO(admin_client.get(
        f"/admin/reports/year-end.xlsx?year={world.today.year}&courses={law.id}").data))
    assert [commune.name, commune.code, staff, done] in [list(r)[:4] for r in book.active.iter_rows(values_only=True)]
