"""Coarse role checks for views; per-object checks live in each feature's services."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from lms.accounts.models import Role
from lms.extensions import login_manager


def role_required(*roles: Role):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles
        return wrapped

    return decorator


admin_required = role_required(Role.ADMIN)
