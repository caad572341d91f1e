"""Checking a list of people to import: every row's problems, found before anything is written.

Pure: it reads no database and writes nothing. The caller (import_service) passes what the database
already holds as `Existing` and gets back an `ImportCheck`: one `PersonRow` per data row with its
problems, the units that would be created, and the columns that are ignored.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from lms.accounts.import_tables import (FIELD_OF_HEADING, MAX_ROWS, ImportFileError, Table, fold,
                                        header_score)
from lms.accounts.models import Role
from lms.accounts.services import AccountError, USERNAME_RE, normalise_email, normalise_name

MAX_NAME = 200
ROLE_WORDS = {"hocvien": Role.TRAINEE, "trainee": Role.TRAINEE, "learner": Role.TRAINEE,
              "giangvien": Role.TRAINER, "trainer": Role.TRAINER,
              "quantri": Role.ADMIN, "quantrivien": Role.ADMIN, "admin": Role.ADMIN,
              "administrator": Role.ADMIN}
REQUIRED_HEADINGS = "Họ và tên, Email, Đơn vị (Full name, Email, Unit)"


@dataclass(frozen=True)
class UnitRef:
    id: int
    code: str
    name: str


@dataclass
class Existing:
    """What the database already holds, as far as the import needs to know."""
    usernames: set[str]
    emails: set[str]
    units: list[UnitRef]


@dataclass
class NewUnit:
    name: str
    code: str
    lines: list[int] = field(default_factory=list)


@dataclass
class PersonRow:
    line: int
    full_name: str = ""
    username: str = ""
    username_generated: bool = False
    username_invalid: bool = False
    email: str = ""
    email_invalid: bool = False
    unit_text: str = ""
    unit: UnitRef | None = None
    new_unit: NewUnit | None = None
    position: str = ""
    role: Role = Role.TRAINEE
    problems: list = field(default_factory=list)

    @property
    def unit_name(self) -> str:
        return self.unit.name if self.unit else self.new_unit.name if self.new_unit else self.unit_text


@dataclass
class ImportCheck:
    kind: str
    rows: list[PersonRow]
    ignored_columns: list[str]
    new_units: list[NewUnit]

    @property
    def problem_rows(self) -> list[PersonRow]:
        return [row for row in self.rows if row.problems]

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.problem_rows


def check_people(table: Table, existing: Existing, *, create_units: bool = False) -> ImportCheck:
    header_at, columns, ignored = find_header(table)
    records = table.rows[header_at + 1:]
    if not records:
        raise ImportFileError(_l("The file has a header row but no people under it."))
    if len(records) > MAX_ROWS:
        raise ImportFileError(_l("The file has more than %(n)d rows; split it into smaller files.", n=MAX_ROWS))
    rows = [_read_row(line, cells, columns) for line, cells in records]
    _check_emails(rows, existing)
    _check_usernames(rows, existing)
    new_units = _resolve_units(rows, existing, create_units)
    return ImportCheck(kind=table.kind, rows=rows, ignored_columns=ignored, new_units=new_units)


def find_header(table: Table) -> tuple[int, dict[int, str], list[str]]:
    """The first row (of the first ten) naming the columns; title rows above it are skipped."""
    for position, (line, cells) in enumerate(table.rows[:10]):
        if header_score(cells) < 2:
            continue
        columns: dict[int, str] = {}
        ignored: list[str] = []
        seen: dict[str, str] = {}
        for index, heading in enumerate(cells):
            name = FIELD_OF_HEADING.get(fold(heading))
            if name is None:
                if heading:
                    ignored.append(heading)
                continue
            if name in seen:
                raise ImportFileError(_l("Line %(line)d: the columns “%(a)s” and “%(b)s” mean the same thing; "
                                         "keep one of them.", line=line, a=seen[name], b=heading))
            seen[name] = heading
            columns[index] = name
        names = set(columns.values())
        has_name = "full_name" in names or {"family_name", "given_name"} <= names
        has_unit = bool({"unit", "unit_code"} & names)
        if has_name and "email" in names and has_unit:
            return position, columns, ignored
        missing = [label for label, present in ((_l("full name"), has_name), (_l("email"), "email" in names),
                                                (_l("unit"), has_unit)) if not present]
        raise ImportFileError(_l("Line %(line)d: the file has no column for %(missing)s. The header row must "
                                 "name at least these columns: %(required)s.", line=line,
                                 missing=", ".join(str(m) for m in missing), required=REQUIRED_HEADINGS))
    raise ImportFileError(_l("No header row found. The first row must name the columns, at least: %(required)s.",
                             required=REQUIRED_HEADINGS))


def _read_row(line: int, cells: list[str], columns: dict[int, str]) -> PersonRow:
    raw = {name: (cells[index].strip() if index < len(cells) else "") for index, name in columns.items()}
    row = PersonRow(line=line)
    name = raw.get("full_name") or " ".join(filter(None, (raw.get("family_name"), raw.get("given_name"))))
    row.full_name = normalise_name(name or "")
    if not row.full_name:
        row.problems.append(_l("The full name is missing."))
    elif len(row.full_name) > MAX_NAME:
        row.problems.append(_l("The full name is longer than %(n)d characters.", n=MAX_NAME))
    row.position = normalise_name(raw.get("position", ""))
    if len(row.position) > MAX_NAME:
        row.problems.append(_l("The position is longer than %(n)d characters.", n=MAX_NAME))
    row.email = raw.get("email", "")
    if not row.email:
        row.problems.append(_l("The email address is missing."))
    else:
        try:
            row.email = normalise_email(row.email)
        except AccountError:
            row.problems.append(_l("“%(value)s” is not a valid email address.", value=row.email))
            row.email_invalid = True
    row.username = raw.get("username", "").strip().lower()
    if row.username and not USERNAME_RE.fullmatch(row.username):
        row.problems.append(_l("“%(value)s” is not a valid username: use 2–64 lower-case letters, digits, dots, "
                               "dashes or underscores, starting with a letter or digit.", value=row.username))
        row.username_invalid = True
    # With both a unit-code and a unit-name column, the code decides.
    row.unit_text = normalise_name(raw.get("unit_code") or raw.get("unit", ""))
    role_text = raw.get("role", "")
    role = ROLE_WORDS.get(fold(role_text)) if role_text else Role.TRAINEE
    if role is None:
        row.problems.append(_l("Unknown role “%(value)s”: write học viên, giảng viên or quản trị (trainee, "
                               "trainer or admin), or leave it empty for a trainee.", value=role_text))
    else:
        row.role = role
    return row


def _lines_of(rows: list[PersonRow], key) -> dict[str, list[int]]:
    lines: dict[str, list[int]] = {}
    for row in rows:
        value = key(row)
        if value:
            lines.setdefault(value, []).append(row.line)
    return lines


def _others(lines: list[int], line: int) -> str:
    return ", ".join(str(other) for other in lines if other != line)


def _check_emails(rows: list[PersonRow], existing: Existing) -> None:
    lines = _lines_of(rows, lambda row: "" if row.email_invalid else row.email)
    for row in rows:
        if not row.email or row.email_invalid:
            continue
        if row.email in existing.emails:
            row.problems.append(_l("An account with the email %(email)s already exists.", email=row.email))
        if len(lines[row.email]) > 1:
            row.problems.append(_l("The email %(email)s is also on line %(lines)s.", email=row.email,
                                   lines=_others(lines[row.email], row.line)))


def _check_usernames(rows: list[PersonRow], existing: Existing) -> None:
    lines = _lines_of(rows, lambda row: "" if row.username_invalid else row.username)
    for row in rows:
        if not row.username or row.username_invalid:
            continue
        if row.username in existing.usernames:
            row.problems.append(_l("The username %(username)s is already taken.", username=row.username))
        if len(lines[row.username]) > 1:
            row.problems.append(_l("The username %(username)s is also on line %(lines)s.",
                                   username=row.username, lines=_others(lines[row.username], row.line)))
    # Blank usernames are made from the name, never clashing with the database or any row of the file.
    taken = set(existing.usernames) | set(lines)
    for row in rows:
        if not row.username and row.full_name:
            row.username = unique_username(row.full_name, taken)
            row.username_generated = True
            taken.add(row.username)


def ascii_fold(text: str) -> str:
    """'Lường Thị Đào' → 'Luong Thi Dao': Vietnamese letters without their marks."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).encode("ascii", "ignore").decode()


def unique_username(full_name: str, taken: set[str]) -> str:
    base = "".join(ch for ch in ascii_fold(full_name).lower() if ch.isalnum())[:56]
    if len(base) < 2:
        base = "user"
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}{number}"
    return candidate


def unit_code_from_name(name: str, taken: set[str]) -> str:
    words = "".join(ch if ch.isalnum() else " " for ch in ascii_fold(name).upper()).split()
    base = "-".join(words)[:28].strip("-") or "DV"
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def _unit_key(text: str) -> str:
    return normalise_name(text).casefold()


def _resolve_units(rows: list[PersonRow], existing: Existing, create_units: bool) -> list[NewUnit]:
    by_code = {unit.code.casefold(): unit for unit in existing.units}
    by_name: dict[str, list[UnitRef]] = {}
    for unit in existing.units:
        by_name.setdefault(_unit_key(unit.name), []).append(unit)
    taken_codes = {unit.code.upper() for unit in existing.units}
    new_units: dict[str, NewUnit] = {}
    for row in rows:
        if not row.unit_text:
            row.problems.append(_l("The unit is missing."))
            continue
        key = _unit_key(row.unit_text)
        named = by_name.get(key, [])
        if key in by_code:
            row.unit = by_code[key]
        elif len(named) == 1:
            row.unit = named[0]
        elif named:
            row.problems.append(_l("Several units are named “%(unit)s”: write the unit's code instead (%(codes)s).",
                                   unit=row.unit_text, codes=", ".join(unit.code for unit in named)))
        elif create_units:
            if key not in new_units:
                code = unit_code_from_name(row.unit_text, taken_codes)
                taken_codes.add(code)
                new_units[key] = NewUnit(name=row.unit_text, code=code)
            row.new_unit = new_units[key]
            row.new_unit.lines.append(row.line)
        else:
            row.problems.append(_l("No unit has the code or name “%(unit)s”. Correct it, add the unit first, "
                                   "or choose to create missing units.", unit=row.unit_text))
    return list(new_units.values())
