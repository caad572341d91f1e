"""Reading and checking course folders (the content/ format) before anything touches the database.

Everything is parsed and validated first and every problem is collected with its file and line, so an
author sees all of them at once and a broken course never half-imports.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from urllib.parse import urlsplit

import yaml
from flask_babel import lazy_gettext as _l

from lms.courses.rendering import (COURSE_FILE_MAX_BYTES, COURSE_FILE_TYPES, is_local, local_path,
                                   references_and_anchors)

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
COURSE_FILE = "course.yml"
COURSE_KEYS = {"title", "summary", "language", "enrolment", "certificate_validity_months",
               "legal_basis_as_of", "modules", "final_exam", "edition_of"}
MODULE_KEYS = {"id", "title", "minutes", "required", "quiz"}
LANGUAGES = {"vi", "en"}
ENROLMENT_POLICIES = {"open", "assigned"}
WORDS_READ_PER_MINUTE = 200


@dataclass(frozen=True)
class ContentProblem:
    path: str
    line: int | None
    message: object  # a lazy string, rendered in the reader's language

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class ContentError(Exception):
    def __init__(self, problems: list[ContentProblem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class ModuleSpec:
    key: str
    title: str
    minutes: int
    required: bool
    source_markdown: str
    path: str
    quiz: object = None  # a quizzes.bank_files.QuizSpec when the module ends with a quiz
    files: dict[str, bytes] = field(default_factory=dict)  # course-folder files it shows or links to


@dataclass
class CourseSpec:
    slug: str
    title: str
    summary: str
    language: str
    enrolment: str
    certificate_validity_months: int | None
    legal_basis_as_of: str
    edition_of: str | None = None  # the slug of the course this one translates (same modules and questions)
    modules: list[ModuleSpec] = field(default_factory=list)
    path: str = ""
    folder: Path | None = None
    questions: list = field(default_factory=list)  # quizzes.bank_files.QuestionSpec
    final_exam: object = None  # quizzes.bank_files.QuizSpec


# --- YAML that remembers where each key and list item was written -------------------------------------

class _Mapping(dict):
    line: int = 0
    key_lines: dict


class _Sequence(list):
    item_lines: list


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Mapping:
    mapping = _Mapping()
    mapping.line, mapping.key_lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.MarkedYAMLError(problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _Sequence:
    seq = _Sequence(loader.construct_object(child, deep=True) for child in node.value)
    seq.item_lines = [child.start_mark.line + 1 for child in node.value]
    return seq


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class _Collector:
    def __init__(self, root: Path):
        self.root = root
        self.problems: list[ContentProblem] = []

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def add(self, path: Path, line: int | None, message) -> None:
        self.problems.append(ContentProblem(self.rel(path), line, message))


def _read_text(path: Path, out: _Collector) -> str | None:
    try:
        raw = path.read_bytes()
    except OSError:
        out.add(path, None, _l("The file cannot be read."))
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        out.add(path, line, _l("The file is not UTF-8 text; save it as UTF-8."))
        return None
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n"))


def _parse_yaml(text: str, path: Path, out: _Collector, line_offset: int = 0):
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + line_offset) if mark else None
        out.add(path, line, _l("This is not valid YAML: %(problem)s", problem=exc.problem or exc))
    except yaml.YAMLError as exc:
        out.add(path, None, _l("This is not valid YAML: %(problem)s", problem=str(exc)))
    return None


def _check_keys(data: _Mapping, allowed: set[str], path: Path, out: _Collector, offset: int = 0) -> None:
    for key in data:
        if key not in allowed:
            out.add(path, data.key_lines[key] + offset,
                    _l("Unknown setting %(key)s; allowed: %(allowed)s.", key=repr(key),
                       allowed=", ".join(sorted(allowed))))


def _text_field(data: _Mapping, key: str, path: Path, out: _Collector, *, required: bool,
                offset: int = 0) -> str:
    value = data.get(key)
    if value is None:
        if required:
            out.add(path, data.line + offset, _l("The setting %(key)s is required.", key=key))
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        out.add(path, data.key_lines[key] + offset, _l("%(key)s must be text.", key=key))
        return ""
    return value.strip()


def find_course_dirs(path: Path) -> list[Path]:
    """A course folder itself, or a content folder holding one course per sub-folder."""
    if (path / COURSE_FILE).is_file():
        return [path]
    return sorted(p for p in path.iterdir() if p.is_dir() and (p / COURSE_FILE).is_file())


def load_content(path: Path) -> list[CourseSpec]:
    """Parse every course under `path`, or raise ContentError listing every problem found."""
    path = Path(path)
    # Problems are reported relative to the folder that holds the courses, so "course/file:line" reads well.
    root = path if path.is_dir() and not (path / COURSE_FILE).is_file() else path.parent
    out = _Collector(root)
    if not path.is_dir():
        out.add(path, None, _l("No such folder."))
        raise ContentError(out.problems)
    course_dirs = find_course_dirs(path)
    if not course_dirs:
        out.add(path, None, _l("No course found: a course is a folder with a %(file)s.", file=COURSE_FILE))
    specs = [spec for d in course_dirs if (spec := _load_course(d, out)) is not None]
    if out.problems:
        raise ContentError(out.problems)
    return specs


def _load_course(folder: Path, out: _Collector) -> CourseSpec | None:
    course_file = folder / COURSE_FILE
    if not SLUG_RE.fullmatch(folder.name):
        out.add(folder, None, _l("A course folder name uses lower-case letters, digits and dashes "
                                 "(it becomes the course's address)."))
    text = _read_text(course_file, out)
    data = _parse_yaml(text, course_file, out) if text is not None else None
    if text is not None and data is not None and not isinstance(data, _Mapping):
        out.add(course_file, 1, _l("%(file)s must be a set of 'key: value' settings.", file=COURSE_FILE))
        return None
    if data is None:
        return None
    _check_keys(data, COURSE_KEYS, course_file, out)
    spec = CourseSpec(
        slug=folder.name,
        title=_text_field(data, "title", course_file, out, required=True),
        summary=_text_field(data, "summary", course_file, out, required=False),
        language=_choice(data, "language", LANGUAGES, "vi", course_file, out),
        enrolment=_choice(data, "enrolment", ENROLMENT_POLICIES, "open", course_file, out),
        certificate_validity_months=_validity(data, course_file, out),
        legal_basis_as_of=_text_field(data, "legal_basis_as_of", course_file, out, required=False),
        edition_of=_edition_of(data, folder.name, course_file, out),
        path=out.rel(folder),
        folder=folder,
    )
    spec.modules = _load_modules(folder, data, course_file, out)
    # Question banks and quiz settings are the quizzes package's format; it reads them with our helpers.
    from lms.quizzes import bank_files

    spec.questions = bank_files.load_banks(folder, out)
    if "final_exam" in data:
        spec.final_exam = bank_files.load_quiz(
            data["final_exam"], key=bank_files.FINAL_EXAM_KEY, default_title=spec.title, module_key=None,
            default_category=None, path=course_file, out=out, line=data.key_lines["final_exam"])
    return spec


def _choice(data: _Mapping, key: str, choices: set[str], default: str, path: Path, out: _Collector) -> str:
    value = data.get(key, default)
    if value not in choices:
        out.add(path, data.key_lines.get(key, data.line),
                _l("%(key)s must be one of: %(choices)s.", key=key, choices=", ".join(sorted(choices))))
        return default
    return value


def _edition_of(data: _Mapping, own_slug: str, path: Path, out: _Collector) -> str | None:
    value = data.get("edition_of")
    if value is None:
        return None
    if not isinstance(value, str) or not SLUG_RE.fullmatch(value) or value == own_slug:
        out.add(path, data.key_lines["edition_of"],
                _l("edition_of must be the folder name of the course this one is an edition of."))
        return None
    return value


def _validity(data: _Mapping, path: Path, out: _Collector) -> int | None:
    value = data.get("certificate_validity_months")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        out.add(path, data.key_lines["certificate_validity_months"],
                _l("certificate_validity_months must be a whole number of months, or left out for "
                   "certificates that never expire."))
        return None
    return value


def _load_modules(folder: Path, data: _Mapping, course_file: Path, out: _Collector) -> list[ModuleSpec]:
    listed = data.get("modules")
    if not isinstance(listed, _Sequence) or not listed:
        out.add(course_file, data.key_lines.get("modules", data.line),
                _l("modules must list the course's module files in order."))
        return []
    modules: list[ModuleSpec] = []
    seen_files: set[str] = set()
    key_origin: dict[str, str] = {}
    module_paths: dict[str, Path] = {}
    for name, line in zip(listed, listed.item_lines, strict=True):
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9._-]+\.md", name):
            out.add(course_file, line, _l("%(name)s is not a module file name (a .md file in the course "
                                          "folder).", name=repr(name)))
            continue
        if name in seen_files:
            out.add(course_file, line, _l("%(name)s is listed twice.", name=name))
            continue
        seen_files.add(name)
        module_path = folder / name
        if not module_path.is_file():
            out.add(course_file, line, _l("The module file %(name)s does not exist.", name=name))
            continue
        module = _load_module(module_path, out)
        if module is None:
            continue
        if module.key in key_origin:
            out.add(module_path, 1, _l("The module id %(key)s is already used by %(other)s.",
                                       key=module.key, other=key_origin[module.key]))
            continue
        key_origin[module.key] = out.rel(module_path)
        module_paths[module.key] = module_path
        modules.append(module)
    for module in modules:
        _read_local_files(folder, module, module_paths[module.key], seen_files, out)
    return modules


def line_of(path: Path, needle: str) -> int | None:
    """The first line of a file that mentions `needle`, to point an author at a link or image."""
    try:
        for number, line in enumerate(path.read_text("utf-8-sig").splitlines(), start=1):
            if needle in line:
                return number
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _read_local_files(folder: Path, module: ModuleSpec, module_path: Path, module_files: set[str],
                      out: _Collector) -> None:
    """Every link and image that names a place in the course folder must lead somewhere: to a listed
    module, or to a file the platform can serve. External images are refused: the platform runs on closed
    networks where they would not load."""
    references, _anchors = references_and_anchors(module.source_markdown)
    for reference in references:
        url = reference.url
        parts = urlsplit(url)
        if reference.kind == "image" and (parts.scheme or parts.netloc or not url):
            out.add(module_path, line_of(module_path, url) if url else None,
                    _l("The image %(url)s must be a file in the course folder (the platform runs on closed "
                       "networks, where images from elsewhere do not load).", url=repr(url)))
            continue
        if not is_local(url):
            continue
        path = local_path(url)
        line = line_of(module_path, url)
        if path is None:
            out.add(module_path, line, _l("%(url)s points outside the course folder.", url=repr(url)))
            continue
        if path in module_files:
            if reference.kind == "image":
                out.add(module_path, line, _l("%(url)s is a module, not an image.", url=repr(url)))
            continue
        target = (folder / path)
        suffix = target.suffix.lower()
        if not target.is_file() or target.name == COURSE_FILE or suffix in {".md", ".yml", ".yaml"}:
            out.add(module_path, line, _l("%(url)s leads neither to a module of this course (a file listed in "
                                          "course.yml) nor to a file in its folder.", url=repr(url)))
        elif suffix not in COURSE_FILE_TYPES:
            out.add(module_path, line, _l("%(url)s: a module can show PNG, JPEG, GIF or WebP images and link "
                                          "to PDF files.", url=repr(url)))
        elif target.stat().st_size > COURSE_FILE_MAX_BYTES:
            out.add(module_path, line, _l("%(url)s is larger than %(mb)d MB.", url=repr(url),
                                          mb=COURSE_FILE_MAX_BYTES // (1024 * 1024)))
        else:
            module.files[path] = target.read_bytes()


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """(front matter, body, line where the body starts) or None when the file has no front matter."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1:]), index + 2
    return None


def _load_module(path: Path, out: _Collector) -> ModuleSpec | None:
    text = _read_text(path, out)
    if text is None:
        return None
    parts = split_front_matter(text)
    if parts is None:
        out.add(path, 1, _l("A module starts with front matter between two '---' lines (title, minutes)."))
        return None
    front_text, body, body_line = parts
    # The front matter starts on line 2 of the file.
    data = _parse_yaml(front_text, path, out, line_offset=1)
    if data is None:
        if front_text.strip() == "":
            out.add(path, 2, _l("The front matter is empty; it needs at least a title."))
        return None
    if not isinstance(data, _Mapping):
        out.add(path, 2, _l("The front matter must be a set of 'key: value' settings."))
        return None
    _check_keys(data, MODULE_KEYS, path, out, offset=1)
    title = _text_field(data, "title", path, out, required=True, offset=1)
    key = data.get("id", path.stem)
    if not isinstance(key, str) or not SLUG_RE.fullmatch(key) or key == "final-exam":
        out.add(path, data.key_lines.get("id", 0) + 1 if "id" in data else 1,
                _l("The module id %(key)s must use lower-case letters, digits and dashes.", key=repr(key)))
        return None
    minutes = data.get("minutes")
    if minutes is None:
        minutes = max(1, round(len(body.split()) / WORDS_READ_PER_MINUTE))
    elif isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
        out.add(path, data.key_lines["minutes"] + 1, _l("minutes must be a whole number."))
        return None
    required = data.get("required", True)
    if not isinstance(required, bool):
        out.add(path, data.key_lines["required"] + 1, _l("required must be true or false."))
        return None
    if not body.strip():
        out.add(path, body_line, _l("The module has no text after its front matter."))
        return None
    quiz = None
    if "quiz" in data:
        from lms.quizzes import bank_files

        quiz = bank_files.load_quiz(data["quiz"], key=key, default_title=title, module_key=key,
                                    default_category=key, path=path, out=out, offset=1,
                                    line=data.key_lines["quiz"] + 1)
    return ModuleSpec(key=key, title=title, minutes=minutes, required=required,
                      source_markdown=body.strip("\n") + "\n", path=out.rel(path), quiz=quiz)
