"""Domain operations on accounts and units; the only place that changes them."""
from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.accounts.models import OrgUnit, Role, UnitType, User
from lms.accounts.passwords import (MIN_PASSWORD_LENGTH, hash_password, needs_rehash,
                                    new_session_token, verify_password)
from lms.db import utcnow
from lms.extensions import db

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class AccountError(ValueError):
    """A request that would break an account rule; the message is shown to the user."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


def normalise_name(text: str) -> str:
    """Names keep their diacritics exactly; only the Unicode form and stray spaces are tidied."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def normalise_username(username: str) -> str:
    return username.strip().lower()


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError(_l("This email address is not valid."), "email") from exc


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_l("The password must have at least %(n)d characters.",
                              n=MIN_PASSWORD_LENGTH), "password")


def find_unit(code_or_name: str) -> OrgUnit | None:
    key = normalise_name(code_or_name)
    return db.session.scalar(select(OrgUnit).where(
        (func.lower(OrgUnit.code) == key.lower()) | (OrgUnit.name == key)))


def create_unit(*, name: str, code: str, unit_type: UnitType, parent: OrgUnit | None = None) -> OrgUnit:
    name, code = normalise_name(name), code.strip().upper()
    if not name:
        raise AccountError(_l("A unit needs a name."), "name")
    if not re.fullmatch(r"[A-Z0-9._-]{1,32}", code):
        raise AccountError(_l("A unit code uses 1–32 letters, digits, dots, dashes or underscores."),
                           "code")
    if db.session.scalar(select(OrgUnit.id).where(OrgUnit.code == code)):
        raise AccountError(_l("Another unit already has the code %(code)s.", code=code), "code")
    unit = OrgUnit(name=name, code=code, unit_type=unit_type, parent=parent)
    db.session.add(unit)
    db.session.commit()
    return unit


def create_user(*, full_name: str, username: str, email: str, password: str, role: Role = Role.TRAINEE,
                unit: OrgUnit | None = None, position: str = "") -> User:
    full_name = normalise_name(full_name)
    username = normalise_username(username)
    email = normalise_email(email)
    if not full_name:
        raise AccountError(_l("Enter the person's full name."), "full_name")
    if not USERNAME_RE.fullmatch(username):
        raise AccountError(_l("A username has 2–64 lower-case letters, digits, dots, dashes or "
                              "underscores, and starts with a letter or digit."), "username")
    check_password_strength(password)
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise AccountError(_l("The username %(u)s is already taken.", u=username), "username")
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise AccountError(_l("Another account already uses %(e)s.", e=email), "email")
    user = User(full_name=full_name, username=username, email=email, role=role, org_unit=unit,
                position=normalise_name(position), password_hash=hash_password(password),
                session_token=new_session_token(), active=True)
    db.session.add(user)
    db.session.commit()
    return user


def authenticate(username: str, password: str) -> User | None:
    """The user for these credentials, or None; an unknown user costs as much time as a wrong password."""
    user = db.session.scalar(select(User).where(User.username == normalise_username(username)))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.commit()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise AccountError(_l("The current password is not right."), "current_password")
    check_password_strength(new)
    if new == current:
        raise AccountError(_l("Choose a password different from the current one."), "new_password")
    user.password_hash = hash_password(new)
    user.session_token = new_session_token()  # every other session of this user ends here
    user.must_change_password = False
    db.session.commit()


def end_sessions(user: User) -> None:
    """Invalidate every login cookie of this user (used on logout)."""
    user.session_token = new_session_token()
    db.session.commit()


def set_locale(user: User, locale: str) -> None:
    user.locale = locale
    db.session.commit()


def load_user_from_session(session_id: str) -> User | None:
    """Flask-Login's loader: the cookie holds `id:token`; a rotated token means a logged-out session."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def units_in_tree_order() -> list[tuple[OrgUnit, int]]:
    """Every unit with its depth, parents before children, siblings by name: for lists and selects."""
    units = db.session.scalars(select(OrgUnit).order_by(OrgUnit.name)).all()
    by_parent: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        by_parent.setdefault(unit.parent_id, []).append(unit)
    ordered: list[tuple[OrgUnit, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for unit in by_parent.get(parent_id, []):
            ordered.append((unit, depth))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return ordered


def unit_subtree_ids(unit_id: int) -> set[int]:
    """A unit and everything under it: filters "by unit" include the sub-units."""
    children: dict[int | None, list[int]] = {}
    for child_id, parent_id in db.session.execute(select(OrgUnit.id, OrgUnit.parent_id)):
        children.setdefault(parent_id, []).append(child_id)
    found, frontier = {unit_id}, [unit_id]
    while frontier:
        for child_id in children.get(frontier.pop(), []):
            if child_id not in found:
                found.add(child_id)
                frontier.append(child_id)
    return found
