"""Scenario 3, certificates: the app's warm render against a bare WeasyPrint render of the same HTML, in one
process; and the bulk issue of N certificates as `lms issue-certificates` does it without Redis (inline: this
process writes, one render process per core renders; the result says how many).

    DATABASE_URL=… .venv/bin/python -m bench.certificates --population pop.json [--renders 15] [--bulk 300]

The app's render is everything `render_certificate_pdf` does: the Jinja template, the QR code drawn by
segno, WeasyPrint through the locked-down fetcher with the stylesheet and fonts the process loaded once. The
bare render is WeasyPrint alone on the HTML the app produced, as its documentation shows it, with the same
stylesheet and fonts through a one-line fetcher (without them it would do less work, not the same work
faster) and nothing kept from one render to the next: a fresh FontConfiguration, the stylesheet parsed
each time (what the app did per certificate until it kept them; so a ratio below 1 is what keeping them
saves, beside the app's own overhead). The two alternate, after two warm-up renders each, so neither gets a
warmer process. The bulk issue marks the `certificates` group's enrolments completed and times issuing them
all through jobs.issue_missing_certificates, the function the command calls, from the list of completions
without a certificate to the last commit (starting the render processes included). Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import time
from datetime import date
from pathlib import Path

from sqlalchemy import select, update
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from lms import create_app, jobs
from lms.accounts.models import User
from lms.certificates import pdf, services
from lms.certificates.jobs import issue_missing_certificates
from lms.certificates.models import Certificate
from lms.courses.models import Course, Enrolment
from lms.db import utcnow
from lms.extensions import db


def sample_content() -> pdf.CertificateContent:
    return pdf.CertificateContent(
        holder_name="Lường Thị Đào", unit_name="UBND xã Hà Trì, huyện Hòa An", course_title="Luật Thi đua, khen thưởng",
        completed_on=date(2026, 11, 5), score_percent=92.5, completion_note="", authority_name="Ủy ban nhân dân tỉnh",
        issuer_name="Ban Thi đua – Khen thưởng tỉnh", signatory_name="Hoàng Văn Minh", signatory_title="Trưởng ban",
        place="Hà Giang", issued_on=date(2026, 11, 6), valid_until=date(2028, 11, 5), serial="CN-2026-00042",
        code="0123456789ABCDEF", verify_url="https://taphuan.example.gov.vn/verify/0123456789ABCDEF")


class BareFetcher(URLFetcher):
    """The same asset files, with none of the app's checks."""

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        path = pdf.ASSETS / url.removeprefix(pdf.ASSET_SCHEME).lstrip("/")
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": pdf.ASSET_TYPES[path.suffix]})


def bare_render(html: str) -> bytes:
    font_config = FontConfiguration()
    stylesheet = CSS(url=f"{pdf.ASSET_SCHEME}certificate.css", url_fetcher=BareFetcher(), font_config=font_config)
    return HTML(string=html, url_fetcher=BareFetcher()).write_pdf(stylesheets=[stylesheet], font_config=font_config)


def timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def compare_renders(renders: int) -> dict:
    content = sample_content()
    html = pdf.certificate_html(content)
    for _warm in range(2):
        pdf.render_certificate_pdf(content)
        bare_render(html)
    app_times, bare_times = [], []
    for _run in range(renders):
        app_times.append(timed(pdf.render_certificate_pdf, content))
        bare_times.append(timed(bare_render, html))
    app_median, bare_median = statistics.median(app_times), statistics.median(bare_times)
    return {"renders": renders, "app_median_ms": round(app_median * 1000, 1),
            "bare_median_ms": round(bare_median * 1000, 1), "ratio": round(app_median / bare_median, 3),
            "pdf_bytes": len(pdf.render_certificate_pdf(content))}


def bulk_issue(population: dict, count: int) -> dict:
    if jobs.queue_enabled():
        raise SystemExit("REDIS_URL is set: the command would queue the certificates, not issue them")
    course = db.session.scalar(select(Course).where(Course.slug == population["course"]))
    people = population["groups"]["certificates"][:count]
    enrolment_ids = list(db.session.scalars(
        select(Enrolment.id).join(User, User.id == Enrolment.user_id)
        .where(User.username.in_(people), Enrolment.course_id == course.id).order_by(Enrolment.id)))
    db.session.execute(update(Enrolment).where(Enrolment.id.in_(enrolment_ids)).values(completed_at=utcnow()))
    db.session.commit()
    wanted = set(enrolment_ids)
    started, cpu_started, children_started = time.perf_counter(), time.process_time(), _children_cpu()
    pending = [e for e in services.completions_without_certificate(course) if e in wanted]
    report = issue_missing_certificates(pending)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    render_cpu_seconds = _children_cpu() - children_started  # the render processes (if any) have ended
    stored = db.session.scalar(select(db.func.count(Certificate.id)).where(Certificate.enrolment_id.in_(enrolment_ids)))
    issued = report.done
    # per_certificate_ms is the wall-clock time over the count (with N render processes, not one render's
    # time). The CPU seconds say what the wall clock hides on a shared machine: this process's own (planning,
    # HTML, storing, the database) and the render processes' (starting them included); their sum over the
    # cores is the time the run would take with the cores to itself.
    return {"requested": len(enrolment_ids), "issued": issued, "failed": report.failed, "in_database": stored,
            "seconds": round(seconds, 2), "per_certificate_ms": round(1000 * seconds / max(1, issued), 1),
            "processes": report.processes, "cores": os.cpu_count(), "parent_cpu_seconds": round(cpu_seconds, 2),
            "render_processes_cpu_seconds": round(render_cpu_seconds, 2),
            # the largest process this one has waited for: a render process, when there were any
            "render_process_peak_rss_mb": (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
                                           if report.processes > 1 else None)}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=Path, required=True)
    parser.add_argument("--renders", type=int, default=15)
    parser.add_argument("--bulk", type=int, default=300)
    args = parser.parse_args()
    population = json.loads(args.population.read_text())
    with create_app().app_context():
        result = {"render": compare_renders(args.renders), "bulk": bulk_issue(population, args.bulk)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
