"""A course written back as a content/ folder (course.yml, module files, question banks, the files its
modules show), so a course edited on the platform can be reviewed, versioned and imported elsewhere;
import → export → import gives the same course."""
from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path

import yaml
from sqlalchemy import select

from lms.courses.models import Course, Module
from lms.courses.rendering import is_local, local_path, references_and_anchors
from lms.courses.services import COURSE_FILE_PREFIX, published_revision
from lms.extensions import db
from lms.quizzes.bank_export import question_entry, quiz_settings
from lms.quizzes.models import Question, Quiz
from lms.storage import get_storage

SERVED_FILE_RE = re.compile(r'(?:src|href)="\.\./files/([0-9a-f]{32})/[^"]*"')


class _Dumper(yaml.SafeDumper):
    pass


def _text(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _yaml(data) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=110)


def module_file_name(position: int, module: Module) -> str:
    """The name it was imported (or created) under, so links between modules keep working."""
    return module.file_name or f"{position:02d}-{module.key}.md"


def export_course(course: Course, destination: Path) -> Path:
    """Write the course into destination/<slug>/ (which must not exist yet) and return that folder."""
    folder = Path(destination) / course.slug
    if folder.exists():
        raise FileExistsError(f"{folder} already exists; export into an empty place")
    (folder / "questions").mkdir(parents=True)
    quizzes = {q.key: q for q in db.session.scalars(select(Quiz).where(Quiz.course_id == course.id,
                                                                        Quiz.retired.is_(False)))}
    modules = course.active_modules
    names = [module_file_name(n, m) for n, m in enumerate(modules, start=1)]
    for name, module in zip(names, modules, strict=True):
        _write_module(folder, name, module, quizzes.get(module.key))
    _write_banks(course, folder, modules, names)
    settings: dict = {"title": course.title}
    if course.summary:
        settings["summary"] = course.summary
    settings["language"] = course.language
    if course.original is not None:
        settings["edition_of"] = course.original.slug
    settings["enrolment"] = course.enrolment_policy.value
    if course.certificate_validity_months:
        settings["certificate_validity_months"] = course.certificate_validity_months
    if course.legal_basis_as_of:
        settings["legal_basis_as_of"] = course.legal_basis_as_of
    if "final-exam" in quizzes:
        settings["final_exam"] = quiz_settings(quizzes["final-exam"])
    settings["modules"] = names
    (folder / "course.yml").write_text(_yaml(settings), encoding="utf-8")
    return folder


def _write_module(folder: Path, name: str, module: Module, quiz: Quiz | None) -> None:
    revision = published_revision(module)
    front: dict = {"id": module.key, "title": module.title, "minutes": module.minutes}
    if not module.required:
        front["required"] = False
    if quiz is not None:
        front["quiz"] = quiz_settings(quiz)
    (folder / name).write_text(f"---\n{_yaml(front)}---\n{revision.source_markdown}", encoding="utf-8")
    _write_course_files(folder, revision.source_markdown, revision.body_html)


def _write_course_files(folder: Path, source: str, html: str) -> None:
    """The images and PDFs a module shows, back at the paths its Markdown names. The stored page names
    them by digest in the same order as the Markdown does, which pairs each path with its bytes."""
    references, _anchors = references_and_anchors(source)
    paths = [local_path(r.url) for r in references if is_local(r.url) and not r.url.split("#")[0].endswith(".md")]
    digests = SERVED_FILE_RE.findall(html)
    storage = get_storage()
    for path, digest in zip(paths, digests, strict=False):
        if path is None:
            continue
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(storage.load(COURSE_FILE_PREFIX + digest))


def _write_banks(course: Course, folder: Path, modules: list[Module], module_names: list[str]) -> None:
    questions = db.session.scalars(select(Question).where(Question.course_id == course.id,
                                                          Question.retired.is_(False)).order_by(Question.id))
    by_category: dict[str, list[Question]] = {}
    for question in questions:
        by_category.setdefault(question.category, []).append(question)
    file_of = {m.key: name.removesuffix(".md") + ".yml" for m, name in zip(modules, module_names, strict=True)}
    for category, members in by_category.items():
        bank = {"category": category, "questions": [question_entry(q, category) for q in members]}
        name = file_of.get(category, f"{category}.yml")
        (folder / "questions" / name).write_text(_yaml(bank), encoding="utf-8")


def course_zip(course: Course) -> bytes:
    """The exported folder as a zip (SLUG/… inside), for the browser download."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = export_course(course, Path(scratch))
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    bundle.write(path, path.relative_to(folder.parent).as_posix())
        return out.getvalue()
