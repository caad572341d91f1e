"""The authoring blueprint (/author): trainers edit the courses they are assigned to, admins every course.

Routes live in one file per room (course settings, the module editor, history, the question bank) and
register on this blueprint; every view loads the course with `access.editable_course_or_404`.
"""
from flask import Blueprint

authoring_bp = Blueprint("authoring", __name__, url_prefix="/author", template_folder="templates")

from lms.authoring import course_views, history_views, module_views, question_views  # noqa: E402,F401
