"""Courses from files: created and updated by stable ids, all or nothing, problems reported by file and line."""
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.accounts.models import Role
from lms.courses import services
from lms.courses.content_files import ContentError
from lms.courses.models import Course, Enrolment, Module, ModuleCompletion, ModuleRevision
from lms.extensions import db
from tests.factories import Factories

ROOT = Path(__file__).resolve().parent.parent


def table_counts() -> dict:
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Course, Module, ModuleRevision)}


def problems_of(path: Path) -> list[tuple[str, int | None]]:
    with pytest.raises(ContentError) as caught:
        services.import_content(path)
    return [(p.path, p.line) for p in caught.value.problems]


def test_the_shipped_content_imports_with_at_least_two_modules(app):
    report = services.import_content(ROOT / "content")
    assert report.courses_created
    for course in db.session.scalars(select(Course)):
        assert len(course.active_modules) >= 2
        for module in course.active_modules:
            revision = services.published_revision(module)
            assert revision.word_count > 300, f"{module.key} looks empty"
            assert "<h2" in revision.body_html


def test_cli_import_content_reports_what_it_did(runner):
    result = runner.invoke(args=["lms", "import-content"])
    assert result.exit_code == 0, result.output
    assert "created course" in result.output
    again = runner.invoke(args=["lms", "import-content"])
    assert "updated course" in again.output and "0 new revisions" in again.output


def test_reimport_updates_in_place_and_keeps_progress(tmp_path, make):
    folder = Factories.course_folder(tmp_path)
    services.import_content(folder)
    course = db.session.scalar(select(Course).where(Course.slug == "khoa-thu"))
    trainee = make.trainee()
    enrolment = services.enrol(trainee, course)
    first = course.active_modules[0]
    services.complete_module(enrolment, first)

    (folder / "01-mot.md").write_text("---\nid: mot\ntitle: Bài một (sửa)\nminutes: 6\n---\n## Mở đầu\n\n"
                                      "Nội dung mới.\n", encoding="utf-8")
    report = services.import_content(folder)
    assert report.modules_revised == 1 and report.modules_unchanged == 1 and report.modules_created == 0
    db.session.expire_all()
    module = db.session.get(Module, first.id)
    assert module.title == "Bài một (sửa)"
    assert services.published_revision(module).number == 2
    assert "Nội dung mới." in services.published_revision(module).body_html
    assert db.session.scalar(select(func.count(ModuleCompletion.id))) == 1


def test_a_module_dropped_from_the_course_is_retired_not_deleted(tmp_path, make):
    folder = Factories.course_folder(tmp_path)
    services.import_content(folder)
    course = db.session.scalar(select(Course).where(Course.slug == "khoa-thu"))
    enrolment = services.enrol(make.trainee(), course)
    services.complete_module(enrolment, course.active_modules[1])
    (folder / "course.yml").write_text("title: Khóa thử nghiệm\nmodules:\n  - 01-mot.md\n", encoding="utf-8")
    report = services.import_content(folder)
    assert report.modules_retired == 1
    db.session.expire_all()
    assert [m.key for m in db.session.get(Course, course.id).active_modules] == ["mot"]
    assert db.session.scalar(select(func.count(ModuleCompletion.id))) == 1, "history is kept"
    progress = services.progress_for([db.session.get(Enrolment, enrolment.id)])[enrolment.id]
    assert (progress.done, progress.total) == (0, 1), "retired modules no longer count"


def test_broken_yaml_is_refused_with_file_and_line_and_nothing_changes(tmp_path, app):
    services.import_content(ROOT / "content")
    before = table_counts()
    folder = Factories.course_folder(tmp_path, course_yml="title: Khóa hỏng\nmodules:\n  - 01-mot.md\n"
                                                          "  - [unclosed\n")
    problems = problems_of(folder)
    assert problems[0][0].endswith("course.yml") and problems[0][1] in (4, 5)
    assert table_counts() == before


def test_a_missing_module_file_points_at_its_line_in_course_yml(tmp_path, app):
    folder = Factories.course_folder(tmp_path)
    (folder / "course.yml").write_text("title: Khóa\nmodules:\n  - 01-mot.md\n  - 03-khong-co.md\n",
                                       encoding="utf-8")
    assert problems_of(folder) == [("khoa-thu/course.yml", 4)]
    assert table_counts() == {"course": 0, "module": 0, "module_revision": 0}


def test_duplicate_module_ids_are_refused(tmp_path, app):
    folder = Factories.course_folder(tmp_path, modules={
        "01-mot.md": "---\nid: chung\ntitle: Một\n---\nNội dung.\n",
        "02-hai.md": "---\nid: chung\ntitle: Hai\n---\nNội dung.\n"})
    assert problems_of(folder) == [("khoa-thu/02-hai.md", 1)]
    assert table_counts()["course"] == 0


def test_every_problem_is_reported_at_once_and_one_bad_course_stops_all(tmp_path, app):
    Factories.course_folder(tmp_path, "khoa-tot")
    Factories.course_folder(tmp_path, "khoa-xau", modules={
        "01-mot.md": "no front matter here\n",
        "02-hai.md": "---\ntitle: Hai\nminutes: nhiều\ncolour: red\n---\nNội dung.\n",
        "03-ba.md": "---\ntitle: Ba\n---\n\n",
    })
    problems = problems_of(tmp_path)
    assert ("khoa-xau/01-mot.md", 1) in problems
    assert ("khoa-xau/02-hai.md", 3) in problems  # minutes is not a number
    assert ("khoa-xau/02-hai.md", 4) in problems  # unknown key
    assert ("khoa-xau/03-ba.md", 4) in problems   # empty body
    assert table_counts()["course"] == 0, "the good course is not imported alone"


def test_bad_settings_in_course_yml_are_named(tmp_path, app):
    folder = Factories.course_folder(tmp_path, course_yml=(
        "title: Khóa\nenrolment: everyone\ncertificate_validity_months: -3\nmodules:\n  - 01-mot.md\n"
        "  - 02-hai.md\n"))
    problems = problems_of(folder)
    assert ("khoa-thu/course.yml", 2) in problems and ("khoa-thu/course.yml", 3) in problems


def test_a_file_that_is_not_utf8_is_refused_with_its_line(tmp_path, app):
    folder = Factories.course_folder(tmp_path)
    (folder / "02-hai.md").write_bytes("---\ntitle: Hai\n---\n\nThi đua\n".encode("cp1258", "replace")
                                       + b"\n\xff\xfe\n")
    problems = problems_of(folder)
    assert problems[0][0] == "khoa-thu/02-hai.md" and problems[0][1] is not None


def test_dangerous_markdown_is_stripped_when_saved(tmp_path, app):
    folder = Factories.course_folder(tmp_path, modules={
        "01-mot.md": ("---\ntitle: Một\n---\n## Nội dung\n\n<script>alert('x')</script>\n\n"
                      "<img src=\"/static/favicon.svg\" onerror=\"alert(1)\" alt=\"ảnh\">\n\n"
                      "[bấm vào đây](javascript:alert(1)) và [văn bản](https://vbpl.vn/)\n\n"
                      "<a href=\"#\" onclick=\"steal()\">liên kết</a>\n\n<iframe src=\"https://x\"></iframe>\n"),
        "02-hai.md": "---\ntitle: Hai\n---\nNội dung.\n"})
    services.import_content(folder)
    html = db.session.scalar(select(ModuleRevision.body_html).join(Module).where(Module.key == "01-mot"))
    lowered = html.lower()
    for forbidden in ("<script", "alert('x')", "onerror", "onclick", "javascript:", "<iframe"):
        assert forbidden not in lowered
    assert 'href="https://vbpl.vn/"' in html and 'alt="ảnh"' in html


def test_module_html_is_stored_and_served_not_rerendered(client, make, login, course, monkeypatch):
    trainer = make.user(Role.TRAINER)
    login(client, trainer)
    module = course.active_modules[0]

    def explode(*args, **kwargs):
        raise AssertionError("module pages must serve the stored HTML")

    monkeypatch.setattr("lms.courses.rendering.render_markdown", explode)
    monkeypatch.setattr("lms.courses.revisions.render_markdown", explode)
    response = client.get(f"/courses/{course.slug}/modules/{module.key}")
    assert response.status_code == 200


def test_cli_refuses_malformed_content_with_file_line_and_exit_code(runner, tmp_path):
    folder = Factories.course_folder(tmp_path)
    (folder / "course.yml").write_text("title: [\n", encoding="utf-8")
    result = runner.invoke(args=["lms", "import-content", str(folder)])
    assert result.exit_code != 0
    assert "khoa-thu/course.yml:" in result.output
    assert db.session.scalar(select(func.count(Course.id))) == 0


def test_publishing_content_is_recorded_in_the_audit_log_and_an_unchanged_reimport_is_not(tmp_path, app):
    from lms.audit.models import AuditEvent

    folder = Factories.course_folder(tmp_path)
    services.import_content(folder)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "content.publish")).all()
    assert len(events) == 1 and events[0].after["published"] == ["mot", "hai"]
    services.import_content(folder)  # nothing changed: nothing to record
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "content.publish")) == 1
    (folder / "02-hai.md").write_text("---\nid: hai\ntitle: Bài hai\n---\n## Phần chính\n\nNội dung sửa.\n",
                                      encoding="utf-8")
    services.import_content(folder)
    latest = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "content.publish")
                                .order_by(AuditEvent.id.desc())).first()
    assert latest.after["published"] == ["hai"]
