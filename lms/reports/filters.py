"""The reports' filter forms: plain GET forms (bookmarkable, no CSRF), validated like every other form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, SelectMultipleField
from wtforms.validators import NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget


def _optional_int(value):
    return int(value) if value not in (None, "") else None


class CompletionFilterForm(FlaskForm):
    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[Optional()],
                      description=_l("Empty: from the beginning."))
    end = DateField(_l("To"), validators=[Optional()], description=_l("Empty: up to today."))
    course = SelectField(_l("Course"), coerce=_optional_int, validators=[Optional()])
    unit = SelectField(_l("Unit (with its sub-units)"), coerce=_optional_int, validators=[Optional()])

    def validate_end(self, field):
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(_l("The end of the period is before its start."))


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class YearEndForm(FlaskForm):
    class Meta:
        csrf = False

    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(min=2000, max=2200)])
    courses = CheckboxListField(_l("Required courses"), coerce=int, validators=[Optional()])
    unit = SelectField(_l("Unit (with its sub-units)"), coerce=_optional_int, validators=[Optional()])
