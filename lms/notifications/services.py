"""In-app notices: written by the feature that has news for someone, read on /notifications.

A notice stores what happened (`kind` + `params`), not a sentence: the text is composed each time it is shown,
in the reader's language of the moment. Nothing is cached in process memory (several processes may serve).
"""
from __future__ import annotations

from collections.abc import Callable

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.db import utcnow
from lms.extensions import db
from lms.notifications.models import Notification
from lms.site.safety import safe_next_url

RECENT_LIMIT = 100


def notify(user: User, kind: str, params: dict, link: str) -> Notification:
    """Add a notice for the person; the caller commits with the change it reports."""
    notification = Notification(user_id=user.id, kind=kind, params=dict(params), link=link)
    db.session.add(notification)
    return notification


def unread_count(user: User) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(Notification.user_id == user.id,
                                                                       Notification.read_at.is_(None))) or 0


def recent(user: User, limit: int = RECENT_LIMIT) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.created_at.desc(), Notification.id.desc())
                                   .limit(limit)))


def own_notification_or_404(user: User, notification_id: int) -> Notification:
    """Someone else's notice does not exist for this person."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        abort(404)
    return notification


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()


def destination(notification: Notification) -> str | None:
    """Where opening the notice leads: a path on this site only, never another host."""
    return safe_next_url(notification.link)


# --- the text of each kind, composed in the reader's language -----------------------------------------------

def _qa_answered(params: dict) -> str:
    return _("Your question on “%(module)s” has been answered.", module=params.get("module_title", ""))


TEXTS: dict[str, Callable[[dict], str]] = {
    "qa.answered": _qa_answered,
}


def notice_text(notification: Notification) -> str:
    compose = TEXTS.get(notification.kind)
    if compose is None:  # a kind from a newer version, or one since removed: still say something
        return _("You have a new notice.")
    return compose(notification.params or {})
