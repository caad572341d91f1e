"""Scenario 1, reading: signed-in trainees read module pages back to back (no think time), and the
ceiling: the same app's bare endpoint (/bench/bare, see bench/wsgi.py) under the same server, asked by the same
signed-in browsers.

    locust -f bench/locustfiles/reading.py ModuleReader …   # the module pages
    locust -f bench/locustfiles/reading.py BareEndpoint …   # the ceiling
"""
from __future__ import annotations

import itertools

from common import Browser, POPULATION, sign_in
from locust import constant, task
from locust.exception import StopUser

_readers = itertools.count()


class SignedInReader(Browser):
    """A trainee signed in, as in the reading scenario: the bare endpoint is asked by the same signed-in
    browsers, so the ratio compares the module page's own work with nothing (the session, the sign-in check,
    the language and the headers are the same in both)."""

    abstract = True
    wait_time = constant(0)

    def on_start(self):
        members = POPULATION["groups"]["exam"]
        self.username = members[next(_readers) % len(members)]
        if not sign_in(self.client, self.username, POPULATION["password"]):
            raise StopUser()


class ModuleReader(SignedInReader):
    def on_start(self):
        super().on_start()
        self.pages = itertools.cycle(f"/courses/{POPULATION['course']}/modules/{key}"
                                     for key in POPULATION["modules"])

    @task
    def read_module(self):
        with self.client.get(next(self.pages), name="module", catch_response=True) as page:
            # A redirect to the sign-in page would also be a 200 after following it: check it is the module.
            if page.status_code == 200 and '<article class="module"' not in page.text:
                page.failure("not a module page")


class BareEndpoint(SignedInReader):
    @task
    def bare(self):
        self.client.get("/bench/bare", name="bare")
