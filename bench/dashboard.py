"""Scenario 5, the admin dashboard at the admin issue's scale, timed over HTTP against the running server.

    DATABASE_URL=… .venv/bin/python -m bench.dashboard --url http://127.0.0.1:8700 --population pop.json

Run after `lms seed-scale` (20,000 people, 500 units, 50 courses, a million answers). Signs in as the
bench admin, loads the completion dashboard (`/admin/reports/`) `--samples` times after two warm-up loads
(one browser, one request at a time: what an admin waiting for the page sees), then each report page of
bench/report_pages.py three times. Prints one JSON object.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import re
import statistics
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from sqlalchemy import select

from bench.harness import percentile
from bench.report_pages import pages
from lms import create_app
from lms.accounts.models import OrgUnit
from lms.certificates.services import local_today
from lms.courses.models import Course
from lms.extensions import db
from lms.quizzes.models import Quiz

DASHBOARD = "/admin/reports/"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the sign-in answer itself (302 and where to) is what tells whether it worked


def signed_in_browser(url: str, username: str, password: str) -> urllib.request.OpenerDirector:
    # The production cookie is Secure; the bench speaks plain HTTP on loopback, as nginx would behind TLS.
    jar = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "http")))
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    with browser.open(f"{url}/login", timeout=30) as page:
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.read().decode()).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": password}).encode()
    try:
        browser.open(f"{url}/login", data=form, timeout=30)
        status, location = 200, ""
    except urllib.error.HTTPError as answer:  # the 302 arrives as an "error" without a redirect handler
        status, location = answer.code, answer.headers.get("Location", "")
    if status != 302 or "/login" in location:
        raise SystemExit(f"the bench admin could not sign in (HTTP {status})")
    return browser


def timed_get(browser: urllib.request.OpenerDirector, url: str) -> tuple[float, int]:
    started = time.perf_counter()
    try:
        with browser.open(url, timeout=300) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return (time.perf_counter() - started) * 1000, status


def report_urls(course_slug: str | None) -> list[str]:
    course = db.session.scalar(select(Course).where(Course.slug == course_slug)) if course_slug else None
    course = course or db.session.scalar(select(Course).where(Course.slug.like("sc%-khoa-001")))
    final = db.session.scalar(select(Quiz.id).where(Quiz.course_id == course.id, Quiz.is_final.is_(True)))
    root = db.session.scalar(select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id.desc()))
    return pages(course.slug, final, root, local_today().year)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--population", type=Path, required=True)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--course", default=None, help="a seed-scale course slug (default: sc<seed>-khoa-001)")
    args = parser.parse_args()
    population = json.loads(args.population.read_text())
    with create_app().app_context():
        urls = report_urls(args.course)
    browser = signed_in_browser(args.url, population["admin"], population["password"])
    for _warm in range(2):
        timed_get(browser, args.url + DASHBOARD)
    samples = [timed_get(browser, args.url + DASHBOARD) for _ in range(args.samples)]
    times = [ms for ms, _status in samples]
    result = {"page": DASHBOARD, "samples": len(times), "errors": sum(1 for _ms, s in samples if s != 200),
              "p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95), "max_ms": round(max(times), 1),
              "pages": []}
    for url in urls:
        runs = [timed_get(browser, args.url + url) for _ in range(3)]
        result["pages"].append({"page": url, "status": runs[-1][1], "first_ms": round(runs[0][0], 1),
                                "median_ms": round(statistics.median(ms for ms, _s in runs), 1)})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
