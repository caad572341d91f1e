"""The report queries read what they need from indexes (migration 0007): at the admin issue's scale (20,000
people, ~33,000 enrolments, ~134,000 attempts) reading the tables instead made the dashboard miss its 300 ms
target. SQLite's plans do not depend on the data; PostgreSQL's do, so there the plan is asked with sequential
scans priced out (as on a big table), which shows whether the query's shape lets it use the index at all."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from lms.accounts.models import UnitType
from lms.extensions import db
from lms.reports.item_analysis import item_analysis
from lms.reports.services import ReportFilter, completion_matrix


@pytest.fixture
def plans(app):
    """Runs a report and returns the query plan of each statement it sent, as one line of text each."""
    sqlite = db.engine.dialect.name == "sqlite"

    def run(report) -> list[str]:
        sent = []

        def remember(conn, cursor, statement, parameters, context, executemany):
            sent.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            report()
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
        connection = db.session.connection()
        if sqlite:
            return [" | ".join(row[3] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                                              tuple(parameters or ())))
                    for statement, parameters in sent]
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        return [" | ".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters))
                for statement, parameters in sent]
    return run


def test_the_dashboard_reads_enrolments_and_certificates_from_indexes_alone(plans, make):
    province = make.unit("Tỉnh Thử Nghiệm", UnitType.PROVINCE)
    make.trainee(unit=make.unit("Sở Tư pháp", UnitType.DEPARTMENT, parent=province))
    found = plans(lambda: completion_matrix(ReportFilter.this_year()))
    if db.engine.dialect.name == "sqlite":
        matrix_plan = next(plan for plan in found if "CORRELATED SCALAR SUBQUERY" in plan)
        assert "SCAN enrolment USING COVERING INDEX ix_enrolment_user_course_dates" in matrix_plan
        assert "COVERING INDEX ix_certificate_user_course" in matrix_plan
    else:  # PostgreSQL picks among usable indexes by the (here tiny) data: none of these tables is read whole
        assert found and not any(f"Seq Scan on {table}" in plan for plan in found
                                 for table in ("enrolment", "certificate", "attempt"))


def test_item_analysis_reads_only_the_courses_attempts(plans, make):
    course = make.starter_course()
    found = plans(lambda: item_analysis(course))
    attempts = [plan for plan in found if "attempt" in plan]
    assert attempts and all("ix_attempt_quiz_state" in plan for plan in attempts)
    assert not any("SCAN attempt" in plan or "Seq Scan on attempt" in plan for plan in found)
