"""Training classes: the admin's class pages and the trainer's attendance sheet."""
from __future__ import annotations

from flask import Blueprint

from lms.classes import models  # noqa: F401 - the tables must be known to the app and to migrations

classes_bp = Blueprint("classes", __name__, template_folder="templates", url_prefix="/admin/classes")
