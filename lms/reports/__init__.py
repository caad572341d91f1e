"""Completion dashboards, exports and item analysis for admins and trainers."""
