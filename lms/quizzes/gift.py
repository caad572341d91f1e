"""Moodle GIFT: reading the banks trainers already hold in Moodle, and writing ours back.

The reader follows Moodle's own importer (question/format/gift/format.php): questions are separated by
blank lines, `//` lines are comments, `::name::` names a question, `[markdown]` sets the text format,
`{...}` holds the answers and `####` the general feedback, `\\` escapes the control characters ~ = # { } :
and `\\n` is a new line. Moodle's comment tags `// [id:...]` and `// [tag:...]` are read, and so are our own
`// lms:source=...` style comments, which carry what GIFT has no syntax for (legal source, points,
scoring), so that exporting a bank and importing it again gives the same questions.
"""
from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from lms.courses.rendering import vietnamese_slugify
from lms.quizzes import grading as g
from lms.quizzes.bank_files import QuestionSpec

# Escaped characters become private-use placeholders while the structure is parsed.
_ESCAPES = {"\\:": "\ue001", "\\#": "\ue002", "\\=": "\ue003", "\\{": "\ue004", "\\}": "\ue005",
            "\\~": "\ue006", "\\n": "\ue007"}
_UNESCAPE = {"\ue001": ":", "\ue002": "#", "\ue003": "=", "\ue004": "{", "\ue005": "}", "\ue006": "~",
             "\ue007": "\n", "\ue000": "\\"}
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_FORMAT = re.compile(r"^\[(markdown|html|plain|moodle)\]")
_META = re.compile(r"^//\s*lms:(\w+)=(.*)$")
_MOODLE_TAGS = re.compile(r"\[(id|tag):([^\]]+)\]")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
GIFT_ORIGIN = "gift"


@dataclass(frozen=True)
class GiftProblem:
    line: int
    message: object
    unsupported: bool = False  # a real question the platform cannot represent, not a broken one

    def __str__(self) -> str:
        return f"{self.line}: {self.message}"


@dataclass
class GiftParse:
    questions: list[QuestionSpec] = field(default_factory=list)
    problems: list[GiftProblem] = field(default_factory=list)

    @property
    def errors(self) -> list[GiftProblem]:
        return [p for p in self.problems if not p.unsupported]

    @property
    def unsupported(self) -> list[GiftProblem]:
        return [p for p in self.problems if p.unsupported]


def _escape_pre(text: str) -> str:
    text = text.replace("\\\\", "\ue000")
    for escaped, placeholder in _ESCAPES.items():
        text = text.replace(escaped, placeholder)
    return text


def _unescape(text: str) -> str:
    for placeholder, char in _UNESCAPE.items():
        text = text.replace(placeholder, char)
    return text


def _chunks(text: str):
    """(first line number, lines) of each blank-line-separated block."""
    start, lines = None, []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            if start is None:
                start = number
            lines.append(line)
        elif lines:
            yield start, lines
            start, lines = None, []
    if lines:
        yield start, lines


def _text_with_format(text: str, default: str = "moodle") -> tuple[str, str]:
    text = text.strip()
    match = _FORMAT.match(text)
    if match:
        return _unescape(text[match.end():]).strip(), match.group(1)
    return _unescape(text).strip(), default


def _as_markdown(text: str, fmt: str) -> str:
    """Our prompts are Markdown (sanitised when rendered); Moodle's other formats become Markdown."""
    if fmt in ("markdown", "html"):
        return text
    if fmt == "plain":
        text = html.escape(text, quote=False)
        text = re.sub(r"([\\`*_\[\]#+!|])", r"\\\1", text)
    return "  \n".join(text.split("\n"))  # Moodle's auto-format keeps line breaks


def _plain(text: str) -> str:
    """Option texts are shown as plain text."""
    return _text_with_format(text)[0]


def _split_feedback(answer: str) -> tuple[str, str]:
    text, _sep, feedback = answer.partition("#")
    return _plain(text), _plain(feedback)


def _weight(answer: str, default: float) -> tuple[float, str]:
    match = _WEIGHT.match(answer)
    if not match:
        return default, answer
    return g.round_weight(float(match.group(1)) / 100), answer[match.end():]


def _question_id(name: str | None, prompt: str, taken: set[str]) -> str:
    base = vietnamese_slugify(name, "-")[:90].strip("-") if name else ""
    if not base:
        base = "gift-" + hashlib.sha1(prompt.encode("utf-8")).hexdigest()[:10]
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    taken.add(key)
    return key


def _category_name(raw: str) -> str:
    parts = [p.strip() for p in raw.split("/") if p.strip()]
    parts = [p for p in parts if not (p.startswith("$") and p.endswith("$")) and p != "top"]
    return (parts[-1] if parts else "gift")[:100]


def parse_gift(text: str, category: str | None = None) -> GiftParse:
    """Parse a whole GIFT file. `category` puts every question in one category ($CATEGORY is ignored)."""
    result = GiftParse()
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n"))
    current_category = category or "gift"
    taken: set[str] = set()
    for line, lines in _chunks(text):
        meta, tags, body_lines = {}, [], []
        for raw in lines:
            stripped = raw.strip()
            if stripped.startswith("//"):
                if match := _META.match(stripped):
                    meta[match.group(1)] = _unescape(_escape_pre(match.group(2))).strip()
                for kind, value in _MOODLE_TAGS.findall(stripped):
                    if kind == "tag":
                        tags.append(value.strip())
                    else:
                        meta.setdefault("id", value.strip())
                continue
            body_lines.append(raw)
        body = _escape_pre("\n".join(body_lines).strip())
        if not body:
            continue
        first_line = line + next(i for i, raw in enumerate(lines) if raw.strip() and not
                                 raw.strip().startswith("//"))
        if body.startswith("$CATEGORY:"):
            if category is None:
                current_category = _category_name(_unescape(body[len("$CATEGORY:"):]))
            continue
        question = _parse_question(body, first_line, current_category, meta, tags, taken, result)
        if question is not None:
            result.questions.append(question)
    return result


def _parse_question(body: str, line: int, category: str, meta: dict, tags: list[str], taken: set[str],
                    result: GiftParse) -> QuestionSpec | None:
    def problem(message, unsupported: bool = False) -> None:
        result.problems.append(GiftProblem(line, message, unsupported))

    name = None
    if body.startswith("::"):
        end = body.find("::", 2)
        if end != -1:
            name, body = _unescape(body[2:end]).strip(), body[end + 2:].strip()
    start, finish = body.find("{"), body.find("}")
    if start == -1 and finish == -1:
        problem(_l("A text without answers (a Moodle description) is not a question; it was not imported."),
                unsupported=True)
        return None
    if start == -1 or finish == -1 or finish < start:
        problem(_l("The braces { } around the answers do not match."))
        return None
    if body[finish + 1:].strip():
        problem(_l("Answers in the middle of the text (a gap to fill) cannot be shown here; write the "
                   "question with the answers at the end."), unsupported=True)
        return None
    answers = body[start + 1:finish].strip()
    prompt, fmt = _text_with_format(body[:start])
    if not prompt:
        problem(_l("The question has no text."))
        return None
    general_feedback = ""
    if "####" in answers:
        answers, _sep, feedback = answers.rpartition("####")
        answers = answers.strip()
        text, feedback_format = _text_with_format(feedback, fmt)
        general_feedback = _as_markdown(text, feedback_format)
    if not answers:
        problem(_l("An essay question (empty answers) cannot be graded automatically; it was not imported."),
                unsupported=True)
        return None
    kind, spec = _read_answers(answers, meta, problem)
    if spec is None:
        return None
    points = meta.get("points", "1")
    try:
        points_value = float(points)
    except ValueError:
        points_value = 0
    if not 0 < points_value <= 100:
        problem(_l("points must be a number above 0."))
        return None
    meta_tags = [t.strip() for t in meta.get("tags", "").split(",") if t.strip()]
    key = meta.get("id") or ""
    if re.fullmatch(r"[a-z0-9][a-z0-9-]{0,99}", key) and key not in taken:
        taken.add(key)  # an id Moodle or our export wrote wins over one made from the name
    else:
        key = _question_id(name, prompt, taken)
    return QuestionSpec(
        key=key,
        qtype=kind, category=meta.get("category", category)[:100], tags=tags + meta_tags, points=points_value,
        prompt_markdown=_as_markdown(prompt, fmt), explanation_markdown=general_feedback,
        legal_source=meta.get("source", ""), spec=spec, origin=GIFT_ORIGIN, line=line)


def _read_answers(answers: str, meta: dict, problem) -> tuple[str, dict | None]:
    if answers.startswith("#"):
        return g.NUMERIC, _numeric(answers[1:], problem)
    if "~" in answers:
        return _choice(answers, meta, problem)
    if "=" in answers and "->" in answers:
        return g.MATCHING, _matching(answers, meta, problem)
    head = answers.split("#", 1)[0].strip()
    if head in _TRUE_FALSE:
        _head, wrong, right = (answers.split("#", 2) + ["", ""])[:3]
        truth = _TRUE_FALSE[head]
        feedback_true, feedback_false = (_plain(right), _plain(wrong)) if truth else (_plain(wrong), _plain(right))
        return g.TRUE_FALSE, {"answer": truth, "feedback_true": feedback_true, "feedback_false": feedback_false}
    return g.SHORT_ANSWER, _short_answer(answers, problem)


def _split_answers(answers: str, marker: str) -> list[str]:
    return [a.strip() for a in answers.split(marker) if a.strip()]


def _scoring(meta: dict, default: str) -> str:
    return meta.get("scoring") if meta.get("scoring") in g.SCORING_RULES else default


def _choice(answers: str, meta: dict, problem) -> tuple[str, dict | None]:
    single = "=" in answers  # Moodle: one answer is 100 % right, so the trainee picks one
    options = []
    for n, raw in enumerate(_split_answers(answers.replace("=", "~="), "~"), start=1):
        if raw.startswith("="):
            weight, raw = 1.0, raw[1:]
        else:
            weight, raw = _weight(raw, 0.0)
        if not -1 <= weight <= 1:
            problem(_l("A weight must be between -100% and 100%."))
            return g.SINGLE, None
        text, feedback = _split_feedback(raw)
        options.append({"id": f"o{n}", "text": text, "weight": weight, "feedback": feedback})
    if len(options) < 2:
        problem(_l("A multiple-choice question needs at least two answers."))
        return g.SINGLE, None
    if not any(o["weight"] > 0 for o in options):
        problem(_l("No answer is marked right (= or a positive %weight%)."))
        return g.SINGLE, None
    shuffle = meta.get("shuffle", "true") != "false"
    if single:
        for option in options:
            option["weight"] = max(0.0, option["weight"])
        return g.SINGLE, {"options": options, "shuffle": shuffle}
    return g.MULTIPLE, {"options": options, "shuffle": shuffle, "scoring": _scoring(meta, g.PARTIAL)}


def _matching(answers: str, meta: dict, problem) -> dict | None:
    pairs, distractors = [], []
    for raw in _split_answers(answers, "="):
        if "->" not in raw:
            problem(_l("Each matching answer is written '=left -> right'."))
            return None
        left, _sep, right = raw.partition("->")
        left, right = _plain(left), _plain(right)
        if not right:
            problem(_l("Each matching answer is written '=left -> right'."))
            return None
        if left:
            pairs.append({"id": f"p{len(pairs) + 1}", "left": left, "right": right})
        else:
            distractors.append(right)
    if len(pairs) < 2:
        problem(_l("A matching question needs at least two pairs."))
        return None
    return {"pairs": pairs, "distractors": distractors, "scoring": _scoring(meta, g.PARTIAL)}


def _short_answer(answers: str, problem) -> dict | None:
    accepted = []
    for raw in _split_answers(answers, "="):
        weight, raw = _weight(raw, 1.0)
        text, feedback = _split_feedback(raw)
        if text:
            accepted.append({"text": text, "weight": weight, "feedback": feedback})
    if not accepted:
        problem(_l("A short-answer question needs at least one accepted answer."))
        return None
    return {"answers": accepted}


def _number(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


def _numeric(answers: str, problem) -> dict | None:
    answers = answers.split("~", 1)[0]  # "~#feedback" for any other number: shown by Moodle, not graded
    result = []
    for raw in _split_answers(answers, "=") if "=" in answers else [answers.strip()]:
        weight, raw = _weight(raw, 1.0)
        value_text, _sep, feedback = raw.partition("#")
        value_text = _unescape(value_text).strip()
        if ".." in value_text.lstrip("-")[1:] or (".." in value_text and not value_text.startswith("..")):
            low, _sep, high = value_text.partition("..")
            low_value, high_value = _number(low), _number(high)
            if low_value is None or high_value is None or low_value > high_value:
                problem(_l("A numeric answer is a number, number:margin or lowest..highest."))
                return None
            entry = {"value": None, "tolerance": None, "min": low_value, "max": high_value}
        else:
            number, _sep, margin = value_text.partition(":")
            value, tolerance = _number(number), _number(margin) if margin else 0.0
            if value is None or tolerance is None or tolerance < 0:
                problem(_l("A numeric answer is a number, number:margin or lowest..highest."))
                return None
            entry = {"value": value, "tolerance": tolerance, "min": value - tolerance,
                     "max": value + tolerance}
        entry.update(weight=weight, feedback=_plain(feedback))
        result.append(entry)
    if not result:
        problem(_l("A numeric question needs a number after #."))
        return None
    return {"answers": result}


# --- writing ---------------------------------------------------------------------------------------------

def _escape(text: str) -> str:
    """Moodle's repchar: escape the control characters and keep each question on its lines."""
    text = text.replace("\\", "\\\\")
    for char in "~=#{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\r", "").replace("\n", "\\n")


def _percent(weight: float) -> str:
    return f"{weight * 100:.5f}".rstrip("0").rstrip(".")


def _number_text(value: float) -> str:
    return g.format_number(value)


def write_question(question) -> str | None:
    """One question (a Question row or anything with the same fields) as GIFT; None for an ordering
    question, which GIFT cannot express."""
    spec, kind = question.spec, question.qtype
    if kind == g.ORDERING:
        return None
    lines = []
    if question.legal_source:
        lines.append(f"// lms:source={question.legal_source.replace(chr(10), ' ')}")
    if question.points != 1:
        lines.append(f"// lms:points={_number_text(question.points)}")
    if kind in (g.MULTIPLE, g.MATCHING):
        lines.append(f"// lms:scoring={spec['scoring']}")
    if kind in (g.SINGLE, g.MULTIPLE) and not spec.get("shuffle", True):
        lines.append("// lms:shuffle=false")
    tags = " ".join(f"[tag:{t}]" for t in question.tags)
    lines.append(f"// [id:{question.key}]" + (f" {tags}" if tags else ""))
    answers = []
    if kind in (g.SINGLE, g.MULTIPLE):
        for option in spec["options"]:
            if kind == g.SINGLE and option["weight"] == 1:
                mark = "="
            elif option["weight"] == 0:
                mark = "~"
            else:
                mark = f"~%{_percent(option['weight'])}%"
            answers.append(mark + _escape(option["text"]) + (f"#{_escape(option['feedback'])}"
                                                             if option.get("feedback") else ""))
    elif kind == g.TRUE_FALSE:
        right, wrong = ((spec["feedback_true"], spec["feedback_false"]) if spec["answer"]
                        else (spec["feedback_false"], spec["feedback_true"]))
        head = "TRUE" if spec["answer"] else "FALSE"
        if wrong or right:
            head += f"#{_escape(wrong)}" + (f"#{_escape(right)}" if right else "")
        answers.append(head)
    elif kind == g.SHORT_ANSWER:
        for answer in spec["answers"]:
            mark = "=" if answer["weight"] == 1 else f"=%{_percent(answer['weight'])}%"
            answers.append(mark + _escape(answer["text"]) + (f"#{_escape(answer['feedback'])}"
                                                             if answer.get("feedback") else ""))
    elif kind == g.NUMERIC:
        answers.append("#")
        for answer in spec["answers"]:
            value = (f"{_number_text(answer['min'])}..{_number_text(answer['max'])}" if answer["value"] is None
                     else f"{_number_text(answer['value'])}:{_number_text(answer['tolerance'])}")
            mark = "=" if answer["weight"] == 1 else f"=%{_percent(answer['weight'])}%"
            answers.append(mark + value + (f"#{_escape(answer['feedback'])}" if answer.get("feedback") else ""))
    elif kind == g.MATCHING:
        answers.extend(f"={_escape(p['left'])} -> {_escape(p['right'])}" for p in spec["pairs"])
        answers.extend(f"= -> {_escape(d)}" for d in spec.get("distractors", []))
    if question.explanation_markdown:
        answers.append("####" + _escape(question.explanation_markdown))
    head = f"::{_escape(question.key)}::[markdown]{_escape(question.prompt_markdown)}"
    if kind == g.NUMERIC:
        body = "{#\n" + "\n".join("\t" + a for a in answers[1:]) + "\n}"
    else:
        body = "{\n" + "\n".join("\t" + a for a in answers) + "\n}"
    return "\n".join(lines + [head + body])


def write_gift(questions) -> tuple[str, list[str]]:
    """A whole bank as GIFT, grouped by category; returns the text and the ids left out (ordering)."""
    blocks, skipped, category = [], [], None
    for question in sorted(questions, key=lambda q: (q.category, q.key)):
        text = write_question(question)
        if text is None:
            skipped.append(question.key)
            continue
        if question.category != category:
            category = question.category
            blocks.append(f"$CATEGORY: $course$/top/{category}")
        blocks.append(text)
    return "\n\n".join(blocks) + "\n", skipped
