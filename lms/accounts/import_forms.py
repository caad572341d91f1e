"""Forms of the bulk import of people: the upload, the commit of a checked file, the passwords download."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Optional


class UserImportForm(FlaskForm):
    file = FileField(_l("List of people (CSV or XLSX)"),
                     validators=[FileRequired(_l("Choose the file to upload."))],
                     description=_l("One person a row under a header row: full name, email and unit are needed; "
                                    "username, position and role are optional."),
                     render_kw={"accept": ".csv,.xlsx,.txt,text/csv,application/vnd.openxmlformats-"
                                          "officedocument.spreadsheetml.sheet"})
    create_units = BooleanField(_l("Create the units that do not exist yet"),
                                description=_l("Otherwise a unit that is not in the unit list is a problem "
                                               "to fix in the file."))
    parent_id = SelectField(_l("Put the new units under"), coerce=int, validators=[Optional()])


class UserImportCommitForm(FlaskForm):
    upload = HiddenField(validators=[DataRequired()])


class ImportPasswordsForm(FlaskForm):
    credentials = HiddenField(validators=[DataRequired()])
    fmt = StringField(validators=[AnyOf(["csv", "xlsx"])])  # sent by the button pressed
