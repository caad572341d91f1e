"""Recording audit events, inside the caller's transaction so the change and its record land together;
and finding them again for the admin's log viewer and its exports."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import Select

from lms.accounts.text_search import contains_folded
from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.extensions import db


def record_event(actor: User | None, action: str, obj_type: str, obj_id: Any, *, summary: str = "",
                 before: dict | None = None, after: dict | None = None) -> AuditEvent:
    event = AuditEvent(actor_id=actor.id if actor is not None else None, action=action, object_type=obj_type,
                       object_id=str(obj_id), summary=summary, before=before, after=after)
    db.session.add(event)
    return event


# --- reading the log ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""  # a username, or part of a name (with or without diacritics)
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None  # days on the province's clock, both ends included
    date_to: date | None = None


def _day_start_utc(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(timezone.utc)


def _filtered(query: Select, criteria: AuditFilter, zone: ZoneInfo) -> Select:
    if criteria.action:
        query = query.where(AuditEvent.action == criteria.action)
    if criteria.object_type:
        query = query.where(AuditEvent.object_type == criteria.object_type)
    if criteria.object_id.strip():
        query = query.where(AuditEvent.object_id == criteria.object_id.strip())
    if criteria.actor.strip():
        text = criteria.actor.strip()
        actors = select(User.id).where(or_(User.username == text.lower(), contains_folded(User.full_name, text)))
        query = query.where(AuditEvent.actor_id.in_(actors))
    if criteria.date_from:
        query = query.where(AuditEvent.occurred_at >= _day_start_utc(criteria.date_from, zone))
    if criteria.date_to:
        query = query.where(AuditEvent.occurred_at < _day_start_utc(criteria.date_to + timedelta(days=1), zone))
    return query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


def search_query(criteria: AuditFilter, zone: ZoneInfo) -> Select:
    """Matching events, newest first, each with its actor loaded in the same query."""
    return _filtered(select(AuditEvent).options(joinedload(AuditEvent.actor)), criteria, zone)


def export_query(criteria: AuditFilter, zone: ZoneInfo) -> Select:
    """The same events as plain rows (no objects to build): tens of thousands go into one file quickly."""
    return _filtered(select(AuditEvent.occurred_at, User.full_name.label("actor_name"),
                            User.username.label("actor_username"), AuditEvent.action, AuditEvent.object_type,
                            AuditEvent.object_id, AuditEvent.summary, AuditEvent.before, AuditEvent.after)
                     .outerjoin(User, User.id == AuditEvent.actor_id), criteria, zone)


def actions_present() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def object_types_present() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type)))


def changes(event: AuditEvent) -> list[tuple[str, Any, Any]]:
    """The keys whose value differs between before and after (every key when one side is missing)."""
    before, after = event.before or {}, event.after or {}
    keys = list(before) + [key for key in after if key not in before]
    return [(key, before.get(key), after.get(key)) for key in keys
            if key not in before or key not in after or before[key] != after[key]]


def _object_names_query(object_type: str, ids: list[int]):
    from lms.accounts.models import OrgUnit
    from lms.certificates.models import Certificate
    from lms.courses.models import Course

    columns = {"user": (User.id, User.full_name), "unit": (OrgUnit.id, OrgUnit.name),
               "course": (Course.id, Course.title), "certificate": (Certificate.id, Certificate.serial)}
    if object_type not in columns:
        return None
    id_column, name_column = columns[object_type]
    return select(id_column, name_column).where(id_column.in_(ids))


def object_names(events: Iterable) -> dict[tuple[str, str], str]:
    """What each event's object is called today (a person's name, a unit's, a course's title, a serial):
    one query per kind of object, in chunks, never one per row."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.object_id.isdigit():
            wanted.setdefault(event.object_type, set()).add(int(event.object_id))
    names: dict[tuple[str, str], str] = {}
    for object_type, ids in wanted.items():
        ordered = sorted(ids)
        for start in range(0, len(ordered), 500):
            query = _object_names_query(object_type, ordered[start:start + 500])
            if query is None:
                break
            for object_id, name in db.session.execute(query):
                names[(object_type, str(object_id))] = name
    return names
