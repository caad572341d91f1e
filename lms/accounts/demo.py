"""Demo units and accounts for development and the browser tests; refused in production by the CLI."""
from __future__ import annotations

from sqlalchemy import select

from lms.accounts import services
from lms.accounts.models import Role, UnitType, User
from lms.extensions import db

# (code, name, type, parent code)
DEMO_UNITS = [
    ("TINH", "Tỉnh Cao Bằng", UnitType.PROVINCE, None),
    ("SNV", "Sở Nội vụ", UnitType.DEPARTMENT, "TINH"),
    ("BTDKT", "Ban Thi đua – Khen thưởng", UnitType.DEPARTMENT, "SNV"),
    ("SGDDT", "Sở Giáo dục và Đào tạo", UnitType.DEPARTMENT, "TINH"),
    ("XA-HATRI", "UBND xã Hà Trì", UnitType.COMMUNE, "TINH"),
    ("HTX-THANHCONG", "Hợp tác xã Nông nghiệp Thành Công", UnitType.COOPERATIVE, "XA-HATRI"),
    ("BCHQS", "Bộ Chỉ huy Quân sự tỉnh", UnitType.ARMED_FORCES, "TINH"),
]

# Development-only credentials, documented in the README. seed-demo refuses to run in production.
DEMO_ACCOUNTS = [
    # username, demo credential, full name, role, unit code, position
    ("admin", "admin-demo-2026", "Nguyễn Thị Hồng Nhung", Role.ADMIN, "BTDKT", "Chuyên viên Ban TĐKT"),
    ("giangvien", "giangvien-demo-2026", "Hoàng Văn Thụ", Role.TRAINER, "BTDKT", "Giảng viên"),
    ("hocvien", "hocvien-demo-2026", "Lường Thị Đào", Role.TRAINEE, "XA-HATRI",
     "Công chức Văn phòng – Thống kê"),
]


def seed_demo() -> int:
    """Create what is missing; running it again changes nothing. Returns how many records it added."""
    created = 0
    for code, name, unit_type, parent_code in DEMO_UNITS:
        if services.find_unit(code) is None:
            services.create_unit(name=name, code=code, unit_type=unit_type,
                                 parent=services.find_unit(parent_code) if parent_code else None)
            created += 1
    for username, credential, full_name, role, unit_code, position in DEMO_ACCOUNTS:
        if db.session.scalar(select(User.id).where(User.username == username)) is None:
            services.create_user(full_name=full_name, username=username, email=f"{username}@example.org",
                                 password=credential, role=role, unit=services.find_unit(unit_code),
                                 position=position)
            created += 1
    created += _assign_demo_trainer()
    return created


def _assign_demo_trainer() -> int:
    """The demo trainer edits every course on the platform, so authoring can be tried straight away."""
    from lms.courses.models import Course, CourseTrainer

    trainer_id = db.session.scalar(select(User.id).where(User.username == "giangvien"))
    assigned = set(db.session.scalars(select(CourseTrainer.course_id).where(CourseTrainer.user_id == trainer_id)))
    missing = [c for c in db.session.scalars(select(Course.id)) if c not in assigned]
    db.session.add_all(CourseTrainer(course_id=c, user_id=trainer_id) for c in missing)
    db.session.commit()
    return len(missing)
