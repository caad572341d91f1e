"""The printable roster and attendance sheet of a class: A4 landscape, a column per session with a box to
tick, and a column to sign. Rendered from the app's own template (every value escaped by Jinja) through
the certificates' locked-down WeasyPrint fetcher, which serves the shipped fonts and nothing else."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import select

from lms.accounts.models import OrgUnit, User
from lms.certificates.document import short_date
from lms.certificates.services import province_zone
from lms.classes.models import Attendance, ClassParticipant, TrainingClass
from lms.classes.results import name_order
from lms.classes.services import local_day
from lms.extensions import db


@dataclass(frozen=True)
class SheetSession:
    day: date
    clock: str
    title: str
    id: int


@dataclass(frozen=True)
class SheetLine:
    number: int
    full_name: str
    unit_name: str
    position: str
    marks: list[bool | None]  # per session: present, absent, or not marked yet (an empty box)


def sheet_lines(training_class: TrainingClass, sessions: list[SheetSession]) -> list[SheetLine]:
    marks = {(participant_id, session_id): present for participant_id, session_id, present in db.session.execute(
        select(Attendance.participant_id, Attendance.session_id, Attendance.present)
        .where(Attendance.session_id.in_([s.id for s in sessions])))} if sessions else {}
    people = db.session.execute(
        select(ClassParticipant.id, User.full_name, User.position, OrgUnit.name)
        .join(User, ClassParticipant.user_id == User.id).outerjoin(OrgUnit, User.org_unit_id == OrgUnit.id)
        .where(ClassParticipant.class_id == training_class.id)).all()
    people.sort(key=lambda found: name_order(found[1]))
    return [SheetLine(number=n, full_name=name, unit_name=unit or "", position=position or "",
                      marks=[marks.get((participant_id, s.id)) for s in sessions])
            for n, (participant_id, name, position, unit) in enumerate(people, start=1)]


def attendance_sheet_pdf(training_class: TrainingClass) -> bytes:
    """The sheet to print and pass round: blank boxes for sessions not marked yet, the recorded marks for
    the others, so the same document serves at the door and as the record afterwards."""
    sessions = [SheetSession(day=local_day(s.starts_at), title=s.title, id=s.id,
                             clock=s.starts_at.astimezone(province_zone()).strftime("%H:%M"))
                for s in training_class.sessions]
    lines = sheet_lines(training_class, sessions)
    template = current_app.jinja_env.get_template("classes/sheet_pdf.html")
    html = template.render(c=training_class, lang=str(get_locale() or "vi"), sessions=sessions, lines=lines,
                           short_date=short_date, issuer=current_app.config["CERTIFICATE_ISSUER"],
                           authority=current_app.config["CERTIFICATE_AUTHORITY"],
                           trainers=", ".join(t.full_name for t in training_class.trainers))
    from lms.certificates.pdf import render_pdf  # WeasyPrint loads on the first render only (see document.py)

    return render_pdf(html)
