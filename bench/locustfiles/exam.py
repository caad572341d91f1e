"""Scenario 2, the exam, and its burst: trainees sign in within a short window, open and start the final
exam, save answers with think time as the autosave script does, and hand in.

    ExamTaker   each: sign in, overview, start, attempt page; then a save after every think time of
                BENCH_THINK_MIN..MAX seconds (one answered question per save, sequence-numbered like
                attempt.js): named "save while others arrive" until every taker has the attempt page,
                then "save", BENCH_SAVES of them, so that all takers are in the exam together for those;
                then hand in and the result page. Locust quits when every taker is done.
    BurstStarter  each signs in and opens the overview; once all BENCH_USERS are in, every one starts the
                exam at a random moment in the next BENCH_BURST_SECONDS and loads the attempt page.

Every save the server acknowledged (HTTP 200 with ok) is written to BENCH_ACKS (JSON lines: user, attempt,
slot, the posted fields, seq), and every acknowledged hand-in too, so bench.exam_check can find each one in
the database afterwards. The hand-in posts no answers on purpose: they were all saved and acknowledged
already (the page's own hand-in would post the same values), so what gets graded is exactly what the
saves stored, and a lost save shows up as a difference instead of being papered over.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re
import time

import gevent
import gevent.event
from common import (FORM_HEADERS, POPULATION, AttemptPage, Browser, answer_fields, csrf_token, form_body, setting,
                    sign_in)
from locust import constant, events, task

USERS = int(setting("BENCH_USERS", 10))
SAVES = int(setting("BENCH_SAVES", 3))
THINK_MIN, THINK_MAX = setting("BENCH_THINK_MIN", 20), setting("BENCH_THINK_MAX", 40)
BURST_SECONDS = setting("BENCH_BURST_SECONDS", 10)
ATTEMPT_URL = re.compile(r"/attempts/(\d+)$")
_people = {group: itertools.count() for group in ("exam", "burst")}
_acks: list[dict] = []
_done = {"count": 0, "signed_in": 0, "arrived": 0}
_go = gevent.event.Event()
_all_in = gevent.event.Event()  # every taker has the attempt page (or gave up): the arrival rush is over


def _arrived() -> None:
    _done["arrived"] += 1
    if _done["arrived"] >= USERS:
        _all_in.set()


def _finished(environment) -> None:
    _done["count"] += 1
    if _done["count"] >= USERS:
        gevent.spawn_later(0.5, environment.runner.quit)


@events.quitting.add_listener
def _write_acks(environment, **_kwargs):
    path = os.environ.get("BENCH_ACKS")
    if path:
        with open(path, "w") as out:
            out.writelines(json.dumps(ack, ensure_ascii=False) + "\n" for ack in _acks)


class _Taker(Browser):
    abstract = True
    wait_time = constant(0)
    group = "exam"

    def on_start(self):
        members = POPULATION["groups"][self.group]
        self.username = members[next(_people[self.group]) % len(members)]
        self.rng = random.Random(self.username)
        self.finished = False
        self.signed_in = sign_in(self.client, self.username, POPULATION["password"])
        self.overview_url = f"/courses/{POPULATION['course']}/quizzes/{POPULATION['final_exam']}"

    def open_overview(self) -> str | None:
        with self.client.get(self.overview_url, name="exam overview", catch_response=True) as page:
            token = csrf_token(page.text) if page.status_code == 200 else None
            if token is None:
                page.failure(f"no start form (HTTP {page.status_code})")
            return token

    def start_exam(self, token: str) -> AttemptPage | None:
        with self.client.post(f"{self.overview_url}/start", data=form_body([("csrf_token", token)]),
                              headers=FORM_HEADERS, name="start", allow_redirects=False,
                              catch_response=True) as response:
            match = ATTEMPT_URL.search(response.headers.get("Location", "") if response.headers else "")
            if response.status_code != 302 or match is None:
                response.failure(f"not started (HTTP {response.status_code}"
                                 f"{', ' + repr(response.error)[:120] if response.error else ''})")
                return None
        self.attempt_id = int(match.group(1))
        with self.client.get(f"/attempts/{self.attempt_id}", name="attempt page", catch_response=True) as page:
            form = AttemptPage(page.text) if page.status_code == 200 else None
            if form is None or not form.slots or form.csrf is None:
                page.failure(f"no attempt form (HTTP {page.status_code})")
                return None
        return form

    def stay_idle(self):
        if not self.finished:
            self.finished = True
            _finished(self.environment)
        gevent.sleep(3600)


class ExamTaker(_Taker):
    @task
    def sit_the_exam(self):
        if self.finished:
            return self.stay_idle()
        token = self.open_overview() if self.signed_in else None
        form = self.start_exam(token) if token else None
        _arrived()
        if form is None:
            return self.stay_idle()
        seq = form.seq - 1  # the last number the server accepted, as attempt.js keeps it
        order = sorted(form.slots)
        self.rng.shuffle(order)
        saves = together = 0
        while together < SAVES:
            gevent.sleep(self.rng.uniform(THINK_MIN, THINK_MAX))
            name = "save" if _all_in.is_set() else "save while others arrive"
            together += name == "save"
            slot = order[saves % len(order)]
            saves += 1
            fields = answer_fields(form.slots[slot], self.rng)
            seq += 1
            body = [("csrf_token", form.csrf), ("seq", str(seq)), ("slot", str(slot)), *fields]
            with self.client.post(f"/attempts/{self.attempt_id}/save", data=form_body(body), name=name,
                                  headers={**FORM_HEADERS, "Accept": "application/json"},
                                  catch_response=True) as response:
                data = _json(response)
                if response.status_code == 200 and data.get("ok"):
                    seq = max(seq, int(data["seq"]))
                    _acks.append({"user": self.username, "attempt": self.attempt_id, "slot": slot,
                                  "fields": fields, "seq": seq})
                else:
                    response.failure(f"save refused (HTTP {response.status_code}, {data.get('reason')})")
        gevent.sleep(self.rng.uniform(THINK_MIN, THINK_MAX))
        body = [("csrf_token", form.csrf), ("seq", str(seq + 1))]
        with self.client.post(f"/attempts/{self.attempt_id}/submit", data=form_body(body), name="submit",
                              headers=FORM_HEADERS, allow_redirects=False, catch_response=True) as response:
            location = response.headers.get("Location", "") if response.headers else ""
            if response.status_code == 303 and location.endswith(f"/attempts/{self.attempt_id}/result"):
                _acks.append({"user": self.username, "attempt": self.attempt_id, "submitted": True})
            else:
                response.failure(f"hand-in refused (HTTP {response.status_code}, to {location!r})")
        self.client.get(f"/attempts/{self.attempt_id}/result", name="result")
        return self.stay_idle()


class BurstStarter(_Taker):
    group = "burst"

    @task
    def start_with_everyone(self):
        if self.finished:
            return self.stay_idle()
        token = self.open_overview() if self.signed_in else None
        _done["signed_in"] += 1
        if _done["signed_in"] >= USERS:
            _go.set()  # the last one in: the invigilator says "start"
        _go.wait()
        gevent.sleep(self.rng.uniform(0, BURST_SECONDS))
        if token is not None and self.start_exam(token) is not None:
            _acks.append({"user": self.username, "attempt": self.attempt_id, "started_at": time.time()})
        return self.stay_idle()


def _json(response) -> dict:
    try:
        return json.loads(response.text or "{}")
    except ValueError:
        return {}
