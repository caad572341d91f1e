"""After the exam scenario: is every acknowledged answer in the database, and every attempt graded once?

    DATABASE_URL=… .venv/bin/python -m bench.exam_check --population pop.json --acks acks.jsonl [--burst b.jsonl]

Reads the acknowledgements the exam locustfile wrote and compares them with what the database holds:
- each slot's stored response is the one of the last save the server acknowledged for it (the posted
  fields read back through the same `grading.read_response` the save used), so an acknowledged answer
  that was lost, or overwritten by an older save, is counted;
- each taker has at most one attempt at the final exam; each acknowledged hand-in is graded (state,
  time, a fraction on every slot) and its score is the sum of its slots' points: graded exactly once;
- every burst start the server acknowledged is an attempt in the database.
Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from lms import create_app
from lms.accounts.models import User
from lms.extensions import db
from lms.quizzes import grading
from lms.quizzes.models import Attempt, AttemptAnswer, AttemptState, Quiz
from lms.courses.models import Course


def read_acks(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def check_exam(population: dict, acks: list[dict]) -> dict:
    course = db.session.scalar(select(Course).where(Course.slug == population["course"]))
    quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.key == population["final_exam"]))
    last: dict[tuple[int, int], dict] = {}
    for ack in acks:
        if "slot" in ack and ack["seq"] >= last.get((ack["attempt"], ack["slot"]), {"seq": -1})["seq"]:
            last[(ack["attempt"], ack["slot"])] = ack
    handed_in = {ack["attempt"] for ack in acks if ack.get("submitted")}
    lost, checked = [], 0
    for (attempt_id, slot), ack in last.items():
        answer = db.session.scalar(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id,
                                                               AttemptAnswer.position == slot))
        expected = grading.read_response(answer.snapshot, slot, MultiDict(ack["fields"])) if answer else "?"
        checked += 1
        if answer is None or answer.response != expected:
            lost.append({"attempt": attempt_id, "slot": slot, "expected": expected,
                         "stored": answer.response if answer else None})
    takers = list(db.session.scalars(select(User.id).where(User.username.in_(population["groups"]["exam"]))))
    per_user = Counter(db.session.scalars(select(Attempt.user_id).where(Attempt.quiz_id == quiz.id,
                                                                        Attempt.user_id.in_(takers))))
    attempts = list(db.session.scalars(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id.in_(takers))))
    points = dict(db.session.execute(
        select(AttemptAnswer.attempt_id, func.sum(AttemptAnswer.points_awarded))
        .where(AttemptAnswer.attempt_id.in_([a.id for a in attempts])).group_by(AttemptAnswer.attempt_id)).all())
    ungraded_slots = dict(db.session.execute(
        select(AttemptAnswer.attempt_id, func.count()).where(
            AttemptAnswer.attempt_id.in_([a.id for a in attempts]), AttemptAnswer.fraction.is_(None))
        .group_by(AttemptAnswer.attempt_id)).all())
    badly_graded = []
    for attempt in attempts:
        if attempt.id not in handed_in:
            continue
        graded = attempt.state is AttemptState.GRADED and attempt.graded_at is not None
        consistent = graded and abs((attempt.score_points or 0) - (points.get(attempt.id) or 0)) < 1e-6
        if not consistent or ungraded_slots.get(attempt.id):
            badly_graded.append({"attempt": attempt.id, "state": attempt.state.value,
                                 "score": attempt.score_points, "sum_of_slots": points.get(attempt.id)})
    return {
        "acknowledged_saves": sum(1 for ack in acks if "slot" in ack),
        "slots_checked": checked, "lost_answers": len(lost), "lost_examples": lost[:5],
        "acknowledged_hand_ins": len(handed_in),
        "attempts": len(attempts), "graded": sum(1 for a in attempts if a.state is AttemptState.GRADED),
        "passed": sum(1 for a in attempts if a.passed),
        "still_open": sum(1 for a in attempts if a.state is AttemptState.IN_PROGRESS),
        "takers_with_more_than_one_attempt": sum(1 for n in per_user.values() if n > 1),
        "hand_ins_not_graded_exactly_once": len(badly_graded), "grading_examples": badly_graded[:5],
    }


def check_burst(population: dict, acks: list[dict]) -> dict:
    started = {ack["attempt"] for ack in acks if "started_at" in ack}
    stored = set(db.session.scalars(select(Attempt.id).where(Attempt.id.in_(started)))) if started else set()
    times = sorted(ack["started_at"] for ack in acks if "started_at" in ack)
    return {"acknowledged_starts": len(started), "starts_in_database": len(stored),
            "first_to_last_s": round(times[-1] - times[0], 2) if times else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=Path, required=True)
    parser.add_argument("--acks", type=Path)
    parser.add_argument("--burst", type=Path)
    args = parser.parse_args()
    population = json.loads(args.population.read_text())
    with create_app().app_context():
        result = {}
        if args.acks:
            result["exam"] = check_exam(population, read_acks(args.acks))
        if args.burst:
            result["burst"] = check_burst(population, read_acks(args.burst))
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
