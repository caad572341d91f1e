"""Filling in an attempt's form the way a browser would, from the attempt's own snapshot."""
from __future__ import annotations

from werkzeug.datastructures import MultiDict

from lms.quizzes import grading
from lms.quizzes.models import Attempt


def fields_for(snapshot: dict, position: int, response) -> list[tuple[str, str]]:
    name = f"q{position}"
    if response is None:
        return []
    if snapshot["type"] == grading.MULTIPLE:
        return [(name, value) for value in response]
    if snapshot["type"] in (grading.MATCHING, grading.ORDERING):
        return [(f"{name}-{key}", str(value)) for key, value in response.items()]
    return [(name, response)]


def form_data(attempt: Attempt, seq: int, responses: dict[int, object]) -> MultiDict:
    """A save or submit body: the sequence number, then each slot with its answer fields."""
    snapshots = {a.position: a.snapshot for a in attempt.answers}
    data = MultiDict([("seq", str(seq))])
    for position, response in responses.items():
        data.add("slot", str(position))
        for key, value in fields_for(snapshots[position], position, response):
            data.add(key, value)
    return data


def right_answers(attempt: Attempt) -> dict[int, object]:
    return {a.position: grading.correct_response(a.snapshot) for a in attempt.answers}


def wrong_answers(attempt: Attempt) -> dict[int, object]:
    """A response for every slot that earns nothing."""
    result = {}
    for a in attempt.answers:
        snap = a.snapshot
        kind = snap["type"]
        if kind == grading.SINGLE:
            result[a.position] = min(snap["options"], key=lambda o: o["weight"])["id"]
        elif kind == grading.MULTIPLE:
            result[a.position] = [o["id"] for o in snap["options"] if o["weight"] <= 0]
        elif kind == grading.TRUE_FALSE:
            result[a.position] = "false" if snap["answer"] else "true"
        elif kind == grading.SHORT_ANSWER:
            result[a.position] = "không biết"
        elif kind == grading.NUMERIC:
            result[a.position] = "-99999"
        elif kind == grading.MATCHING:
            wrong = {}
            for left in snap["lefts"]:
                wrong[left["id"]] = next(r["id"] for r in snap["rights"] if r["id"] != left["right"])
            result[a.position] = wrong
        elif kind == grading.ORDERING:
            n = len(snap["items"])
            result[a.position] = {i["id"]: (i["position"] % n) + 1 for i in snap["items"]}
    return result
