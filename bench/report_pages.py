"""Time the report pages against a seeded database with the Flask test client.

    LMS_INSTANCE_DIR=/tmp/scale .venv/bin/flask --app wsgi db upgrade
    LMS_INSTANCE_DIR=/tmp/scale .venv/bin/flask --app wsgi lms seed-scale
    LMS_INSTANCE_DIR=/tmp/scale .venv/bin/python bench/report_pages.py [--runs 3]

Signs in as a benchmark admin (created on the first run) and prints, per page, the status, the number of
SQL statements, the first (cold) time and the best of the following runs.
"""
from __future__ import annotations

import argparse
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, select  # noqa: E402

from lms import create_app  # noqa: E402
from lms.accounts import services as account_services  # noqa: E402
from lms.accounts.models import OrgUnit, Role, User  # noqa: E402
from lms.courses.models import Course  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.quizzes.models import Quiz  # noqa: E402


def pages(course_slug: str, final_quiz_id: int, root_unit_id: int, year: int) -> list[str]:
    period = f"start={year - 1}-01-01&end={year}-12-31"
    items = f"/admin/reports/courses/{course_slug}/items"
    return [
        "/admin/reports/", f"/admin/reports/?{period}", "/admin/reports/matrix.csv",
        f"/admin/reports/matrix.xlsx?{period}", f"/admin/reports/units/{root_unit_id}?{period}",
        "/admin/reports/year-end", "/admin/reports/year-end.xlsx",
        "/admin/reports/items", items, f"{items}?quiz={final_quiz_id}", f"{items}?start={year}-01-01",
        f"{items}.csv", f"{items}.xlsx", "/admin/certificates/",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--course", default="sc1-khoa-001")
    args = parser.parse_args()
    app = create_app("development", {"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        password = secrets.token_urlsafe(16)
        admin = db.session.scalar(select(User).where(User.username == "bench-admin"))
        if admin is None:
            admin = account_services.create_user(full_name="Quản trị Đo hiệu năng", username="bench-admin",
                                                 email="bench-admin@example.org", password=password,
                                                 role=Role.ADMIN)
        else:
            from lms.accounts.passwords import hash_password
            admin.password_hash = hash_password(password)
            db.session.commit()
        course = db.session.scalar(select(Course).where(Course.slug == args.course))
        final = db.session.scalar(select(Quiz.id).where(Quiz.course_id == course.id, Quiz.is_final.is_(True)))
        root = db.session.scalar(select(OrgUnit.id).where(OrgUnit.parent_id.is_(None)).order_by(OrgUnit.id.desc()))
        from lms.certificates.services import local_today
        urls = pages(course.slug, final, root, local_today().year)
        statements: list[int] = []
        event.listen(db.engine, "before_cursor_execute", lambda *_a: statements.append(1))
    client = app.test_client()
    assert client.post("/login", data={"username": "bench-admin", "password": password}).status_code == 302
    print(f"{'page':70} {'status':>6} {'queries':>7} {'first':>8} {'best':>8}")
    for url in urls:
        times = []
        for _run in range(args.runs):
            statements.clear()
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
        best = min(times[1:]) if len(times) > 1 else times[0]
        print(f"{url:70} {response.status_code:>6} {len(statements):>7} {times[0]:>7.2f}s {best:>7.2f}s")


if __name__ == "__main__":
    main()
