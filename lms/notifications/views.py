"""The person's notices: the list, and opening one (marks it read and follows its link)."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from lms.notifications import models  # noqa: F401 - the tables must be known to the app and migrations
from lms.notifications import services
from lms.site.forms import ActionForm

notifications_bp = Blueprint("notifications", __name__, template_folder="templates")


@notifications_bp.app_context_processor
def notification_helpers():
    # A function, not a number: the count is only queried by the pages that show it (the header does).
    def unread_notifications() -> int:
        if not current_user or not current_user.is_authenticated:
            return 0
        return services.unread_count(current_user)

    return {"unread_notifications": unread_notifications}


@notifications_bp.get("/notifications")
@login_required
def index():
    notifications = services.recent(current_user)
    return render_template("notifications/index.html", notifications=notifications,
                           text_of=services.notice_text, action_form=ActionForm())


@notifications_bp.post("/notifications/<int:notification_id>/open", endpoint="open")
@login_required
def open_notification(notification_id: int):
    notification = services.own_notification_or_404(current_user, notification_id)
    services.mark_read(notification)
    return redirect(services.destination(notification) or url_for("notifications.index"))
