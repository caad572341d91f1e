"""Completion dashboards, exports and item analysis."""
from __future__ import annotations

from flask import Blueprint

reports_bp = Blueprint("reports", __name__, template_folder="templates", url_prefix="/admin/reports")
