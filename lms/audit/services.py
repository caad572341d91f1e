"""Recording audit events, inside the caller's transaction so the change and its record land together."""
from __future__ import annotations

from typing import Any

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.extensions import db


def record_event(actor: User | None, action: str, obj_type: str, obj_id: Any, *, summary: str = "",
                 before: dict | None = None, after: dict | None = None) -> AuditEvent:
    event = AuditEvent(actor_id=actor.id if actor is not None else None, action=action, object_type=obj_type,
                       object_id=str(obj_id), summary=summary, before=before, after=after)
    db.session.add(event)
    return event
