"""export-course writes a course back in the content/ format: import → export → import gives the same
course, for every shipped course, and the files a module shows come back byte for byte."""
from __future__ import annotations

import io
import zipfile
from dataclasses import asdict
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.courses import services
from lms.courses.content_files import load_content
from lms.courses.export import export_course
from lms.courses.models import Course
from lms.extensions import db
from tests.factories import Factories

CONTENT = Path(__file__).resolve().parent.parent / "content"
SHIPPED = sorted(p.name for p in CONTENT.iterdir() if (p / "course.yml").is_file())


def comparable(spec) -> dict:
    """What a course is, without where its files happened to be or what they were called."""
    def quiz(q):
        return None if q is None else {k: v for k, v in asdict(q).items() if k not in ("path", "line")} | {
            "draw": [(r.category, r.count) for r in q.draw]}
    return {
        "course": (spec.slug, spec.title, spec.summary, spec.language, spec.enrolment, spec.edition_of,
                   spec.certificate_validity_months, spec.legal_basis_as_of),
        "modules": [(m.key, m.title, m.minutes, m.required, m.source_markdown, quiz(m.quiz)) for m in spec.modules],
        "questions": sorted((q.key, q.qtype, q.category, q.tags, q.points, q.prompt_markdown,
                             q.explanation_markdown, q.legal_source, repr(q.spec)) for q in spec.questions),
        "final_exam": quiz(spec.final_exam),
    }


@pytest.mark.parametrize("slug", SHIPPED)
def test_import_export_import_gives_the_same_course(slug, app, runner, tmp_path):
    services.import_content(CONTENT)
    result = runner.invoke(args=["lms", "export-course", slug, str(tmp_path)])
    assert result.exit_code == 0, result.output
    [original] = [s for s in load_content(CONTENT) if s.slug == slug]
    [exported] = load_content(tmp_path / slug)
    assert comparable(exported) == comparable(original)
    report = services.import_content(tmp_path / slug)
    assert report.modules_revised == 0 and report.modules_created == 0
    assert report.questions_created == 0 and report.questions_updated == 0 and report.questions_retired == 0


def test_export_refuses_to_overwrite_and_names_an_unknown_course(app, runner, tmp_path):
    original = next(s for s in load_content(CONTENT) if s.edition_of is None).slug
    services.import_content(CONTENT / original)
    (tmp_path / original).mkdir()
    again = runner.invoke(args=["lms", "export-course", original, str(tmp_path)])
    assert again.exit_code != 0 and "already exists" in again.output
    unknown = runner.invoke(args=["lms", "export-course", "khong-co", str(tmp_path)])
    assert unknown.exit_code != 0


def test_the_images_a_module_shows_are_exported_at_their_paths(app, tmp_path):
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    folder = Factories.course_folder(tmp_path / "in", modules={
        "01-mot.md": "---\nid: mot\ntitle: Bài một\n---\n## Sơ đồ\n\n![Quy trình](hinh/quy-trinh.png) và "
                     "[bài hai](02-hai.md)\n",
        "02-hai.md": "---\nid: hai\ntitle: Bài hai\n---\n## Nội dung\n\nBài hai.\n"})
    (folder / "hinh").mkdir()
    (folder / "hinh" / "quy-trinh.png").write_bytes(image)
    services.import_content(folder)
    course = db.session.scalar(select(Course).where(Course.slug == folder.name))
    exported = export_course(course, tmp_path / "out")
    assert (exported / "hinh" / "quy-trinh.png").read_bytes() == image
    assert comparable(load_content(exported)[0]) == comparable(load_content(folder)[0])


def test_an_admin_downloads_a_course_as_a_zip_that_imports_as_the_same_course(client, make, login, tmp_path):
    original = next(s for s in load_content(CONTENT) if s.edition_of is None)
    services.import_content(CONTENT / original.slug)
    login(client, make.admin())
    response = client.get(f"/courses/{original.slug}/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    zipfile.ZipFile(io.BytesIO(response.data)).extractall(tmp_path)
    [exported] = load_content(tmp_path / original.slug)
    assert comparable(exported) == comparable(original)
