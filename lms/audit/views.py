"""The audit log viewer for admins."""
from __future__ import annotations

from flask import Blueprint

audit_bp = Blueprint("audit", __name__, template_folder="templates", url_prefix="/admin/audit")
