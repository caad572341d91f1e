"""Courses, modules and their revisions, enrolments, progress, Markdown rendering, content import."""
