"""What every locustfile shares: the population file, signing in as a browser does (CSRF and all), reading
forms out of pages, and a record of every request with its exact time, written out when Locust quits.

Locust's own percentiles are rounded to two significant figures; the orchestrator computes exact ones
from this record, over the window it chooses (after the warm-up), and counts requests per second itself.

Environment: BENCH_POPULATION (the JSON file bench.population wrote), BENCH_OUT (where the request record
goes, JSON lines), and per locustfile its own BENCH_* settings.
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

from locust import events
from locust.contrib.fasthttp import FastHttpUser

POPULATION = json.loads(Path(os.environ["BENCH_POPULATION"]).read_text()) if os.environ.get(
    "BENCH_POPULATION") else None
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
_VALUE = re.compile(r'value="([^"]*)"')
_records: list[tuple] = []


class Browser(FastHttpUser):
    """A simulated browser. The production session cookie is Secure; the bench speaks plain HTTP on loopback
    (where nginx would stand behind TLS), so its cookie jar sends Secure cookies over http too."""

    abstract = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.client.cookiejar.set_policy(http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "http")))


def setting(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, start_time=None, response=None,
            **_kwargs):
    status = getattr(response, "status_code", 0) if response is not None else 0
    error = None if exception is None else f"{type(exception).__name__}: {exception}"[:160]
    _records.append((name, start_time, round(response_time, 3), error, status))


@events.quitting.add_listener
def _write_records(environment, **_kwargs):
    path = os.environ.get("BENCH_OUT")
    if not path:
        return
    with open(path, "w") as out:
        for name, start, ms, error, status in _records:
            out.write(json.dumps({"name": name, "t": start, "ms": ms, "ok": error is None, "status": status,
                                  **({"error": error} if error else {})}, ensure_ascii=False) + "\n")


def csrf_token(html: str) -> str | None:
    tag = _CSRF.search(html or "")
    value = _VALUE.search(tag.group(0)) if tag else None
    return value.group(1) if value else None


def form_body(pairs: list[tuple[str, str]]) -> str:
    """A urlencoded body that keeps repeated names (every `slot`, every ticked checkbox) as a browser does."""
    return urlencode(pairs)


def sign_in(client, username: str, password: str) -> bool:
    """GET the sign-in page for its CSRF token, POST the form; True when the app let the person in."""
    with client.get("/login", name="login page", catch_response=True) as page:
        token = csrf_token(page.text) if page.status_code == 200 else None
        if token is None:
            page.failure(f"no sign-in form (HTTP {page.status_code})")
            return False
    body = form_body([("csrf_token", token), ("username", username), ("password", password)])
    with client.post("/login", data=body, headers=FORM_HEADERS, name="login", allow_redirects=False,
                     catch_response=True) as response:
        location = response.headers.get("Location", "") if response.headers else ""
        if response.status_code == 302 and "/login" not in location and "/account/password" not in location:
            response.success()
            return True
        response.failure(f"sign-in refused (HTTP {response.status_code}, to {location!r})")
        return False


class AttemptPage(HTMLParser):
    """The attempt form as the browser sees it: CSRF, the page's sequence number, and per slot its inputs."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.csrf: str | None = None
        self.seq: int | None = None
        self.slots: dict[int, dict] = {}  # slot -> {"type", "radio"/"checkbox": {name: [values]}, ...}
        self._slot: int | None = None
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "fieldset" and a.get("data-slot"):
            self._slot = int(a["data-slot"])
            self.slots[self._slot] = {"type": a.get("data-type"), "radio": {}, "checkbox": {}, "text": [],
                                      "select": {}}
        elif tag == "input" and a.get("name") == "csrf_token":
            self.csrf = a.get("value")
        elif tag == "input" and a.get("name") == "seq":
            self.seq = int(a.get("value") or 0)
        elif tag == "input" and self._slot is not None and a.get("type") in ("radio", "checkbox", "text"):
            slot = self.slots[self._slot]
            if a["type"] == "text":
                slot["text"].append(a["name"])
            else:
                slot[a["type"]].setdefault(a["name"], []).append(a.get("value", ""))
        elif tag == "select" and self._slot is not None:
            self._select = a.get("name")
            self.slots[self._slot]["select"][self._select] = []
        elif tag == "option" and self._select is not None and a.get("value"):
            self.slots[self._slot]["select"][self._select].append(a["value"])

    def handle_endtag(self, tag):
        if tag == "fieldset":
            self._slot = None
        elif tag == "select":
            self._select = None


def answer_fields(slot: dict, rng) -> list[tuple[str, str]]:
    """A plausible answer for one slot, as the form fields the browser would post."""
    fields: list[tuple[str, str]] = []
    for name, values in slot["radio"].items():
        fields.append((name, rng.choice(values)))
    for name, values in slot["checkbox"].items():
        fields.extend((name, v) for v in rng.sample(values, rng.randint(1, min(2, len(values)))))
    for name in slot["text"]:
        fields.append((name, str(rng.randint(1, 30)) if slot["type"] == "numeric" else
                       rng.choice(["khen thưởng", "thi đua", "Chủ tịch nước", "Luật Thi đua, khen thưởng"])))
    for name, values in slot["select"].items():
        if values:
            fields.append((name, rng.choice(values)))
    return fields
