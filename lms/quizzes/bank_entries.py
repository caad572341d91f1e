"""One question or quiz-settings entry from the browser editor, read by the bank files' own readers: the
browser accepts exactly what a content import accepts, with the same messages, each tied to its field."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from lms.courses.content_files import _Collector, _Mapping, _parse_yaml
from lms.quizzes.bank_files import QUESTIONS_DIR, QuestionSpec, QuizSpec, _load_question, load_quiz

@dataclass(frozen=True)
class EntryProblem:
    """A problem with an entry the browser editor built, named by the bank-file key it falls under."""

    key: str | None  # "options", "source", …; None when it concerns the entry as a whole
    message: object


def _read_entry(entry: dict, path: Path, out: _Collector):
    """The entry written out and read back as a bank file would be, so every reader and message is the
    bank files' own and each problem carries the line of the key it concerns."""
    return _parse_yaml(yaml.safe_dump(entry, allow_unicode=True, sort_keys=False), path, out)


def _entry_problems(out: _Collector, data) -> list[EntryProblem]:
    """Each problem under the last top-level key written at or before its line. List every key the editor
    has (empty when blank), so that "the question needs source" is reported at source."""
    starts = sorted((line, key) for key, line in data.key_lines.items()) if isinstance(data, _Mapping) else []
    problems = []
    for problem in out.problems:
        under = [key for line, key in starts if problem.line is not None and line <= problem.line]
        problems.append(EntryProblem(under[-1] if under else None, problem.message))
    return problems


def read_question_entry(entry: dict, *, default_category: str) -> tuple[QuestionSpec | None, list[EntryProblem]]:
    """One question given as the dict a bank file holds ("id", "type", "prompt", "options", …), checked
    exactly as a question in questions/*.yml is: the spec, or (None and) every problem."""
    path = Path(QUESTIONS_DIR) / "editor.yml"
    out = _Collector(Path("."))
    data = _read_entry(entry, path, out)
    question = _load_question(data, 1, default_category, path, out) if data is not None else None
    problems = _entry_problems(out, data)
    return (None if problems else question), problems


def read_quiz_entry(entry: dict, *, key: str, default_title: str,
                    module_key: str | None) -> tuple[QuizSpec | None, list[EntryProblem]]:
    """A quiz's settings given as a `quiz:` (or `final_exam:`) block, checked as in the course files."""
    path = Path("quiz.yml")
    out = _Collector(Path("."))
    data = _read_entry(entry, path, out)
    quiz = load_quiz(data, key=key, default_title=default_title, module_key=module_key,
                     default_category=module_key, path=path, out=out, line=1) if data is not None else None
    problems = _entry_problems(out, data)
    return (None if problems else quiz), problems

