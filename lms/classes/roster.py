"""A class's roster: people added by unit (with its sub-units), chosen from a search, or listed in a CSV
file of usernames or emails; and removed while they have attended nothing. Each change is audited."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from lms.accounts.models import User
from lms.accounts.services import normalise_username
from lms.accounts.text_search import contains_folded, name_order
from lms.audit.services import record_event
from lms.classes.models import Attendance, ClassParticipant, TrainingClass
from lms.classes.services import ClassError
from lms.courses.assignments import people_in_units
from lms.extensions import db

MAX_SEARCH_RESULTS = 50
MAX_FILE_LINES = 5000
USERNAME_HEADERS = {"username", "user name", "login", "tên đăng nhập", "tài khoản", "tai khoan"}
EMAIL_HEADERS = {"email", "e-mail", "mail", "thư điện tử", "địa chỉ email"}


@dataclass(frozen=True)
class RosterProblem:
    line: int
    value: str
    message: str


class RosterFileError(ValueError):
    """A roster file with problems: nothing was added. Each problem names its line."""

    def __init__(self, problems: list[RosterProblem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def participant_user_ids(training_class: TrainingClass) -> set[int]:
    return set(db.session.scalars(select(ClassParticipant.user_id)
                                  .where(ClassParticipant.class_id == training_class.id)))


def add_people(training_class: TrainingClass, people: list[User], *, actor: User, how: str) -> list[User]:
    """Add those not on the roster yet; returns who was added. One audit row for the whole addition."""
    on_roster = participant_user_ids(training_class)
    added, seen = [], set()
    for person in people:
        if person.id in on_roster or person.id in seen:
            continue
        seen.add(person.id)
        db.session.add(ClassParticipant(class_id=training_class.id, user_id=person.id, added_by_id=actor.id))
        added.append(person)
    if added:
        record_event(actor, "class.roster_add", "training_class", training_class.id,
                     summary=f"{training_class.name}: {len(added)} added ({how})",
                     after={"how": how, "user_ids": [p.id for p in added]})
    db.session.commit()
    return added


def add_by_units(training_class: TrainingClass, unit_ids: set[int], *, include_sub_units: bool,
                 actor: User) -> list[User]:
    people = people_in_units(unit_ids, include_sub_units=include_sub_units)
    return add_people(training_class, people, actor=actor,
                      how="unit" + (" with sub-units" if include_sub_units else ""))


def add_chosen(training_class: TrainingClass, user_ids: set[int], *, actor: User) -> list[User]:
    people = list(db.session.scalars(select(User).where(User.id.in_(user_ids), User.active.is_(True))))
    if len(people) != len(user_ids):
        raise ClassError(_l("Some of the chosen people do not exist or are deactivated; nobody was added."))
    return add_people(training_class, sorted(people, key=lambda p: p.full_name), actor=actor, how="search")


def search_people(text: str) -> list[User]:
    """Active people whose name, username or email contains the text (any letter case, any marks)."""
    text = " ".join((text or "").split())
    if len(text) < 2:
        return []
    # "nguyen thi" finds "Nguyễn Thị", whatever the marks and letter case typed.
    query = select(User).where(User.active.is_(True), or_(
        contains_folded(User.full_name, text), func.lower(User.username).contains(text.lower(), autoescape=True),
        func.lower(User.email).contains(text.lower(), autoescape=True)))
    return list(db.session.scalars(query.order_by(*name_order(User.full_name)).limit(MAX_SEARCH_RESULTS)))


# --- from a file ---------------------------------------------------------------------------------------------

def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RosterFileError([RosterProblem(0, "", str(_l(
            "The file is not UTF-8 text. In Excel, save it as “CSV UTF-8 (Comma delimited)”.")))]) from exc


def _rows(text: str) -> list[tuple[int, list[str]]]:
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ("\t" if "\t" in first and "," not in first
                                                                   else ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    try:
        for cells in reader:
            rows.append((reader.line_num, [cell.strip() for cell in cells]))
    except csv.Error as exc:
        raise RosterFileError([RosterProblem(reader.line_num, "", str(_l(
            "This line cannot be read as CSV: %(error)s", error=str(exc))))]) from exc
    return [(line, cells) for line, cells in rows if any(cells)]


def _identifier_column(rows: list[tuple[int, list[str]]]) -> tuple[int, list[tuple[int, list[str]]]]:
    """The column holding usernames or emails, and the data rows (a header line, when there is one, is
    recognised by its words and skipped)."""
    if not rows:
        return 0, rows
    header = [cell.lower() for cell in rows[0][1]]
    for wanted in (USERNAME_HEADERS, EMAIL_HEADERS):
        for index, cell in enumerate(header):
            if cell in wanted:
                return index, rows[1:]
    return 0, rows


def people_from_file(data: bytes) -> list[User]:
    """Everyone the file names, in its order; raises RosterFileError listing every line that names no
    active account."""
    column, rows = _identifier_column(_rows(_decode(data)))
    if not rows:
        raise RosterFileError([RosterProblem(0, "", str(_l("The file lists nobody.")))])
    if len(rows) > MAX_FILE_LINES:
        raise RosterFileError([RosterProblem(0, "", str(_l("The file has more than %(n)d lines.",
                                                           n=MAX_FILE_LINES)))])
    wanted: list[tuple[int, str]] = []
    for line, cells in rows:
        value = cells[column] if column < len(cells) else ""
        wanted.append((line, value))
    emails = {v.lower() for _, v in wanted if "@" in v}
    usernames = {normalise_username(v) for _, v in wanted if v and "@" not in v}
    by_email = {u.email.lower(): u for u in db.session.scalars(
        select(User).where(func.lower(User.email).in_(emails)))} if emails else {}
    by_username = {u.username: u for u in db.session.scalars(
        select(User).where(User.username.in_(usernames)))} if usernames else {}
    people, problems = [], []
    for line, value in wanted:
        if not value:
            problems.append(RosterProblem(line, value, str(_l("No username or email in this line."))))
            continue
        person = by_email.get(value.lower()) if "@" in value else by_username.get(normalise_username(value))
        if person is None:
            problems.append(RosterProblem(line, value, str(_l("No account has this username or email."))))
        elif not person.active:
            problems.append(RosterProblem(line, value, str(_l("This account is deactivated."))))
        else:
            people.append(person)
    if problems:
        raise RosterFileError(problems)
    return people


def add_from_file(training_class: TrainingClass, data: bytes, *, actor: User) -> list[User]:
    """All or nothing: one unknown line and nobody is added."""
    return add_people(training_class, people_from_file(data), actor=actor, how="file")


# --- removing ----------------------------------------------------------------------------------------------------

def remove_participant(participant: ClassParticipant, *, actor: User) -> None:
    """Someone who attended a session stays on the roster: their attendance is the record of it. Marks of
    absence go with them (someone added by mistake was naturally marked absent)."""
    attended = db.session.scalar(select(func.count(Attendance.id)).where(
        Attendance.participant_id == participant.id, Attendance.present.is_(True)))
    if attended:
        raise ClassError(_l("%(name)s attended a session, so they stay on the roster.",
                            name=participant.user.full_name))
    training_class = participant.training_class
    record_event(actor, "class.roster_remove", "training_class", training_class.id,
                 summary=f"{training_class.name}: {participant.user.full_name}",
                 before={"user_id": participant.user_id, "added_at": participant.added_at.isoformat()})
    db.session.delete(participant)
    db.session.commit()
