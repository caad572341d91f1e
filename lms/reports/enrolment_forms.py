"""Forms of the enrolment pages: assigning a course (chosen by GET, confirmed by POST), filtering a course's
enrolments, and changing or withdrawing the selected ones."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional, ValidationError
from wtforms.widgets import DateInput

from lms.courses.assignments import local_today

MAX_YEARS_AHEAD = 10


def int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


class DayField(StringField):
    """A calendar day typed as people in Vietnam write it (dd/mm/yyyy) or sent by a date input (yyyy-mm-dd).

    Shown as a date input: browsers that have one offer a calendar, the others a text box.
    """

    widget = DateInput()
    FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.data = None
        if not text:
            return
        for pattern in self.FORMATS:
            try:
                self.data = datetime.strptime(text, pattern).date()
                return
            except ValueError:
                continue
        raise ValueError(_l("Write the date as dd/mm/yyyy, e.g. 31/12/2026."))

    def _value(self):
        if isinstance(self.data, date):
            return self.data.isoformat()
        return self.raw_data[0] if self.raw_data else ""


def check_due_date(day: date | None) -> None:
    """A due date is today or later, and not absurdly far (a typo in the year)."""
    if day is None:
        return
    today = local_today()
    if day < today:
        raise ValidationError(_l("The due date cannot be in the past."))
    if day.year > today.year + MAX_YEARS_AHEAD:
        raise ValidationError(_l("The due date is more than %(n)d years ahead: check the year.",
                                 n=MAX_YEARS_AHEAD))


class AssignForm(FlaskForm):
    """What to assign to whom: the POST that confirms it (with CSRF). AssignChoiceForm is its GET twin."""

    course = SelectField(_l("Course"), coerce=int_or_none)
    people = SelectMultipleField(_l("People"), coerce=int, validate_choice=False)
    units = SelectMultipleField(_l("Units"), coerce=int,
                                description=_l("Hold Ctrl (⌘ on a Mac) to choose several."))
    sub_units = BooleanField(_l("Include their sub-units"), default=True)
    due = DayField(_l("Due date (optional)"))

    def validate_due(self, field):
        check_due_date(field.data)

    def validate_course(self, field):
        if field.data is None:
            raise ValidationError(_l("Choose a course."))


class AssignChoiceForm(AssignForm):
    """The assign page is a GET form (search, choose, preview) until the admin confirms."""

    class Meta:
        csrf = False

    q = StringField(_l("Find people"), validators=[Optional(), Length(max=100)],
                    description=_l("A name, username or email (at least 2 letters)."))
    chosen = HiddenField()  # marks a submitted form: an unticked box then means "no"

    def validate_course(self, field):  # the course may be chosen last; the preview asks for it
        pass


STATUS_CHOICES = [("", _l("Any status")), ("overdue", _l("Overdue")), ("not_started", _l("Not started")),
                  ("in_progress", _l("In progress")), ("completed", _l("Completed"))]


class EnrolmentFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name, username or email"), validators=[Optional(), Length(max=100)])
    unit = SelectField(_l("Unit (with its sub-units)"), coerce=int_or_none, validators=[Optional()])
    status = SelectField(_l("Status"), choices=STATUS_CHOICES, validators=[Optional()])


class EnrolmentActionForm(FlaskForm):
    """The selected enrolments of the list, and the new due date for them."""

    enrolment = SelectMultipleField(_l("Selected"), coerce=int, validate_choice=False)
    due = DayField(_l("New due date"))
    confirm = HiddenField()

    def validate_due(self, field):
        check_due_date(field.data)
