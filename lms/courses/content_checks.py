"""`check-content`: what a reviewer checks before a course reaches trainees, beyond what import refuses.

Import already refuses what cannot be stored (broken YAML, missing files, bad questions, links to files
that do not exist). These checks add what makes a course wrong rather than unreadable: a module with
nothing but headings, an anchor that leads nowhere, a module without its legal basis, a question whose
source names no article, and an edition in another language that has drifted from its original (other
modules, other question ids, other answers).
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l

from lms.courses.content_files import (COURSE_FILE, ContentError, ContentProblem, CourseSpec, ModuleSpec,
                                       load_content, line_of)
from lms.courses.rendering import is_local, local_path, references_and_anchors, render_markdown

LINK_SCHEMES = {"http", "https", "mailto"}
# "Điều 94", "khoản 1 Điều 94", "Article 94(1)", "Articles 5 and 25", "Art. 17"; a historical event is cited
# by the date of its document.
ARTICLE_RE = re.compile(r"(Điều|Articles?|Arts?\.?)\s*\d+|\b\d{1,2}/\d{1,2}/\d{4}\b", re.IGNORECASE)
LEGAL_BASIS_HEADINGS = {"vi": "Căn cứ pháp lý", "en": "Legal basis"}
HEADING_LINE_RE = re.compile(r"^\s{0,3}#{1,6}\s.*$", re.MULTILINE)


def check_content(path: Path) -> tuple[list[CourseSpec], list[ContentProblem]]:
    """Every course under `path` (a content folder or one course folder): the courses read, and every
    problem found. An edition checked on its own is compared with its original in the sibling folder."""
    path = Path(path)
    try:
        specs = load_content(path)
    except ContentError as error:
        return [], error.problems
    root = path if not (path / COURSE_FILE).is_file() else path.parent
    problems: list[ContentProblem] = []
    for spec in specs:
        problems += _check_course(spec)
    by_slug = {spec.slug: spec for spec in specs}
    for spec in specs:
        if spec.edition_of is None:
            continue
        original = by_slug.get(spec.edition_of) or _load_sibling(root, spec.edition_of, spec, problems)
        if original is not None:
            problems += compare_editions(original, spec)
    return specs, problems


def _load_sibling(root: Path, slug: str, edition: CourseSpec, problems: list[ContentProblem]):
    try:
        found = load_content(root / slug) if (root / slug / COURSE_FILE).is_file() else []
    except ContentError as error:
        problems += error.problems
        return None
    if not found:
        problems.append(_problem(edition, COURSE_FILE, None, _l(
            "edition_of names %(slug)s, but there is no such course folder next to this one.", slug=slug)))
        return None
    return found[0]


def _problem(spec: CourseSpec, file: str, line: int | None, message) -> ContentProblem:
    return ContentProblem(f"{spec.path}/{file}", line, message)


def _module_file(module: ModuleSpec) -> str:
    return Path(module.path).name


# --- one course ------------------------------------------------------------------------------------------

def _check_course(spec: CourseSpec) -> list[ContentProblem]:
    problems: list[ContentProblem] = []
    parsed = {_module_file(m): references_and_anchors(m.source_markdown) for m in spec.modules}
    anchors = {file: module_anchors for file, (_references, module_anchors) in parsed.items()}
    for module in spec.modules:
        file = _module_file(module)
        module_path = spec.folder / file if spec.folder else Path(file)
        prose = HEADING_LINE_RE.sub("", module.source_markdown)
        if render_markdown(prose).word_count == 0:
            problems.append(_problem(spec, file, None, _l("The module has headings but no text.")))
        heading = LEGAL_BASIS_HEADINGS.get(spec.language)
        if heading and not re.search(rf"^##+\s+(\d+\.\s*)?{re.escape(heading)}\s*$", module.source_markdown,
                                     re.MULTILINE | re.IGNORECASE):
            problems.append(_problem(spec, file, None, _l(
                "The module has no %(heading)s section naming the legal texts it rests on.",
                heading=repr("## " + heading))))
        references, own_anchors = parsed[file]
        for reference in references:
            problem = _check_reference(reference.url, own_anchors, anchors)
            if problem is not None:
                problems.append(_problem(spec, file, line_of(module_path, reference.url), problem))
    for question in spec.questions:
        if not ARTICLE_RE.search(question.legal_source):
            problems.append(_problem(spec, question.origin, question.line, _l(
                "The source of question %(key)s names no article (e.g. 'Điều 94' / 'Article 94') or dated "
                "document.", key=question.key)))
    return problems


def _check_reference(url: str, own_anchors: set[str], anchors: dict[str, set[str]]):
    parts = urlsplit(url)
    if url.startswith("#"):
        if parts.fragment not in own_anchors:
            return _l("The link %(url)s leads to no heading of this module.", url=repr(url))
        return None
    if is_local(url):
        target = local_path(url)
        if target in anchors and parts.fragment and parts.fragment not in anchors[target]:
            return _l("The link %(url)s leads to no heading of that module.", url=repr(url))
        return None  # files and module links were checked when the course was read
    if parts.scheme not in LINK_SCHEMES:
        return _l("The link %(url)s will be removed: only https:, http: and mailto: links are kept.",
                  url=repr(url))
    if parts.scheme in {"http", "https"} and not parts.netloc:
        return _l("The link %(url)s names no web site.", url=repr(url))
    return None


# --- editions --------------------------------------------------------------------------------------------

def compare_editions(original: CourseSpec, edition: CourseSpec) -> list[ContentProblem]:
    """An edition teaches the same course in another language: the same modules in the same order, the
    same quizzes, the same question ids with the same answers. Only the words may differ."""
    problems: list[ContentProblem] = []

    def add(file: str, line: int | None, message) -> None:
        problems.append(_problem(edition, file, line, message))

    if edition.language == original.language:
        add(COURSE_FILE, None, _l("An edition must be in another language than its original (%(language)s).",
                                  language=original.language))
    original_ids = [m.key for m in original.modules]
    edition_ids = [m.key for m in edition.modules]
    if edition_ids != original_ids:
        add(COURSE_FILE, None, _l("The modules differ from %(slug)s: it has %(theirs)s, this edition has "
                                  "%(ours)s.", slug=original.slug, theirs=", ".join(original_ids),
                                  ours=", ".join(edition_ids)))
    theirs = {m.key: m for m in original.modules}
    for module in edition.modules:
        other = theirs.get(module.key)
        if other is None:
            continue
        if module.required != other.required:
            add(_module_file(module), None, _l("required differs from the original module."))
        if _quiz_rules(module.quiz) != _quiz_rules(other.quiz):
            add(_module_file(module), None, _l("The quiz settings differ from the original module's."))
    if _quiz_rules(edition.final_exam) != _quiz_rules(original.final_exam):
        add(COURSE_FILE, None, _l("The final exam settings differ from the original's."))
    _compare_questions(original, edition, add)
    return problems


def _quiz_rules(quiz) -> tuple | None:
    """What a quiz asks of a trainee, without its title (which is translated) or where it was written."""
    if quiz is None:
        return None
    return (quiz.pass_mark, quiz.time_limit_minutes, quiz.max_attempts, quiz.wait_minutes, quiz.grading,
            quiz.review, tuple((rule.category, rule.count) for rule in quiz.draw))


def _answer_shape(question) -> tuple:
    """Everything about a question's answer that does not depend on the language it is written in."""
    spec = question.spec
    if "options" in spec:
        shape = tuple(option["weight"] for option in spec["options"])
        return shape, spec.get("shuffle"), spec.get("scoring")
    if "pairs" in spec:
        rights = [pair["right"] for pair in spec["pairs"]]
        # Which pairs share an answer (one authority deciding several awards), not the words themselves.
        return tuple(rights.index(r) for r in rights), len(spec["distractors"]), spec["scoring"]
    if "items" in spec:
        return len(spec["items"]), spec["scoring"]
    if "answers" in spec and spec["answers"] and "min" in spec["answers"][0]:
        return tuple((answer["min"], answer["max"]) for answer in spec["answers"])
    if "answer" in spec:
        return (spec["answer"],)
    return ()  # short answers are words: they are translated


def _compare_questions(original: CourseSpec, edition: CourseSpec, add) -> None:
    theirs = {q.key: q for q in original.questions}
    ours = {q.key: q for q in edition.questions}
    for key in sorted(theirs.keys() - ours.keys()):
        add(theirs[key].origin, None, _l("The question %(key)s of the original is missing here.", key=key))
    for question in edition.questions:
        other = theirs.get(question.key)
        if other is None:
            add(question.origin, question.line, _l("The question %(key)s is not in the original %(slug)s.",
                                                   key=question.key, slug=original.slug))
            continue
        for what, mine, original_value in ((_l("type"), question.qtype, other.qtype),
                                           (_l("category"), question.category, other.category),
                                           (_l("points"), question.points, other.points),
                                           (_l("answer"), _answer_shape(question), _answer_shape(other))):
            if mine != original_value:
                add(question.origin, question.line, _l(
                    "The question %(key)s differs from the original in its %(what)s.", key=question.key,
                    what=what))
                break

