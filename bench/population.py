"""The people the benchmark signs in as: N trainees enrolled in the Vietnamese law course, one admin.

    LMS_ENV=development DATABASE_URL=… .venv/bin/python -m bench.population --users 2600 --out pop.json

Bulk INSERTs with one precomputed argon2 hash (hashing 2,600 passwords one by one would take a minute and
measure nothing). Every trainee has read every module, so a passed final exam completes the course as it
would on a real exam day. Refused in production, like `lms seed-scale`. Writes a JSON file the
locustfiles read: the course, its final exam and modules, the password and the usernames by group.
"""
from __future__ import annotations

import argparse
import secrets
import json
import sys
from pathlib import Path

from flask import current_app
from sqlalchemy import insert, select

from lms import create_app
from lms.accounts.models import OrgUnit, Role, UnitType, User
from lms.accounts.passwords import hash_password, new_session_token
from lms.courses.models import Course, Enrolment, ModuleCompletion
from lms.db import utcnow
from lms.extensions import db
from lms.quizzes.models import Quiz

COURSE_SLUG = "luat-thi-dua-khen-thuong"
ADMIN = "bench-admin"
UNIT_CODE = "BENCH"
CHUNK = 2000
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hoa", "Hùng", "Lan", "Long", "Mai", "Minh",
         "Nam", "Ngọc", "Phương", "Quân", "Sơn", "Thảo", "Trang", "Tuấn", "Vân", "Yến"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Lường", "Hà", "Sùng"]


def groups(counts: dict[str, int]) -> dict[str, list[str]]:
    """Consecutive username ranges per group: each scenario that changes state gets its own people."""
    named, start = {}, 1
    for group, count in counts.items():
        named[group] = [f"bench{n:05d}" for n in range(start, start + count)]
        start += count
    return named


def _insert(model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(model), rows[start:start + CHUNK])


def seed(counts: dict[str, int]) -> dict:
    if current_app.config.get("ENV_NAME") == "production" or not current_app.config.get("DEMO_DATA_ALLOWED"):
        raise SystemExit("the benchmark population is for scratch databases; refusing in production")
    course = db.session.scalar(select(Course).where(Course.slug == COURSE_SLUG))
    if course is None:
        raise SystemExit(f"course {COURSE_SLUG} is not imported: run `lms import-content` first")
    if db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == UNIT_CODE)) is not None:
        raise SystemExit("the benchmark population is already here; use a fresh scratch database")
    now = utcnow()
    unit = OrgUnit(code=UNIT_CODE, name="Đơn vị đo hiệu năng", unit_type=UnitType.OTHER)
    db.session.add(unit)
    db.session.flush()
    # One password for every bench account, made for this run and handed to Locust in population.json.
    password = secrets.token_urlsafe(16)
    password_hash = hash_password(password)
    named = groups(counts)
    usernames = [u for members in named.values() for u in members]

    def person(n: int, username: str, role: Role) -> dict:
        return {"username": username, "email": f"{username}@bench.example.org", "role": role,
                "full_name": f"{FAMILY[n % len(FAMILY)]} Thị {GIVEN[n % len(GIVEN)]} {n}",
                "position": "Chuyên viên", "org_unit_id": unit.id, "active": True, "password_hash": password_hash,
                "session_token": new_session_token(), "locale": None, "last_login_at": None,
                "must_change_password": False, "deactivated_at": None, "created_at": now}

    _insert(User, [person(n, u, Role.TRAINEE) for n, u in enumerate(usernames)]
            + [person(0, ADMIN, Role.ADMIN)])
    user_ids = list(db.session.scalars(select(User.id).where(User.org_unit_id == unit.id,
                                                             User.role == Role.TRAINEE)))
    _insert(Enrolment, [{"user_id": uid, "course_id": course.id, "cycle": 1, "self_enrolled": True,
                         "completed_at": None, "completion_note": "", "due_on": None, "assigned_by_id": None,
                         "assigned_at": None, "created_at": now} for uid in user_ids])
    enrolment_ids = list(db.session.scalars(select(Enrolment.id).where(Enrolment.course_id == course.id,
                                                                       Enrolment.user_id.in_(user_ids))))
    modules = [m for m in course.active_modules if m.required]
    _insert(ModuleCompletion, [{"enrolment_id": e, "module_id": m.id, "completed_at": now}
                               for e in enrolment_ids for m in modules])
    final = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.is_final.is_(True),
                                                 Quiz.retired.is_(False)))
    db.session.commit()
    return {"course": course.slug, "final_exam": final.key, "password": password, "admin": ADMIN,
            "modules": [m.key for m in course.active_modules], "groups": named}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", action="append", default=[], metavar="NAME=COUNT",
                        help="a group of trainees, e.g. exam=2000 (repeatable, in order)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    counts = {name: int(count) for name, count in (g.split("=", 1) for g in args.group)}
    app = create_app()
    with app.app_context():
        population = seed(counts)
    args.out.write_text(json.dumps(population, ensure_ascii=False, indent=1))
    print(f"bench population: {sum(counts.values())} trainees in {len(counts)} groups, 1 admin", file=sys.stderr)


if __name__ == "__main__":
    main()
