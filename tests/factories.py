"""Small builders for the records tests need; every one goes through the same services the app uses."""
from __future__ import annotations

import itertools
import secrets
import textwrap
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select

from lms.accounts import services as account_services
from lms.accounts.models import OrgUnit, Role, UnitType, User
from lms.accounts.passwords import hash_password, new_session_token
from lms.courses import services as course_services
from lms.courses.models import Course
from lms.extensions import db

ROOT = Path(__file__).resolve().parent.parent
STARTER_SLUG = "luat-thi-dua-khen-thuong"


@lru_cache(maxsize=None)
def _hash(password: str) -> str:
    # argon2 at OWASP parameters is deliberately slow; tests hash each distinct password once.
    return hash_password(password)


class Factories:
    PASSWORD = secrets.token_urlsafe(12)  # one per test run; hashed once, used by the log-in helper
    _counter = itertools.count(1)

    def unit(self, name: str = "Sở Nội vụ", unit_type: UnitType = UnitType.DEPARTMENT,
             parent: OrgUnit | None = None) -> OrgUnit:
        n = next(self._counter)
        return account_services.create_unit(name=f"{name} {n}" if n > 1 else name, code=f"U{n}",
                                            unit_type=unit_type, parent=parent)

    def user(self, role: Role = Role.TRAINEE, *, full_name: str = "Nguyễn Thị Ánh Tuyết",
             username: str | None = None, unit: OrgUnit | None = None, password: str | None = None,
             active: bool = True) -> User:
        n = next(self._counter)
        user = User(full_name=account_services.normalise_name(full_name),
                    username=username or f"{role.value}{n}", email=f"{role.value}{n}@example.org",
                    role=role, org_unit=unit, password_hash=_hash(password or self.PASSWORD),
                    session_token=new_session_token(), active=active)
        db.session.add(user)
        db.session.commit()
        return user

    def trainee(self, **kwargs) -> User:
        return self.user(Role.TRAINEE, **kwargs)

    def trainer(self, **kwargs) -> User:
        return self.user(Role.TRAINER, **kwargs)

    def admin(self, **kwargs) -> User:
        return self.user(Role.ADMIN, **kwargs)

    def starter_course(self) -> Course:
        course_services.import_content(ROOT / "content" / STARTER_SLUG)
        return db.session.scalar(select(Course).where(Course.slug == STARTER_SLUG))

    def quiz_course(self, root: Path, *, quiz: str = "  pass_mark: 70\n", final: str | None = None,
                    slug: str = "khoa-kiem-tra") -> Course:
        """A course whose one module has a quiz over a bank with every question type, and a final exam."""
        folder = self.course_folder(root, slug, modules={
            "01-khung.md": "---\nid: khung-phap-ly\ntitle: Khung pháp lý\nminutes: 5\nquiz:\n" + quiz
                           + "---\n## Nội dung\n\nLuật Thi đua, khen thưởng năm 2022.\n"})
        final = final if final is not None else ("  draw:\n    - category: khung-phap-ly\n      count: 7\n"
                                                 "  pass_mark: 80\n")
        course_yml = (folder / "course.yml").read_text(encoding="utf-8")
        (folder / "course.yml").write_text(course_yml.replace("modules:", "final_exam:\n" + final + "modules:"),
                                           encoding="utf-8")
        (folder / "questions").mkdir(exist_ok=True)
        (folder / "questions" / "every-type.yml").write_text(
            (ROOT / "tests" / "data" / "every-type.yml").read_text(encoding="utf-8"), encoding="utf-8")
        course_services.import_content(folder)
        return db.session.scalar(select(Course).where(Course.slug == slug))

    @staticmethod
    def course_folder(root: Path, slug: str = "khoa-thu", *, course_yml: str | None = None,
                      modules: dict[str, str] | None = None) -> Path:
        """Write a small course folder for import tests; every file can be replaced to break it."""
        folder = root / slug
        folder.mkdir(parents=True, exist_ok=True)
        modules = modules if modules is not None else {
            "01-mot.md": "---\nid: mot\ntitle: Bài một\nminutes: 5\n---\n## Mở đầu\n\nNội dung bài một.\n",
            "02-hai.md": "---\nid: hai\ntitle: Bài hai\nminutes: 7\n---\n## Phần chính\n\nNội dung bài hai.\n",
        }
        if course_yml is None:
            listed = "\n".join(f"  - {name}" for name in modules)
            course_yml = textwrap.dedent("""\
                title: Khóa thử nghiệm
                summary: Một khóa học nhỏ để kiểm thử.
                language: vi
                enrolment: open
                modules:
                """) + listed + "\n"
        (folder / "course.yml").write_text(course_yml, encoding="utf-8")
        for name, text in modules.items():
            (folder / name).write_text(text, encoding="utf-8")
        return folder
