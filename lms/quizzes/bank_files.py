"""Reading question banks (content/<course>/questions/*.yml) and quiz settings (a module's `quiz:` block,
the course's `final_exam:` block), with every problem reported by file and line before anything is saved.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import lazy_gettext as _l

from lms.courses.content_files import (SLUG_RE, _check_keys, _Collector, _Mapping, _parse_yaml, _read_text,
                                       _Sequence)
from lms.quizzes import grading as g

QUESTIONS_DIR = "questions"
FINAL_EXAM_KEY = "final-exam"
COMMON_KEYS = {"id", "type", "category", "tags", "points", "prompt", "explanation", "source"}
TYPE_KEYS = {
    g.SINGLE: {"options", "shuffle"},
    g.MULTIPLE: {"options", "shuffle", "scoring"},
    g.TRUE_FALSE: {"answer"},
    g.SHORT_ANSWER: {"answers"},
    g.NUMERIC: {"answer", "tolerance", "range"},
    g.MATCHING: {"pairs", "distractors", "scoring"},
    g.ORDERING: {"items", "scoring"},
}
OPTION_KEYS = {"text", "correct", "feedback", "weight"}
QUIZ_KEYS = {"title", "draw", "pass_mark", "time_limit_minutes", "max_attempts", "wait_minutes", "grading",
             "review"}
GRADING_METHODS = ("highest", "last")
REVIEW_POLICIES = ("after-each", "after-pass", "never")


@dataclass
class QuestionSpec:
    key: str
    qtype: str
    category: str
    tags: list[str]
    points: float
    prompt_markdown: str
    explanation_markdown: str
    legal_source: str
    spec: dict
    origin: str = ""
    line: int | None = None


@dataclass
class DrawRuleSpec:
    category: str
    count: int | None  # None: every question of the category
    line: int | None = None


@dataclass
class QuizSpec:
    key: str
    title: str
    module_key: str | None
    pass_mark: int = 70
    time_limit_minutes: int | None = None
    max_attempts: int | None = None
    wait_minutes: int = 0
    grading: str = "highest"
    review: str = "after-each"
    draw: list[DrawRuleSpec] = field(default_factory=list)
    path: str = ""
    line: int | None = None


# --- quiz settings ---------------------------------------------------------------------------------------

def _whole_number(data: _Mapping, key: str, path: Path, out: _Collector, offset: int, *, minimum: int,
                  maximum: int | None = None, default=None):
    value = data.get(key, default)
    if value is default:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (
            maximum is not None and value > maximum):
        limits = f"{minimum}–{maximum}" if maximum is not None else f"≥ {minimum}"
        out.add(path, data.key_lines[key] + offset,
                _l("%(key)s must be a whole number (%(limits)s).", key=key, limits=limits))
        return default
    return value


def _one_of(data: _Mapping, key: str, choices: tuple[str, ...], default: str, path: Path, out: _Collector,
            offset: int = 0) -> str:
    value = data.get(key, default)
    if value not in choices:
        out.add(path, data.key_lines.get(key, data.line) + offset,
                _l("%(key)s must be one of: %(choices)s.", key=key, choices=", ".join(choices)))
        return default
    return value


def load_quiz(block, *, key: str, default_title: str, module_key: str | None, default_category: str | None,
              path: Path, out: _Collector, offset: int = 0, line: int | None = None) -> QuizSpec | None:
    """A `quiz:` or `final_exam:` block. `offset` turns front-matter lines into file lines."""
    if not isinstance(block, _Mapping):
        out.add(path, line, _l("The quiz settings must be a set of 'key: value' settings."))
        return None
    _check_keys(block, QUIZ_KEYS, path, out, offset)
    title = block.get("title", default_title)
    if not isinstance(title, str) or not title.strip():
        out.add(path, block.key_lines.get("title", block.line) + offset, _l("title must be text."))
        title = default_title
    quiz = QuizSpec(
        key=key, title=title.strip(), module_key=module_key, path=out.rel(path), line=block.line + offset,
        pass_mark=_whole_number(block, "pass_mark", path, out, offset, minimum=1, maximum=100, default=70),
        time_limit_minutes=_whole_number(block, "time_limit_minutes", path, out, offset, minimum=1,
                                         maximum=600),
        max_attempts=_whole_number(block, "max_attempts", path, out, offset, minimum=1, maximum=100),
        wait_minutes=_whole_number(block, "wait_minutes", path, out, offset, minimum=0, maximum=525600,
                                   default=0),
        grading=_one_of(block, "grading", GRADING_METHODS, "highest", path, out, offset),
        review=_one_of(block, "review", REVIEW_POLICIES, "after-each", path, out, offset),
    )
    draw = block.get("draw")
    if draw is None:
        if default_category is None:
            out.add(path, block.line + offset, _l("The final exam needs draw: the categories and how many "
                                                  "questions to draw from each."))
        else:
            quiz.draw = [DrawRuleSpec(category=default_category, count=None, line=block.line + offset)]
        return quiz
    if not isinstance(draw, _Sequence) or not draw:
        out.add(path, block.key_lines["draw"] + offset,
                _l("draw must list categories, each with a count: '- category: name' and 'count: 5'."))
        return quiz
    seen: set[str] = set()
    for rule, rule_line in zip(draw, draw.item_lines, strict=True):
        rule_line += offset
        if not isinstance(rule, _Mapping):
            out.add(path, rule_line, _l("Each draw rule is 'category: name' with 'count: N'."))
            continue
        _check_keys(rule, {"category", "count"}, path, out, offset)
        category = rule.get("category")
        count = rule.get("count")
        if not isinstance(category, str) or not category.strip():
            out.add(path, rule_line, _l("The draw rule needs a category."))
            continue
        if category in seen:
            out.add(path, rule_line, _l("The category %(name)s is drawn from twice.", name=category))
            continue
        seen.add(category)
        if "count" not in rule:  # every active question of the category, as a module quiz without draw:
            quiz.draw.append(DrawRuleSpec(category=category.strip(), count=None, line=rule_line))
            continue
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            out.add(path, rule_line, _l("count must be a whole number of questions (at least 1)."))
            continue
        quiz.draw.append(DrawRuleSpec(category=category.strip(), count=count, line=rule_line))
    return quiz


# --- question banks --------------------------------------------------------------------------------------

def load_banks(folder: Path, out: _Collector) -> list[QuestionSpec]:
    bank_dir = folder / QUESTIONS_DIR
    if not bank_dir.is_dir():
        return []
    questions: list[QuestionSpec] = []
    origin: dict[str, str] = {}
    for path in sorted(bank_dir.iterdir()):
        if path.suffix not in (".yml", ".yaml") or not path.is_file():
            continue
        for question in _load_bank(path, out):
            where = f"{out.rel(path)}:{question.line}"
            if question.key in origin:
                out.add(path, question.line, _l("The question id %(key)s is already used at %(other)s.",
                                                key=question.key, other=origin[question.key]))
                continue
            origin[question.key] = where
            questions.append(question)
    return questions


def _load_bank(path: Path, out: _Collector) -> list[QuestionSpec]:
    text = _read_text(path, out)
    data = _parse_yaml(text, path, out) if text is not None else None
    if data is None:
        if text is not None and not text.strip():
            out.add(path, 1, _l("The question bank is empty."))
        return []
    if not isinstance(data, _Mapping) or not isinstance(data.get("questions"), _Sequence):
        out.add(path, 1, _l("A question bank has 'questions:' followed by a list of questions."))
        return []
    _check_keys(data, {"category", "questions"}, path, out)
    default_category = data.get("category", path.stem)
    if not isinstance(default_category, str) or not default_category.strip():
        out.add(path, data.key_lines.get("category", 1), _l("category must be text."))
        default_category = path.stem
    questions = []
    for item, line in zip(data["questions"], data["questions"].item_lines, strict=True):
        question = _load_question(item, line, default_category.strip(), path, out)
        if question is not None:
            question.origin = f"{QUESTIONS_DIR}/{path.name}"
            questions.append(question)
    return questions


class _Problems:
    """Collects a question's problems so that one broken question is reported whole and skipped."""

    def __init__(self, path: Path, out: _Collector):
        self.path, self.out, self.count = path, out, 0

    def add(self, line: int | None, message) -> None:
        self.count += 1
        self.out.add(self.path, line, message)


def _text(item: _Mapping, key: str, problems: _Problems, *, required: bool) -> str:
    value = item.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems.add(item.key_lines.get(key, item.line), _l("The question needs %(key)s.", key=key))
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        problems.add(item.key_lines[key], _l("%(key)s must be text.", key=key))
        return ""
    return value.strip()


def _load_question(item, line: int, default_category: str, path: Path, out: _Collector) -> QuestionSpec | None:
    problems = _Problems(path, out)
    if not isinstance(item, _Mapping):
        problems.add(line, _l("Each question is a set of 'key: value' settings starting with '- id:'."))
        return None
    key = item.get("id")
    if not isinstance(key, str) or not SLUG_RE.fullmatch(key):
        problems.add(item.key_lines.get("id", line),
                     _l("The question id %(key)s must use lower-case letters, digits and dashes.",
                        key=repr(key)))
    kind = item.get("type")
    if kind not in g.QUESTION_TYPES:
        problems.add(item.key_lines.get("type", line),
                     _l("type must be one of: %(choices)s.", choices=", ".join(g.QUESTION_TYPES)))
        return None
    _check_keys(item, COMMON_KEYS | TYPE_KEYS[kind], path, out)
    category = item.get("category", default_category)
    if not isinstance(category, str) or not category.strip() or len(category) > 100:
        problems.add(item.key_lines.get("category", line), _l("category must be text."))
        category = default_category
    tags = item.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        problems.add(item.key_lines.get("tags", line), _l("tags must be a list of words."))
        tags = []
    points = item.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 < points <= 100:
        problems.add(item.key_lines.get("points", line), _l("points must be a number above 0."))
        points = 1
    prompt = _text(item, "prompt", problems, required=True)
    explanation = _text(item, "explanation", problems, required=True)
    source = _text(item, "source", problems, required=True)
    spec = _SPEC_READERS[kind](item, problems)
    if problems.count or spec is None:
        return None
    return QuestionSpec(key=key, qtype=kind, category=category.strip(), tags=[t.strip() for t in tags],
                        points=float(points), prompt_markdown=prompt, explanation_markdown=explanation,
                        legal_source=source, spec=spec, line=line)


def _scoring(item: _Mapping, default: str, problems: _Problems) -> str:
    value = item.get("scoring", default)
    if value not in g.SCORING_RULES:
        problems.add(item.key_lines.get("scoring", item.line),
                     _l("scoring must be one of: %(choices)s.", choices=", ".join(g.SCORING_RULES)))
    return value


def _read_options(item: _Mapping, problems: _Problems) -> dict | None:
    options = item.get("options")
    if not isinstance(options, _Sequence) or len(options) < 2:
        problems.add(item.key_lines.get("options", item.line), _l("options must list at least two choices."))
        return None
    result, texts = [], set()
    for n, (option, line) in enumerate(zip(options, options.item_lines, strict=True), start=1):
        if isinstance(option, (str, int, float)) and not isinstance(option, bool):
            option = _Mapping(text=str(option))
            option.line, option.key_lines = line, {}
        if not isinstance(option, _Mapping) or not isinstance(option.get("text"), (str, int, float)):
            problems.add(line, _l("Each option needs text."))
            continue
        unknown = set(option) - OPTION_KEYS
        if unknown:
            problems.add(line, _l("Unknown setting %(key)s; allowed: %(allowed)s.", key=repr(sorted(unknown)[0]),
                                  allowed=", ".join(sorted(OPTION_KEYS))))
        text = str(option["text"]).strip()
        if text in texts:
            problems.add(line, _l("The option %(text)s is listed twice.", text=repr(text)))
        texts.add(text)
        correct = option.get("correct", False)
        if not isinstance(correct, bool):
            problems.add(line, _l("correct must be true or false."))
        weight = option.get("weight")
        if weight is not None and (isinstance(weight, bool) or not isinstance(weight, (int, float))
                                   or not -1 <= weight <= 1):
            problems.add(line, _l("weight must be a number from -1 to 1."))
            weight = None
        feedback = option.get("feedback", "")
        result.append({"id": f"o{n}", "text": text, "correct": correct is True, "weight": weight,
                       "feedback": str(feedback).strip() if feedback else ""})
    return {"options": result}


def _single(item: _Mapping, problems: _Problems) -> dict | None:
    data = _read_options(item, problems)
    if data is None:
        return None
    correct = [o for o in data["options"] if o["correct"]]
    if len(correct) != 1:
        problems.add(item.key_lines.get("options", item.line),
                     _l("A single-choice question has exactly one option with correct: true."))
        return None
    for option in data["options"]:
        weight = 1.0 if option.pop("correct") else (option["weight"] or 0.0)
        option["weight"] = g.round_weight(max(0.0, weight))
    return {"options": data["options"], "shuffle": _shuffle(item, problems)}


def _multiple(item: _Mapping, problems: _Problems) -> dict | None:
    data = _read_options(item, problems)
    if data is None:
        return None
    correct = [o for o in data["options"] if o["correct"]]
    if not correct:
        problems.add(item.key_lines.get("options", item.line),
                     _l("A multiple-choice question needs at least one option with correct: true."))
        return None
    # Partial credit: each right choice earns its share, each wrong choice takes a share back, so ticking
    # everything earns nothing. An author may set weights by hand.
    share = 1 / len(correct)
    for option in data["options"]:
        default = share if option["correct"] else -share
        option["weight"] = g.round_weight(option["weight"] if option["weight"] is not None else default)
        if option.pop("correct") != (option["weight"] > 0):
            problems.add(item.key_lines.get("options", item.line),
                         _l("A correct option needs a positive weight and a wrong one a weight of zero or "
                            "less."))
            return None
    return {"options": data["options"], "shuffle": _shuffle(item, problems),
            "scoring": _scoring(item, g.ALL_OR_NOTHING, problems)}


def _shuffle(item: _Mapping, problems: _Problems) -> bool:
    value = item.get("shuffle", True)
    if not isinstance(value, bool):
        problems.add(item.key_lines["shuffle"], _l("shuffle must be true or false."))
        return True
    return value


def _true_false(item: _Mapping, problems: _Problems) -> dict | None:
    answer = item.get("answer")
    if not isinstance(answer, bool):
        problems.add(item.key_lines.get("answer", item.line), _l("A true/false question needs answer: true "
                                                                 "or answer: false."))
        return None
    return {"answer": answer, "feedback_true": "", "feedback_false": ""}


def _short_answer(item: _Mapping, problems: _Problems) -> dict | None:
    answers = item.get("answers")
    if isinstance(answers, str):
        answers = [answers]
    if not isinstance(answers, list) or not answers or not all(
            isinstance(a, (str, int)) and str(a).strip() for a in answers):
        problems.add(item.key_lines.get("answers", item.line),
                     _l("A short-answer question lists its accepted answers under answers."))
        return None
    return {"answers": [{"text": str(a).strip(), "weight": 1.0, "feedback": ""} for a in answers]}


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numeric(item: _Mapping, problems: _Problems) -> dict | None:
    if "range" in item:
        bounds = item["range"]
        if "answer" in item or not (isinstance(bounds, list) and len(bounds) == 2
                                    and all(_is_number(b) for b in bounds) and bounds[0] <= bounds[1]):
            problems.add(item.key_lines["range"], _l("range is [lowest, highest] and replaces answer."))
            return None
        low, high = float(bounds[0]), float(bounds[1])
        return {"answers": [{"value": None, "tolerance": None, "min": low, "max": high, "weight": 1.0,
                             "feedback": ""}]}
    answer, tolerance = item.get("answer"), item.get("tolerance", 0)
    if not _is_number(answer):
        problems.add(item.key_lines.get("answer", item.line), _l("A numeric question needs answer: a number "
                                                                 "(or range: [lowest, highest])."))
        return None
    if not _is_number(tolerance) or tolerance < 0:
        problems.add(item.key_lines.get("tolerance", item.line), _l("tolerance must be a number, 0 or more."))
        return None
    answer, tolerance = float(answer), float(tolerance)
    return {"answers": [{"value": answer, "tolerance": tolerance, "min": answer - tolerance,
                         "max": answer + tolerance, "weight": 1.0, "feedback": ""}]}


def _matching(item: _Mapping, problems: _Problems) -> dict | None:
    pairs = item.get("pairs")
    if not isinstance(pairs, _Sequence) or len(pairs) < 2:
        problems.add(item.key_lines.get("pairs", item.line), _l("A matching question lists at least two "
                                                                "pairs, each with left and right."))
        return None
    result, lefts = [], set()
    for n, (pair, line) in enumerate(zip(pairs, pairs.item_lines, strict=True), start=1):
        if not (isinstance(pair, dict) and set(pair) == {"left", "right"}
                and all(isinstance(pair[k], (str, int)) and str(pair[k]).strip() for k in ("left", "right"))):
            problems.add(line, _l("Each pair has exactly left and right, both text."))
            continue
        left = str(pair["left"]).strip()
        if left in lefts:
            problems.add(line, _l("%(text)s is listed twice.", text=repr(left)))
        lefts.add(left)
        result.append({"id": f"p{n}", "left": left, "right": str(pair["right"]).strip()})
    distractors = item.get("distractors", [])
    if not isinstance(distractors, list) or not all(isinstance(d, str) and d.strip() for d in distractors):
        problems.add(item.key_lines.get("distractors", item.line), _l("distractors must be a list of texts."))
        distractors = []
    return {"pairs": result, "distractors": [d.strip() for d in distractors],
            "scoring": _scoring(item, g.PARTIAL, problems)}


def _ordering(item: _Mapping, problems: _Problems) -> dict | None:
    items = item.get("items")
    if not isinstance(items, list) or len(items) < 3 or not all(
            isinstance(i, (str, int)) and str(i).strip() for i in items):
        problems.add(item.key_lines.get("items", item.line), _l("An ordering question lists at least three "
                                                                "items, in the right order."))
        return None
    texts = [str(i).strip() for i in items]
    if len(set(texts)) != len(texts):
        problems.add(item.key_lines["items"], _l("Every item of an ordering question must be different."))
        return None
    return {"items": [{"id": f"i{n}", "text": t} for n, t in enumerate(texts, start=1)],
            "scoring": _scoring(item, g.ALL_OR_NOTHING, problems)}


_SPEC_READERS = {g.SINGLE: _single, g.MULTIPLE: _multiple, g.TRUE_FALSE: _true_false,
                 g.SHORT_ANSWER: _short_answer, g.NUMERIC: _numeric, g.MATCHING: _matching,
                 g.ORDERING: _ordering}
