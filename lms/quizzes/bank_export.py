"""Question banks and quiz settings written back in the content/ format (the inverse of bank_files), so
import → export → import gives the same questions and quizzes."""
from __future__ import annotations

from lms.quizzes import grading as g
from lms.quizzes.models import GradingMethod, Question, Quiz, ReviewPolicy


def question_entry(question: Question, bank_category: str) -> dict:
    entry: dict = {"id": question.key, "type": question.qtype}
    if question.category != bank_category:
        entry["category"] = question.category
    if question.tags:
        entry["tags"] = list(question.tags)
    if question.points != 1:
        entry["points"] = int(question.points) if float(question.points).is_integer() else question.points
    entry["prompt"] = question.prompt_markdown
    entry.update(_answer(question.qtype, question.spec))
    entry["explanation"] = question.explanation_markdown
    entry["source"] = question.legal_source
    return entry


def _options(spec: dict, *, multiple: bool) -> list[dict]:
    correct = [o for o in spec["options"] if o["weight"] > 0]
    share = g.round_weight(1 / len(correct)) if multiple and correct else 1.0
    options = []
    for option in spec["options"]:
        item: dict = {"text": option["text"]}
        if option["weight"] > 0:
            item["correct"] = True
        if multiple and option["weight"] not in (share, g.round_weight(-share)):
            item["weight"] = option["weight"]
        elif not multiple and 0 < option["weight"] < 1:
            item.pop("correct", None)
            item["weight"] = option["weight"]
        if option.get("feedback"):
            item["feedback"] = option["feedback"]
        options.append(item)
    return options


def _answer(qtype: str, spec: dict) -> dict:
    if qtype == g.SINGLE:
        out = {"options": _options(spec, multiple=False)}
        return out if spec.get("shuffle", True) else {**out, "shuffle": False}
    if qtype == g.MULTIPLE:
        out: dict = {"options": _options(spec, multiple=True)}
        if spec.get("scoring", g.ALL_OR_NOTHING) != g.ALL_OR_NOTHING:
            out["scoring"] = spec["scoring"]
        return out if spec.get("shuffle", True) else {**out, "shuffle": False}
    if qtype == g.TRUE_FALSE:
        return {"answer": spec["answer"]}
    if qtype == g.SHORT_ANSWER:
        return {"answers": [a["text"] for a in spec["answers"]]}
    if qtype == g.NUMERIC:
        answer = spec["answers"][0]
        if answer["value"] is None:
            return {"range": [_number(answer["min"]), _number(answer["max"])]}
        return {"answer": _number(answer["value"]), "tolerance": _number(answer["tolerance"])}
    if qtype == g.MATCHING:
        out = {"pairs": [{"left": p["left"], "right": p["right"]} for p in spec["pairs"]]}
        if spec.get("distractors"):
            out["distractors"] = list(spec["distractors"])
        if spec.get("scoring", g.PARTIAL) != g.PARTIAL:
            out["scoring"] = spec["scoring"]
        return out
    if qtype == g.ORDERING:
        out = {"items": [item["text"] for item in spec["items"]]}
        if spec.get("scoring", g.ALL_OR_NOTHING) != g.ALL_OR_NOTHING:
            out["scoring"] = spec["scoring"]
        return out
    raise ValueError(f"unknown question type {qtype!r}")


def _number(value: float):
    return int(value) if float(value).is_integer() else value


def quiz_settings(quiz: Quiz) -> dict:
    settings: dict = {"title": quiz.title,
                      "draw": [{"category": r.category, "count": r.count} if r.count is not None
                               else {"category": r.category} for r in quiz.draw_rules],
                      "pass_mark": quiz.pass_mark}
    if quiz.time_limit_minutes is not None:
        settings["time_limit_minutes"] = quiz.time_limit_minutes
    if quiz.max_attempts is not None:
        settings["max_attempts"] = quiz.max_attempts
    if quiz.wait_minutes:
        settings["wait_minutes"] = quiz.wait_minutes
    if quiz.grading is not GradingMethod.HIGHEST:
        settings["grading"] = quiz.grading.value
    if quiz.review is not ReviewPolicy.AFTER_EACH:
        settings["review"] = quiz.review.value
    return settings
