"""Bulk issuing with the PDFs rendered by other processes (lms.certificates.bulk): the same certificates as
one process issues, serial numbers without gaps, each PDF printing its own serial and code, and whatever goes
wrong ahead of time (a failed render, a serial taken meanwhile, a completion certified meanwhile) settled the
ordinary way, never twice."""
from __future__ import annotations

import hashlib
from concurrent.futures import Future
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from lms.certificates import bulk, document, pdf, services
from lms.certificates.jobs import issue_missing_certificates
from lms.certificates.models import Certificate
from lms.courses.models import Enrolment
from lms.extensions import db
from lms.storage import get_storage
from tests.certificate_helpers import EVERY_TONE, pdf_text
from tests.test_jobs import completed_without_certificate, small_course  # noqa: F401 - a fixture


class InlinePool:
    """A RenderPool that renders here, at once, so a test can make a render fail or see what was rendered."""

    processes = 2

    def __init__(self, fail_for: set[str] = frozenset()):
        self.broken = False
        self.fail_for = fail_for
        self.rendered: list[str] = []

    def submit(self, html: str) -> Future:
        future = Future()
        self.rendered.append(html)
        if any(name in html for name in self.fail_for):
            future.set_exception(RuntimeError("render failed"))
        else:
            future.set_result(pdf.render_certificate_html(html))
        return future


@pytest.fixture
def ordinary(monkeypatch) -> list[int]:
    """The completions issued the ordinary way (services.issue_one_missing, rendering here)."""
    real, calls = services.issue_one_missing, []

    def spy(enrolment_id: int) -> bool:
        calls.append(enrolment_id)
        return real(enrolment_id)

    monkeypatch.setattr(services, "issue_one_missing", spy)
    return calls


def squash(text: str) -> str:
    return " ".join(text.split())


def check_issued(enrolments) -> list[Certificate]:
    """One certificate per completion, numbered 1…N each year, each PDF stored with its own serial and code."""
    db.session.expire_all()
    certificates = list(db.session.scalars(select(Certificate).order_by(Certificate.serial_year,
                                                                        Certificate.serial_number)))
    assert sorted(c.enrolment_id for c in certificates) == sorted(e.id for e in enrolments)
    for year in {c.serial_year for c in certificates}:
        numbers = [c.serial_number for c in certificates if c.serial_year == year]
        assert numbers == list(range(1, len(numbers) + 1))
    for certificate in certificates:
        stored = get_storage().load(certificate.pdf_key)
        assert hashlib.sha256(stored).hexdigest() == certificate.pdf_sha256
        text = squash(pdf_text(stored))
        assert certificate.serial in text and document.format_code(certificate.code) in text
        assert certificate.holder_name in text
    assert len(list(get_storage().root.rglob("*.pdf"))) == len(certificates)  # nothing left behind
    return certificates


def test_the_command_renders_in_processes_and_issues_each_certificate_once(runner, make, small_course,  # noqa: F811
                                                                           monkeypatch):
    monkeypatch.setattr(bulk, "MIN_FOR_PROCESSES", 3)
    monkeypatch.setattr(bulk, "render_processes", lambda: 2)
    enrolments = completed_without_certificate([make.trainee(full_name=f"{EVERY_TONE[:20]} {n}") for n in range(4)],
                                               small_course)
    report = issue_missing_certificates([e.id for e in enrolments])
    assert (report.done, report.failed, report.processes) == (4, 0, 2)
    check_issued(enrolments)
    result = runner.invoke(args=["lms", "issue-certificates"])
    assert result.output.strip().endswith("issued 0 certificate(s)")


def test_a_failed_render_is_rendered_again_here_and_the_serials_after_it_are_planned_again(
        make, small_course, ordinary):  # noqa: F811
    people = [make.trainee(full_name=name) for name in ("Bùi Văn An", "Đỗ Thị Bình", "Hà Văn Chi", "Lê Thị Dung")]
    enrolments = completed_without_certificate(people, small_course)
    pool = InlinePool(fail_for={"Đỗ Thị Bình"})
    assert bulk.issue_missing_in_pool([e.id for e in enrolments], pool) == (4, 0)
    check_issued(enrolments)
    assert sum("Đỗ Thị Bình" in html for html in pool.rendered) == 1  # then once more here, not in the pool
    assert ordinary == [enrolments[1].id]


def test_a_serial_taken_meanwhile_or_a_completion_certified_meanwhile_is_settled_the_ordinary_way(
        make, small_course, monkeypatch, ordinary):  # noqa: F811
    enrolments = completed_without_certificate([make.trainee() for _ in range(4)], small_course)
    real_plan, planned = bulk.plan_missing, []

    def plan_then_race(enrolment_id, after):
        """After the first two are planned, another process issues the fourth completion's certificate."""
        result = real_plan(enrolment_id, after)
        planned.append(enrolment_id)
        if len(planned) == 2:
            services.commit_issue(db.session.get(Enrolment, enrolments[3].id))
        return result

    monkeypatch.setattr(bulk, "plan_missing", plan_then_race)
    issued, failed = bulk.issue_missing_in_pool([e.id for e in enrolments], InlinePool())
    assert (issued, failed) == (3, 0)  # the fourth was issued by "the other process", and skipped here
    assert ordinary == [enrolments[0].id]  # planned as number 1, which the other process took
    check_issued(enrolments)


def test_a_completion_certified_between_plan_and_commit_keeps_its_one_certificate(make, small_course,  # noqa: F811
                                                                                   monkeypatch, ordinary):
    enrolments = completed_without_certificate([make.trainee() for _ in range(3)], small_course)
    real_commit = bulk.commit_planned

    def commit_after_a_rival(planned, rendered):
        if planned.enrolment_id == enrolments[1].id:  # issued elsewhere just before this commit; in another
            # year, so that the serial planned here is still free and the insert itself meets the rival
            services.commit_issue(db.session.get(Enrolment, enrolments[1].id),
                                  now=datetime(2025, 12, 31, 12, tzinfo=timezone.utc))
        return real_commit(planned, rendered)

    monkeypatch.setattr(bulk, "commit_planned", commit_after_a_rival)
    assert bulk.issue_missing_in_pool([e.id for e in enrolments], InlinePool()) == (3, 0)
    assert ordinary == [enrolments[1].id]  # found the rival's certificate and counted it, as the batch job does
    check_issued(enrolments)


class UnstartedPool:
    def __init__(self, processes: int):
        self.processes = processes

    def close(self) -> None:
        pass


@pytest.mark.parametrize("count, cores, expected", [(10, 2, None), (100, 1, None), (100, 2, 2), (100, 16, 4)])
def test_processes_only_for_a_run_big_enough_to_pay_for_them(monkeypatch, count, cores, expected):
    monkeypatch.setattr(bulk.os, "sched_getaffinity", lambda pid: set(range(cores)))
    monkeypatch.setattr(bulk, "RenderPool", UnstartedPool)
    with bulk.render_pool(count) as pool:
        assert (pool.processes if pool else None) == expected
