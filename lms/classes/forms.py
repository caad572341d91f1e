from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (BooleanField, DateField, HiddenField, SelectField, SelectMultipleField, StringField,
                     TextAreaField, TimeField)
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget


class CheckboxListField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes: easier than a multi-select on a phone."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _optional_int(value):
    return int(value) if value not in (None, "", "0") else None


class ClassForm(FlaskForm):
    name = StringField(_l("Class name"), validators=[DataRequired(), Length(max=200)],
                       description=_l("E.g. “Lớp tập huấn nghiệp vụ thi đua, khen thưởng năm 2026”."))
    starts_on = DateField(_l("First day"), validators=[DataRequired()])
    ends_on = DateField(_l("Last day"), validators=[DataRequired()])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=300)])
    org_unit_id = SelectField(_l("Organising unit"), coerce=_optional_int, validators=[Optional()])
    courses = CheckboxListField(_l("Courses"), coerce=int, validators=[Optional()],
                                description=_l("The online courses the participants must complete."))
    trainers = CheckboxListField(_l("Trainers"), coerce=int, validators=[Optional()],
                                 description=_l("They see this class and mark its attendance."))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The last day cannot be before the first day."))


class SessionForm(FlaskForm):
    title = StringField(_l("Session"), validators=[Optional(), Length(max=200)],
                        description=_l("E.g. “Morning: the Law on Emulation and Commendation”."))
    day = DateField(_l("Date"), validators=[DataRequired()])
    starts_at = TimeField(_l("Starts at"), validators=[DataRequired()])
    ends_at = TimeField(_l("Ends at"), validators=[Optional()])

    def validate_ends_at(self, field):
        if field.data and self.starts_at.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The session must end after it starts."))


class AttendanceForm(FlaskForm):
    # The participants the sheet listed when it was opened: only they are marked, so someone added to the
    # roster meanwhile is not recorded absent by a sheet that never showed them.
    shown = HiddenField(validators=[DataRequired()])
    present = SelectMultipleField(coerce=int, validators=[Optional()])


class AddByUnitForm(FlaskForm):
    unit = SelectField(_l("Unit"), coerce=int, validators=[DataRequired()])
    include_sub_units = BooleanField(_l("Include its sub-units"), default=True)


class AddChosenForm(FlaskForm):
    # Any id: the service checks each against the accounts.
    people = SelectMultipleField(coerce=int, validate_choice=False,
                                 validators=[DataRequired(_l("Tick at least one person."))])


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name, username or email"), validators=[Optional(), Length(max=100)])


class RosterFileForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a file."))],
                     description=_l("One username or email per line (a header line is allowed); UTF-8, "
                                    "as Excel saves “CSV UTF-8”."))


class EnrolClassForm(FlaskForm):
    due_on = DateField(_l("Due date"), validators=[Optional()],
                       description=_l("Leave empty for no due date."))
