"""`check-content`: the shipped courses pass it, and each problem it exists to catch is caught."""
from __future__ import annotations

import textwrap
from pathlib import Path
from urllib.parse import urljoin

import pytest
from sqlalchemy import func, select

from lms.courses import services
from lms.courses.content_checks import check_content
from lms.courses.content_files import ContentError, load_content
from lms.courses.models import Course, Module
from lms.extensions import db
from lms.quizzes.results import final_exam_of
from lms.certificates import services as certificate_services
from tests.certificate_helpers import complete_course, pdf_text

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"

VI_MODULE = """\
---
id: {key}
title: Bài {key}
minutes: 5
quiz:
  draw:
    - category: {key}
      count: 1
---
## Mục tiêu bài học

Nêu được nội dung chính của bài {key}. Xem [phần căn cứ](#can-cu-phap-ly).

## Căn cứ pháp lý

Luật Thi đua, khen thưởng 2022, Điều 94.
"""
EN_MODULE = VI_MODULE.replace("Bài", "Module").replace("## Mục tiêu bài học", "## Learning objectives") \
    .replace("Nêu được nội dung chính của bài", "State the main points of module") \
    .replace("[phần căn cứ](#can-cu-phap-ly)", "[the legal basis](#legal-basis)") \
    .replace("## Căn cứ pháp lý", "## Legal basis") \
    .replace("Luật Thi đua, khen thưởng 2022, Điều 94", "Law on Emulation and Commendation 2022, Article 94")

VI_BANK = """\
category: {key}
questions:
  - id: {key}-hieu-luc
    type: single
    prompt: Luật có hiệu lực từ ngày nào?
    options:
      - text: "01/01/2024"
        correct: true
      - text: "15/6/2022"
    explanation: Khoản 1 Điều 94.
    source: "Luật Thi đua, khen thưởng 2022, khoản 1 Điều 94"
  - id: {key}-so-dieu
    type: numeric
    prompt: Luật có bao nhiêu điều?
    answer: 96
    explanation: Luật có 96 điều.
    source: "Luật Thi đua, khen thưởng 2022, Điều 96"
"""
EN_BANK = VI_BANK.replace("Luật có hiệu lực từ ngày nào?", "When did the Law take effect?") \
    .replace("Luật có bao nhiêu điều?", "How many articles does the Law have?") \
    .replace("Khoản 1 Điều 94.", "Article 94(1).").replace("Luật có 96 điều.", "It has 96 articles.") \
    .replace("Luật Thi đua, khen thưởng 2022, khoản 1 Điều 94", "Law on Emulation and Commendation 2022, Article 94(1)") \
    .replace("Luật Thi đua, khen thưởng 2022, Điều 96", "Law on Emulation and Commendation 2022, Article 96")


def write_pair(root: Path) -> tuple[Path, Path]:
    """A two-module Vietnamese course and its English edition, both correct."""
    for slug, language, module, bank, extra in (("khoa-goc", "vi", VI_MODULE, VI_BANK, ""),
                                                ("original-edition", "en", EN_MODULE, EN_BANK,
                                                 "edition_of: khoa-goc\n")):
        folder = root / slug
        (folder / "questions").mkdir(parents=True)
        (folder / "course.yml").write_text(f"title: Khóa {slug}\nlanguage: {language}\n{extra}" + textwrap.dedent("""\
            final_exam:
              draw:
                - category: mot
                  count: 1
                - category: hai
                  count: 1
            modules:
              - 01-mot.md
              - 02-hai.md
            """), encoding="utf-8")
        for number, key in (("01", "mot"), ("02", "hai")):
            (folder / f"{number}-{key}.md").write_text(module.format(key=key), encoding="utf-8")
            (folder / "questions" / f"{number}-{key}.yml").write_text(bank.format(key=key), encoding="utf-8")
    return root / "khoa-goc", root / "original-edition"


def problems(path: Path) -> list[str]:
    return [str(problem) for problem in check_content(path)[1]]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


# --- the shipped courses -----------------------------------------------------------------------------------

def test_the_shipped_content_passes_check_content_from_the_command_line(runner):
    result = runner.invoke(args=["lms", "check-content"])
    assert result.exit_code == 0, result.output
    assert "no problems" in result.output


def test_every_shipped_course_has_an_english_edition_and_the_question_banks_the_issue_asks_for(app):
    specs = load_content(CONTENT)
    originals = [s for s in specs if s.edition_of is None]
    editions = {s.edition_of: s for s in specs if s.edition_of}
    assert len(originals) >= 2
    assert all(s.language == "vi" for s in originals)
    assert {s.slug for s in originals} == set(editions), "every course has an English edition"
    assert all(e.language == "en" for e in editions.values())
    total = 0
    for spec in originals:
        assert spec.final_exam is not None, f"{spec.slug} has no final exam"
        drawn_categories = {rule.category for rule in spec.final_exam.draw}
        for module in spec.modules:
            in_module = [q for q in spec.questions if q.category == module.key]
            assert len(in_module) >= 10, f"{module.key}: {len(in_module)} questions"
            assert module.quiz is not None, f"{module.key} has no quiz"
            assert module.key in drawn_categories, f"the final exam never asks about {module.key}"
            words = len(module.source_markdown.split())
            assert 1500 <= words <= 4000, f"{module.key}: {words} words"
        total += len(spec.questions)
        types = {q.qtype for q in spec.questions}
        assert {"single", "multiple", "true-false", "numeric", "matching", "ordering"} <= types, spec.slug
    assert total >= 100


@pytest.mark.parametrize("slug", sorted(p.name for p in CONTENT.iterdir() if (p / "course.yml").is_file()))
def test_a_trainee_can_complete_every_shipped_course_and_is_certified(slug, make):
    services.import_content(CONTENT)
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    enrolment = complete_course(make.trainee(), course)
    assert final_exam_of(course.id) is not None
    assert enrolment.completed_at is not None
    progress = services.progress_for([enrolment])[enrolment.id]
    assert progress.complete and progress.total == len(course.active_modules)
    certificate = certificate_services.current_certificate(enrolment.id)
    text = " ".join(pdf_text(certificate_services.stored_pdf(certificate)).split())
    assert " ".join(course.title.split()) in text
    # An English edition's certificate translates its labels; a Vietnamese one stays Vietnamese.
    assert ("has completed the training course" in text) == (course.language == "en")


def test_importing_all_courses_links_each_edition_to_its_original(app):
    services.import_content(CONTENT)
    editions = list(db.session.scalars(select(Course).where(Course.edition_of_id.is_not(None))))
    assert editions
    for edition in editions:
        assert edition.original.language == "vi" and edition.language == "en"
        assert [m.key for m in edition.active_modules] == [m.key for m in edition.original.active_modules]


# --- what check-content catches -----------------------------------------------------------------------

def test_a_matching_pair_of_editions_has_no_problems(tmp_path, app):
    write_pair(tmp_path)
    assert problems(tmp_path) == []


def test_an_edition_checked_on_its_own_is_compared_with_its_original_next_to_it(tmp_path, app):
    _original, edition = write_pair(tmp_path)
    assert problems(edition) == []
    edit(edition / "questions" / "01-mot.yml", "answer: 96", "answer: 95")
    found = problems(edition)
    assert len(found) == 1 and "mot-so-dieu" in found[0] and "original-edition/questions/01-mot.yml" in found[0]


def test_an_edition_whose_answers_drift_from_the_original_is_reported(tmp_path, app):
    _original, edition = write_pair(tmp_path)
    bank = edition / "questions" / "02-hai.yml"
    edit(bank, '      - text: "01/01/2024"\n        correct: true\n      - text: "15/6/2022"\n',
         '      - text: "01/01/2024"\n      - text: "15/6/2022"\n        correct: true\n')
    found = problems(tmp_path)
    assert len(found) == 1 and "hai-hieu-luc" in found[0] and "02-hai.yml" in found[0]


def test_missing_and_extra_questions_and_modules_in_an_edition_are_reported(tmp_path, app):
    original, edition = write_pair(tmp_path)
    edit(edition / "questions" / "01-mot.yml", "id: mot-so-dieu", "id: mot-so-chuong")
    edit(edition / "course.yml", "  - 02-hai.md\n", "")
    edit(edition / "course.yml", "    - category: hai\n      count: 1\n", "")
    (edition / "questions" / "02-hai.yml").unlink()
    found = "\n".join(problems(tmp_path))
    assert "mot-so-dieu" in found and "mot-so-chuong" in found
    assert "hai-hieu-luc" in found  # the questions of the module left out
    assert "modules differ" in found.lower() or "mô-đun" in found.lower() or "bài học" in found.lower()
    assert "final exam" in found.lower() or "cuối khóa" in found.lower()


def test_quiz_settings_that_differ_between_editions_are_reported(tmp_path, app):
    _original, edition = write_pair(tmp_path)
    edit(edition / "01-mot.md", "quiz:\n", "quiz:\n  pass_mark: 50\n")
    found = problems(tmp_path)
    assert len(found) == 1 and "01-mot.md" in found[0]


def test_an_edition_in_the_same_language_or_of_an_unknown_course_is_reported(tmp_path, app):
    _original, edition = write_pair(tmp_path)
    edit(edition / "course.yml", "language: en", "language: vi")
    assert any("original-edition/course.yml" in p for p in problems(tmp_path))
    edit(edition / "course.yml", "edition_of: khoa-goc", "edition_of: khoa-khong-co")
    assert any("khoa-khong-co" in p for p in problems(edition))


def test_a_module_with_only_headings_is_reported(tmp_path, app):
    original, _edition = write_pair(tmp_path)
    (original / "02-hai.md").write_text(
        "---\nid: hai\ntitle: Bài hai\nquiz:\n  draw:\n    - category: hai\n      count: 1\n---\n"
        "## Mục tiêu bài học\n\n## Căn cứ pháp lý\n", encoding="utf-8")
    found = problems(tmp_path)
    assert len(found) == 1 and "khoa-goc/02-hai.md" in found[0]


def test_a_module_without_its_legal_basis_section_is_reported(tmp_path, app):
    original, _edition = write_pair(tmp_path)
    edit(original / "01-mot.md", "## Căn cứ pháp lý", "## Tài liệu")
    edit(original / "01-mot.md", "(#can-cu-phap-ly)", "(#tai-lieu)")
    found = problems(tmp_path)
    assert len(found) == 1 and "01-mot.md" in found[0] and "Căn cứ pháp lý" in found[0]


def test_links_to_missing_headings_and_unsafe_links_are_reported_with_their_line(tmp_path, app):
    original, _edition = write_pair(tmp_path)
    edit(original / "01-mot.md", "(#can-cu-phap-ly)", "(#khong-co) và [bài hai](02-hai.md#khong-co) và "
                                                      "[lạ](javascript:alert(1)) và [web](https:///x)")
    found = problems(tmp_path)
    assert len(found) == 4
    assert all(p.startswith("khoa-goc/01-mot.md:12:") for p in found), found


def test_a_question_source_without_an_article_is_reported(tmp_path, app):
    original, edition = write_pair(tmp_path)
    edit(original / "questions" / "01-mot.yml", 'source: "Luật Thi đua, khen thưởng 2022, Điều 96"',
         'source: "Luật Thi đua, khen thưởng"')
    found = problems(tmp_path)
    assert len(found) == 1 and "mot-so-dieu" in found[0]


def test_the_command_fails_and_lists_every_problem(tmp_path, runner):
    original, _edition = write_pair(tmp_path)
    edit(original / "01-mot.md", "(#can-cu-phap-ly)", "(#khong-co)")
    result = runner.invoke(args=["lms", "check-content", str(tmp_path)])
    assert result.exit_code != 0
    assert "01-mot.md:12" in result.output and "1 problem" in result.output


# --- links, images and editions on the platform --------------------------------------------------------

def test_broken_local_links_and_external_images_are_refused_at_import_and_nothing_is_written(tmp_path, app):
    original, _edition = write_pair(tmp_path)
    edit(original / "01-mot.md", "(#can-cu-phap-ly)", "(03-ba.md) ![sơ đồ](hinh/so-do.png) "
                                                      "![ngoài](https://example.org/a.png) [tệp](../ngoai.pdf)")
    with pytest.raises(ContentError) as caught:
        services.import_content(tmp_path)
    messages = [str(p) for p in caught.value.problems]
    assert len(messages) == 4 and all(m.startswith("khoa-goc/01-mot.md:12") for m in messages), messages
    assert db.session.scalar(select(func.count(Course.id))) == 0


def test_images_and_module_links_in_a_module_are_served_to_enrolled_trainees(tmp_path, make, login, app):
    original, edition = write_pair(tmp_path)
    png = (ROOT / "lms" / "static" / "img").glob("*.png")
    image = next(iter(png), None)
    data = image.read_bytes() if image else b"\x89PNG\r\n\x1a\n" + b"0" * 64
    (original / "hinh").mkdir()
    (original / "hinh" / "so-do.png").write_bytes(data)
    edit(original / "01-mot.md", "(#can-cu-phap-ly)", "(#can-cu-phap-ly) ![Sơ đồ quy trình](hinh/so-do.png) "
                                                      "[Bài hai](02-hai.md#can-cu-phap-ly)")
    services.import_content(tmp_path)
    course = db.session.scalar(select(Course).where(Course.slug == "khoa-goc"))
    trainee = make.trainee()
    client = app.test_client()
    login(client, trainee)
    page = client.get(f"/courses/{course.slug}/modules/mot")
    assert page.status_code == 302, "not enrolled yet"
    services.enrol(trainee, course)
    html = client.get(f"/courses/{course.slug}/modules/mot").get_data(as_text=True)
    assert 'href="hai#can-cu-phap-ly"' in html
    src = html.split('alt="Sơ đồ quy trình" src="', 1)[1].split('"', 1)[0]
    assert src.startswith("../files/") and src.endswith("/so-do.png")
    address = urljoin(f"/courses/{course.slug}/modules/mot", src)  # as the browser resolves it
    assert address.startswith(f"/courses/{course.slug}/files/")
    served = client.get(address)
    assert served.status_code == 200 and served.data == data and served.mimetype == "image/png"
    outsider = app.test_client()
    login(outsider, make.trainee())
    assert outsider.get(address).status_code == 404


def test_the_catalogue_offers_one_edition_in_the_readers_language_and_links_the_other(tmp_path, make, login,
                                                                                       client):
    write_pair(tmp_path)
    services.import_content(tmp_path)
    login(client, make.trainee())
    vietnamese = client.get("/courses").get_data(as_text=True)
    assert "Khóa khoa-goc" in vietnamese and "Khóa original-edition" not in vietnamese
    assert 'href="/courses/original-edition"' in vietnamese and ">English</a>" in vietnamese
    client.post("/language", data={"lang": "en"})
    english = client.get("/courses").get_data(as_text=True)
    assert "Khóa original-edition" in english and "Khóa khoa-goc" not in english
    assert ">Tiếng Việt</a>" in english
    course_page = client.get("/courses/original-edition").get_data(as_text=True)
    assert 'href="/courses/khoa-goc"' in course_page and 'lang="en"' in course_page


def test_the_edition_a_trainee_studies_is_the_one_shown_whatever_the_interface_language(tmp_path, make, login,
                                                                                         client):
    write_pair(tmp_path)
    services.import_content(tmp_path)
    trainee = make.trainee()
    services.enrol(trainee, db.session.scalar(select(Course).where(Course.slug == "original-edition")))
    login(client, trainee)
    catalogue = client.get("/courses").get_data(as_text=True)
    assert "Khóa original-edition" in catalogue and "Khóa khoa-goc" not in catalogue
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Khóa khoa-goc" not in dashboard, "not offered again in the other language"


def test_an_edition_of_a_course_that_does_not_exist_is_refused_at_import(tmp_path, app):
    _original, edition = write_pair(tmp_path)
    with pytest.raises(ContentError) as caught:
        services.import_content(edition)
    assert "khoa-goc" in str(caught.value)
    assert db.session.scalar(select(func.count(Module.id))) == 0
    services.import_content(tmp_path / "khoa-goc")
    services.import_content(edition)  # the original is on the platform now
    assert db.session.scalar(select(Course).where(Course.slug == "original-edition")).original.slug == "khoa-goc"
