"""Questions as attempts see them: the snapshot drawn for one attempt, what the browser may see of it,
and grading. Pure functions over plain data, so they are tested without a database.

A question's answer data (its "spec") uses the bank's option ids. When an attempt draws a question, the
snapshot replaces every id with a random token and stores the display order: the browser only ever sees
tokens in shuffled order, so neither the ids nor the order an author wrote (often the right answer
first) can give the answer away, and grading reads nothing but the snapshot, so editing a question later
never changes a recorded attempt.
"""
from __future__ import annotations

import random
import re
import secrets
import unicodedata
from dataclasses import dataclass

SINGLE = "single"
MULTIPLE = "multiple"
TRUE_FALSE = "true-false"
SHORT_ANSWER = "short-answer"
NUMERIC = "numeric"
MATCHING = "matching"
ORDERING = "ordering"
QUESTION_TYPES = (SINGLE, MULTIPLE, TRUE_FALSE, SHORT_ANSWER, NUMERIC, MATCHING, ORDERING)

ALL_OR_NOTHING = "all-or-nothing"
PARTIAL = "partial"
SCORING_RULES = (ALL_OR_NOTHING, PARTIAL)

# Weights are kept to 7 decimals: exactly the precision of Moodle's grade list (33.33333 %), so a GIFT
# round trip gives back the same numbers.
WEIGHT_DECIMALS = 7
FULL_MARKS = 1 - 1e-6  # 3 × 0.3333333 is full marks


def round_weight(value: float) -> float:
    return round(float(value), WEIGHT_DECIMALS)


# --- answers typed by people ---------------------------------------------------------------------------

_SPACES = re.compile(r"\s+")


def normalise_text_answer(text: str) -> str:
    """Case and surrounding spaces do not matter; diacritics do ("Hà" is not "Ha"), in any Unicode form."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip().casefold()


_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


def parse_number(text: str) -> float | None:
    """A number as typed in Vietnam or elsewhere: "4,5" and "4.5" are both four and a half.

    Thousands are not grouped in answers (the page says so): "1.000" would be ambiguous, so "1000" it is.
    """
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if not _NUMBER.fullmatch(cleaned):
        return None
    return float(cleaned.replace(",", "."))


# --- snapshots --------------------------------------------------------------------------------------------

def _token(taken: set[str]) -> str:
    while True:
        token = secrets.token_hex(4)
        if token not in taken:
            taken.add(token)
            return token


def _shuffled(items: list, rng: random.Random) -> list:
    items = list(items)
    rng.shuffle(items)
    return items


def make_snapshot(question: dict, rng: random.Random) -> dict:
    """Freeze one question for one attempt: tokens for ids, shuffled display order, the answer kept aside.

    `question` holds: question_id, key, type, points, prompt_html, explanation_html, source, spec.
    """
    spec, kind = question["spec"], question["type"]
    snap = {k: question[k] for k in ("question_id", "key", "type", "points", "prompt_html",
                                     "explanation_html", "source")}
    taken: set[str] = set()
    if kind in (SINGLE, MULTIPLE):
        options = [dict(o, id=_token(taken)) for o in spec["options"]]
        snap["options"] = _shuffled(options, rng) if spec.get("shuffle", True) else options
        snap["scoring"] = spec.get("scoring", ALL_OR_NOTHING)
    elif kind == TRUE_FALSE:
        snap.update(answer=spec["answer"], feedback_true=spec.get("feedback_true", ""),
                    feedback_false=spec.get("feedback_false", ""))
    elif kind in (SHORT_ANSWER, NUMERIC):
        snap["answers"] = [dict(a) for a in spec["answers"]]
    elif kind == MATCHING:
        right_texts = list(dict.fromkeys([p["right"] for p in spec["pairs"]] + spec.get("distractors", [])))
        rights = {text: _token(taken) for text in right_texts}
        lefts = [{"id": _token(taken), "text": p["left"], "right": rights[p["right"]]} for p in spec["pairs"]]
        snap["lefts"] = _shuffled(lefts, rng)
        snap["rights"] = _shuffled([{"id": token, "text": text} for text, token in rights.items()], rng)
        snap["scoring"] = spec.get("scoring", PARTIAL)
    elif kind == ORDERING:
        items = [{"id": _token(taken), "text": item["text"], "position": n}
                 for n, item in enumerate(spec["items"], start=1)]
        shuffled = _shuffled(items, rng)
        if len(items) > 1:
            while [i["id"] for i in shuffled] == [i["id"] for i in items]:  # never shown already in order
                shuffled = _shuffled(items, rng)
        snap["items"] = shuffled
        snap["scoring"] = spec.get("scoring", ALL_OR_NOTHING)
    else:
        raise ValueError(f"unknown question type {kind!r}")
    return snap


def public_view(snap: dict) -> dict:
    """What the page may show while the attempt is open: no weights, no keys, no feedback."""
    view = {k: snap[k] for k in ("key", "type", "points", "prompt_html")}
    if snap["type"] in (SINGLE, MULTIPLE):
        view["options"] = [{"id": o["id"], "text": o["text"]} for o in snap["options"]]
    elif snap["type"] == MATCHING:
        view["lefts"] = [{"id": left["id"], "text": left["text"]} for left in snap["lefts"]]
        view["rights"] = [dict(r) for r in snap["rights"]]
    elif snap["type"] == ORDERING:
        view["items"] = [{"id": i["id"], "text": i["text"]} for i in snap["items"]]
    return view


# --- answers from a form ---------------------------------------------------------------------------------

class InvalidAnswer(ValueError):
    """A posted answer that no honest page could have sent (an unknown option, a value out of range)."""


MAX_TEXT_ANSWER = 500


def read_response(snap: dict, position: int, form) -> object | None:
    """The answer to the question in slot `position` from a posted form (a MultiDict), checked against
    the snapshot. Returns None for "not answered"; raises InvalidAnswer for anything forged."""
    name, kind = f"q{position}", snap["type"]
    if kind == SINGLE:
        value = form.get(name, "")
        if value and value not in {o["id"] for o in snap["options"]}:
            raise InvalidAnswer(name)
        return value or None
    if kind == MULTIPLE:
        chosen = sorted(set(form.getlist(name)) - {""})
        if not set(chosen) <= {o["id"] for o in snap["options"]}:
            raise InvalidAnswer(name)
        return chosen or None
    if kind == TRUE_FALSE:
        value = form.get(name, "")
        if value not in ("", "true", "false"):
            raise InvalidAnswer(name)
        return value or None
    if kind in (SHORT_ANSWER, NUMERIC):
        value = unicodedata.normalize("NFC", form.get(name, "")).strip()
        if len(value) > (MAX_TEXT_ANSWER if kind == SHORT_ANSWER else 50):
            raise InvalidAnswer(name)
        return value or None
    if kind == MATCHING:
        rights = {r["id"] for r in snap["rights"]}
        pairs = {}
        for left in snap["lefts"]:
            value = form.get(f"{name}-{left['id']}", "")
            if value and value not in rights:
                raise InvalidAnswer(name)
            if value:
                pairs[left["id"]] = value
        return pairs or None
    if kind == ORDERING:
        positions = {}
        for item in snap["items"]:
            value = form.get(f"{name}-{item['id']}", "")
            if value and (not value.isdigit() or not 1 <= int(value) <= len(snap["items"])):
                raise InvalidAnswer(name)
            if value:
                positions[item["id"]] = int(value)
        return positions or None
    raise ValueError(kind)


# --- grading ---------------------------------------------------------------------------------------------

def _clamp(value: float) -> float:
    value = max(0.0, min(1.0, value))
    return 1.0 if value >= FULL_MARKS else round(value, 4)


def grade(snap: dict, response) -> float:
    """The fraction of the question's points this response earns, from 0 to 1."""
    if response is None:
        return 0.0
    kind = snap["type"]
    if kind == SINGLE:
        return _clamp(next((o["weight"] for o in snap["options"] if o["id"] == response), 0.0))
    if kind == MULTIPLE:
        chosen = set(response)
        if snap["scoring"] == ALL_OR_NOTHING:
            return 1.0 if chosen == {o["id"] for o in snap["options"] if o["weight"] > 0} else 0.0
        return _clamp(sum(o["weight"] for o in snap["options"] if o["id"] in chosen))
    if kind == TRUE_FALSE:
        return 1.0 if (response == "true") == snap["answer"] else 0.0
    if kind == SHORT_ANSWER:
        given = normalise_text_answer(response)
        return _clamp(max((a["weight"] for a in snap["answers"] if normalise_text_answer(a["text"]) == given),
                          default=0.0))
    if kind == NUMERIC:
        value = parse_number(response)
        if value is None:
            return 0.0
        return _clamp(max((a["weight"] for a in snap["answers"] if _within(value, a)), default=0.0))
    if kind == MATCHING:
        right = sum(1 for left in snap["lefts"] if response.get(left["id"]) == left["right"])
        return _proportion(right, len(snap["lefts"]), snap["scoring"])
    if kind == ORDERING:
        right = sum(1 for item in snap["items"] if response.get(item["id"]) == item["position"])
        return _proportion(right, len(snap["items"]), snap["scoring"])
    raise ValueError(kind)


def _within(value: float, answer: dict) -> bool:
    slack = 1e-9 * max(1.0, abs(value))  # 0.1 + 0.2 is 0.3
    return answer["min"] - slack <= value <= answer["max"] + slack


def _proportion(right: int, total: int, scoring: str) -> float:
    if scoring == ALL_OR_NOTHING:
        return 1.0 if right == total else 0.0
    return _clamp(right / total) if total else 0.0


def correct_response(snap: dict):
    """The response that earns full marks, for the review page and for tests."""
    kind = snap["type"]
    if kind == SINGLE:
        return max(snap["options"], key=lambda o: o["weight"])["id"]
    if kind == MULTIPLE:
        return sorted(o["id"] for o in snap["options"] if o["weight"] > 0)
    if kind == TRUE_FALSE:
        return "true" if snap["answer"] else "false"
    if kind == SHORT_ANSWER:
        return max(snap["answers"], key=lambda a: a["weight"])["text"]
    if kind == NUMERIC:
        best = max(snap["answers"], key=lambda a: a["weight"])
        value = best["value"] if best.get("value") is not None else (best["min"] + best["max"]) / 2
        return format_number(value)
    if kind == MATCHING:
        return {left["id"]: left["right"] for left in snap["lefts"]}
    if kind == ORDERING:
        return {item["id"]: item["position"] for item in snap["items"]}
    raise ValueError(kind)


def format_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass(frozen=True)
class SlotResult:
    fraction: float
    points: float

    @property
    def correct(self) -> bool:
        return self.fraction >= 1.0


def grade_slot(snap: dict, response) -> SlotResult:
    fraction = grade(snap, response)
    return SlotResult(fraction=fraction, points=round(fraction * snap["points"], 4))
