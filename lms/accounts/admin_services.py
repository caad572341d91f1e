"""What an admin does to other people's accounts and to the unit tree; every change is audited.

Nothing here deletes anyone: a person with records is deactivated, which keeps their history and ends
their sessions.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from lms.accounts.models import OrgUnit, Role, UnitType, User
from lms.accounts.passwords import generate_password, hash_password, new_session_token
from lms.accounts.services import (USERNAME_RE, AccountError, normalise_email, normalise_name,
                                   normalise_username, unit_subtree_ids)
from lms.audit.services import record_event
from lms.db import utcnow
from lms.extensions import db


def unit_label(unit: OrgUnit | None) -> str | None:
    """How a unit reads in the audit log: its name and code, which outlive later renames."""
    return f"{unit.name} ({unit.code})" if unit is not None else None


def _other_active_admins(user: User) -> int:
    return db.session.scalar(select(func.count(User.id)).where(
        User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)) or 0


def _refuse_losing_the_last_admin(user: User) -> None:
    if user.role is Role.ADMIN and user.active and _other_active_admins(user) == 0:
        raise AccountError(_l("%(name)s is the last active administrator; make someone else an "
                              "administrator first.", name=user.full_name), "role")


def update_user(user: User, *, full_name: str, username: str, email: str, position: str, role: Role,
                unit: OrgUnit | None, actor: User | None) -> None:
    """Save an admin's edit of an account; a role change and other changes are audited separately."""
    full_name, username, email = normalise_name(full_name), normalise_username(username), normalise_email(email)
    position = normalise_name(position)
    if not full_name:
        raise AccountError(_l("Enter the person's full name."), "full_name")
    if not USERNAME_RE.fullmatch(username):
        raise AccountError(_l("A username has 2–64 lower-case letters, digits, dots, dashes or "
                              "underscores, and starts with a letter or digit."), "username")
    if db.session.scalar(select(User.id).where(User.username == username, User.id != user.id)):
        raise AccountError(_l("The username %(u)s is already taken.", u=username), "username")
    if db.session.scalar(select(User.id).where(User.email == email, User.id != user.id)):
        raise AccountError(_l("Another account already uses %(e)s.", e=email), "email")
    if role is not user.role:
        if actor is not None and actor.id == user.id:
            raise AccountError(_l("You cannot change your own role; ask another administrator."), "role")
        _refuse_losing_the_last_admin(user)
        record_event(actor, "user.role", "user", user.id,
                     summary=f"{user.username}: {user.role.value} → {role.value}",
                     before={"role": user.role.value}, after={"role": role.value})
        user.role = role

    old = {"full_name": user.full_name, "username": user.username, "email": user.email,
           "position": user.position, "unit": unit_label(user.org_unit)}
    new = {"full_name": full_name, "username": username, "email": email, "position": position,
           "unit": unit_label(unit)}
    changed = [key for key in old if old[key] != new[key]]
    if changed:
        record_event(actor, "user.update", "user", user.id, summary=f"{user.username}: {', '.join(changed)}",
                     before={key: old[key] for key in changed}, after={key: new[key] for key in changed})
        user.full_name, user.username, user.email, user.position = full_name, username, email, position
        user.org_unit = unit
    db.session.commit()


def deactivate_user(user: User, *, actor: User | None) -> None:
    """The person can no longer sign in and every session they have ends; their records stay."""
    if actor is not None and actor.id == user.id:
        raise AccountError(_l("You cannot deactivate your own account."))
    if not user.active:
        raise AccountError(_l("This account is already deactivated."))
    _refuse_losing_the_last_admin(user)
    user.active = False
    user.deactivated_at = utcnow()
    user.session_token = new_session_token()
    record_event(actor, "user.deactivate", "user", user.id, summary=user.username,
                 before={"active": True}, after={"active": False})
    db.session.commit()


def reactivate_user(user: User, *, actor: User | None) -> None:
    if user.active:
        raise AccountError(_l("This account is already active."))
    record_event(actor, "user.reactivate", "user", user.id, summary=user.username,
                 before={"active": False, "deactivated_at": user.deactivated_at.isoformat()
                         if user.deactivated_at else None},
                 after={"active": True})
    user.active = True
    user.deactivated_at = None
    db.session.commit()


def reset_password(user: User, *, actor: User | None) -> str:
    """A temporary password, returned to be shown once; the person must replace it at the next sign-in.

    The password itself never reaches the audit log.
    """
    if actor is not None and actor.id == user.id:
        raise AccountError(_l("Use “Change password” for your own account."))
    password = generate_password()
    record_event(actor, "user.password_reset", "user", user.id, summary=user.username,
                 before={"must_change_password": user.must_change_password},
                 after={"must_change_password": True})
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.session_token = new_session_token()  # whoever was signed in with the old password is out
    db.session.commit()
    return password


def update_unit(unit: OrgUnit, *, name: str, unit_type: UnitType, parent: OrgUnit | None,
                actor: User | None) -> None:
    """Rename, retype or move a unit; a move under itself or one of its own sub-units is refused."""
    name = normalise_name(name)
    if not name:
        raise AccountError(_l("A unit needs a name."), "name")
    if parent is not None and parent.id == unit.id:
        raise AccountError(_l("A unit cannot belong to itself."), "parent_id")
    if parent is not None and parent.id in unit_subtree_ids(unit.id):
        raise AccountError(_l("%(unit)s cannot move under %(parent)s: %(parent)s is one of its own "
                              "sub-units. Move %(parent)s out first.", unit=unit.name, parent=parent.name),
                           "parent_id")
    old = {"name": unit.name, "unit_type": unit.unit_type.value}
    new = {"name": name, "unit_type": unit_type.value}
    changed = [key for key in old if old[key] != new[key]]
    if changed:
        record_event(actor, "unit.update", "unit", unit.id, summary=f"{unit.code}: {', '.join(changed)}",
                     before={key: old[key] for key in changed}, after={key: new[key] for key in changed})
        unit.name, unit.unit_type = name, unit_type
    if parent is not unit.parent:
        record_event(actor, "unit.move", "unit", unit.id,
                     summary=f"{unit.code}: {unit.parent.code if unit.parent else '—'} → "
                             f"{parent.code if parent else '—'}",
                     before={"parent": unit_label(unit.parent)}, after={"parent": unit_label(parent)})
        unit.parent = parent
    db.session.commit()
