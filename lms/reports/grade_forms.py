from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from lms.quizzes.overrides import MIN_REASON_LENGTH


class GradeOverrideForm(FlaskForm):
    score_percent = DecimalField(_l("New grade (%)"), places=2,
                                 validators=[InputRequired(), NumberRange(min=0, max=100)])
    reason = TextAreaField(_l("Reason (kept in the audit log)"),
                           validators=[DataRequired(), Length(min=MIN_REASON_LENGTH, max=1000)])
