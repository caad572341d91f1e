"""Scenario 4, sign-ins: each simulated browser signs in as the next person of the population, forgets
its cookies, and signs in again as someone else (the sign-in page, then the form), with no think time.

The login limit counts per client address *and* username; with a few thousand people in turn no one
name is used more than a couple of times a minute, and the orchestrator lifts the limit anyway, because
every simulated browser comes from 127.0.0.1.
"""
from __future__ import annotations

import itertools

from common import Browser, POPULATION, sign_in
from locust import constant, task

_everyone = itertools.cycle([u for members in POPULATION["groups"].values() for u in members])


class SigningIn(Browser):
    wait_time = constant(0)

    @task
    def sign_in_as_next(self):
        self.client.cookiejar.clear()
        sign_in(self.client, next(_everyone), POPULATION["password"])
