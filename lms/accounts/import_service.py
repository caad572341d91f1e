"""Importing people from a file: check against the database, then create every account or none.

The web flow keeps the uploaded bytes between the preview and the commit in the shared storage (any app
process may serve the commit) under a random key, named by a signed, expiring token in the form; the
commit reads and checks them again, because someone may have created one of these people meanwhile.
"""
from __future__ import annotations

import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.accounts import user_import
from lms.accounts.import_tables import ImportFileError, read_table
from lms.accounts.models import OrgUnit, Role, UnitType, User
from lms.accounts.passwords import hash_password, new_session_token
from lms.audit.services import record_event
from lms.db import utcnow
from lms.extensions import db
from lms.storage import StoredFileMissing, get_storage

STAGED_MAX_AGE_SECONDS = 60 * 60
_SALT = "lms.user-import"
# Temporary passwords are read off paper or a screen and typed on a phone: no 0/o, 1/l/i look-alikes.
_HANDOUT_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class ImportRejected(Exception):
    """The rows have problems (or gained one since the preview); nothing was written."""

    def __init__(self, check: user_import.ImportCheck | None, message=None):
        super().__init__(str(message or ""))
        self.check = check
        self.message = message


@dataclass
class Credential:
    full_name: str
    unit: str
    position: str
    role: Role
    username: str
    email: str
    password: str


@dataclass
class ImportResult:
    credentials: list[Credential]
    units_created: list[str]  # "CODE: name"


# --- checking ------------------------------------------------------------------------------------------------

def check_file(data: bytes, *, create_units: bool = False) -> user_import.ImportCheck:
    """Every row's problems, against what the database holds now. Raises ImportFileError for an unreadable file."""
    table = read_table(data)
    return user_import.check_people(table, existing_accounts(), create_units=create_units)


def existing_accounts() -> user_import.Existing:
    # Usernames are all loaded (one column, one query) so the ones made from names never clash with any.
    usernames = set(db.session.scalars(select(User.username)))
    emails = set(db.session.scalars(select(func.lower(User.email))))
    units = [user_import.UnitRef(id=id_, code=code, name=name)
             for id_, code, name in db.session.execute(select(OrgUnit.id, OrgUnit.code, OrgUnit.name))]
    return user_import.Existing(usernames=usernames, emails=emails, units=units)


# --- writing -------------------------------------------------------------------------------------------------

def handout_password() -> str:
    """A temporary password such as 'k7mq-x3vd-p9tw' (about 59 bits); it must be changed at first sign-in."""
    groups = ("".join(secrets.choice(_HANDOUT_ALPHABET) for _ in range(4)) for _ in range(3))
    return "-".join(groups)


def _hash_all(passwords: list[str]) -> list[str]:
    # argon2 releases the GIL: hashing a few hundred passwords uses every core.
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        return list(pool.map(hash_password, passwords))


def import_people(data: bytes, *, create_units: bool = False, parent: OrgUnit | None = None,
                  actor: User | None = None, source: str = "") -> ImportResult:
    """Create every person in the file (and the missing units when asked) in one transaction, or nothing."""
    check = check_file(data, create_units=create_units)
    if not check.ok:
        raise ImportRejected(check)
    unit_ids = {row.unit.id for row in check.rows if row.unit}
    units = {unit.id: unit for unit in db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(unit_ids)))}
    if len(units) != len(unit_ids):  # a unit was deleted since the check
        raise ImportRejected(_recheck(data, create_units), _l("A unit named in the file no longer exists; "
                                                              "nothing was imported. Check the rows again."))
    created_units = {}
    for new in check.new_units:
        unit = OrgUnit(name=new.name, code=new.code, unit_type=UnitType.OTHER, parent=parent)
        db.session.add(unit)
        created_units[new.code] = unit
    passwords = [handout_password() for _ in check.rows]
    credentials = []
    for row, password, password_hash in zip(check.rows, passwords, _hash_all(passwords), strict=True):
        unit = units[row.unit.id] if row.unit else created_units[row.new_unit.code]
        db.session.add(User(full_name=row.full_name, username=row.username, email=row.email, role=row.role,
                            org_unit=unit, position=row.position, password_hash=password_hash,
                            session_token=new_session_token(), active=True, must_change_password=True))
        credentials.append(Credential(full_name=row.full_name, unit=unit.name, position=row.position,
                                      role=row.role, username=row.username, email=row.email, password=password))
    units_created = [f"{unit.code}: {unit.name}" for unit in created_units.values()]
    try:
        db.session.flush()
        record_event(actor, "user.import", "user", "-",
                     summary=f"{len(credentials)} accounts imported" + (f" from {source}" if source else ""),
                     after={"count": len(credentials), "file": source, "units_created": units_created,
                            "usernames": [c.username for c in credentials]})
        db.session.commit()
    except IntegrityError as error:
        # Someone created one of these accounts or unit codes between our check and the commit.
        db.session.rollback()
        raise ImportRejected(_recheck(data, create_units),
                             _l("Someone changed the accounts while this file was being imported; "
                                "nothing was imported. Check the rows again.")) from error
    return ImportResult(credentials=credentials, units_created=units_created)


def _recheck(data: bytes, create_units: bool) -> user_import.ImportCheck | None:
    try:
        return check_file(data, create_units=create_units)
    except ImportFileError:
        return None


# --- keeping the upload between preview and commit -----------------------------------------------------------

@dataclass
class StagedUpload:
    key: str
    filename: str
    create_units: bool
    parent_id: int | None
    data: bytes


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def stage_upload(data: bytes, *, filename: str, create_units: bool, parent_id: int | None, actor: User) -> str:
    """Store the file and return the signed token that the preview page sends back with its commit."""
    # Dated folders let an operator purge previews never committed (`find … -mtime +1 -delete`).
    key = f"imports/{utcnow():%Y-%m-%d}/{secrets.token_hex(16)}"
    get_storage().save(key, data)
    return _serializer().dumps({"key": key, "name": filename[:200], "create": create_units,
                                "parent": parent_id, "by": actor.id})


class StagedUploadGone(Exception):
    """The token is forged, expired, someone else's, or its file was already used."""


def load_staged(token: str, actor: User) -> StagedUpload:
    try:
        payload = _serializer().loads(token or "", max_age=STAGED_MAX_AGE_SECONDS)
    except SignatureExpired as error:
        raise StagedUploadGone(_l("This preview is more than an hour old. Upload the file again.")) from error
    except BadSignature as error:
        raise StagedUploadGone(_l("This preview is not valid. Upload the file again.")) from error
    if payload.get("by") != actor.id:
        raise StagedUploadGone(_l("This preview is not valid. Upload the file again."))
    try:
        data = get_storage().load(payload["key"])
    except (StoredFileMissing, ValueError) as error:
        raise StagedUploadGone(_l("This file has already been imported or the preview has expired. Upload "
                                  "the file again.")) from error
    return StagedUpload(key=payload["key"], filename=payload["name"], create_units=bool(payload["create"]),
                        parent_id=payload["parent"], data=data)


def discard_staged(staged: StagedUpload) -> None:
    get_storage().delete(staged.key)


# --- the temporary passwords, handed back once as a file -----------------------------------------------------
# The result page carries them signed (not stored anywhere on the server) so the admin can download them as
# CSV or XLSX from that page; they are never logged or written to the audit log.

def sign_credentials(credentials: list[Credential], actor: User) -> str:
    rows = [[c.full_name, c.unit, c.position, c.role.value, c.username, c.email, c.password] for c in credentials]
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT + ".passwords").dumps(
        {"by": actor.id, "rows": rows})


def load_credentials(token: str, actor: User) -> list[Credential]:
    try:
        payload = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT + ".passwords").loads(
            token or "", max_age=STAGED_MAX_AGE_SECONDS)
    except SignatureExpired as error:
        raise StagedUploadGone(_l("These passwords were shown more than an hour ago and can no longer be "
                                  "downloaded. Reset the passwords of those who need one.")) from error
    except BadSignature as error:
        raise StagedUploadGone(_l("This download is not valid.")) from error
    if payload.get("by") != actor.id:
        raise StagedUploadGone(_l("This download is not valid."))
    return [Credential(full_name=row[0], unit=row[1], position=row[2], role=Role(row[3]), username=row[4],
                       email=row[5], password=row[6]) for row in payload["rows"]]


def login_url() -> str:
    """Where the people sign in, as the public reaches the platform (also from the command line)."""
    return current_app.config["PUBLIC_URL"] + "/login"


def credentials_table(credentials: list[Credential]) -> tuple[list, list[list]]:
    """Headers and rows of the file an admin prints or mails out, one sign-in slip a row."""
    from lms.accounts.forms import role_choices

    roles = dict(role_choices())
    headers = [_l("Full name"), _l("Unit"), _l("Position"), _l("Role"), _l("Username"), _l("Email"),
               _l("Temporary password"), _l("Sign in at")]
    rows = [[c.full_name, c.unit, c.position, str(roles[c.role.value]), c.username, c.email, c.password,
             login_url()]
            for c in credentials]
    return [str(h) for h in headers], rows
