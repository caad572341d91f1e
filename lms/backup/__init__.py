"""Backups of a whole deployment (database and stored files) and their restore: `lms backup`, `lms restore`."""
