from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from lms.accounts.models import Role, UnitType
from lms.accounts.passwords import MIN_PASSWORD_LENGTH


def role_choices():
    return [(Role.TRAINEE.value, _l("Trainee")), (Role.TRAINER.value, _l("Trainer")),
            (Role.ADMIN.value, _l("Administrator"))]


def unit_type_choices():
    return [(UnitType.PROVINCE.value, _l("Province")), (UnitType.DEPARTMENT.value, _l("Department")),
            (UnitType.COMMUNE.value, _l("Commune or ward")), (UnitType.ENTERPRISE.value, _l("Enterprise")),
            (UnitType.COOPERATIVE.value, _l("Cooperative")),
            (UnitType.MASS_ORGANISATION.value, _l("Mass organisation")),
            (UnitType.ARMED_FORCES.value, _l("Armed forces")), (UnitType.OTHER.value, _l("Other"))]


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none",
                                      "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=256)],
        description=_l("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
        render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})


class UserCreateForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)],
                            description=_l("As on the person's papers, with diacritics."))
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=2, max=64)],
                           render_kw={"autocapitalize": "none", "spellcheck": "false"})
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices, default=Role.TRAINEE.value)
    org_unit_id = SelectField(_l("Unit"), coerce=int, validators=[DataRequired()])


class UnitCreateForm(FlaskForm):
    name = StringField(_l("Unit name"), validators=[DataRequired(), Length(max=200)])
    code = StringField(_l("Short code"), validators=[DataRequired(), Length(max=32)],
                       description=_l("Letters and digits, e.g. SNV or XA-DAMTHUY."))
    unit_type = SelectField(_l("Type"), choices=unit_type_choices, default=UnitType.DEPARTMENT.value)
    parent_id = SelectField(_l("Belongs to"), coerce=int, validators=[Optional()])


# --- admin: finding and editing people, editing units -------------------------------------------------------

PEOPLE_STATUS_CHOICES = [("", _l("Any status")), ("active", _l("Active")), ("deactivated", _l("Deactivated"))]


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class PeopleFilterForm(FlaskForm):
    """A GET form: the filters live in the address, so a filtered list can be bookmarked and shared."""

    class Meta:
        csrf = False

    q = StringField(_l("Name, username or email"), validators=[Optional(), Length(max=100)])
    unit = SelectField(_l("Unit (with its sub-units)"), coerce=_optional_int, validators=[Optional()])
    role = SelectField(_l("Role"), choices=lambda: [("", _l("Any role"))] + role_choices(),
                       validators=[Optional()])
    status = SelectField(_l("Status"), choices=PEOPLE_STATUS_CHOICES, validators=[Optional()])


class UserEditForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)],
                            description=_l("As on the person's papers, with diacritics."))
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=2, max=64)],
                           render_kw={"autocapitalize": "none", "spellcheck": "false"})
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=role_choices)
    org_unit_id = SelectField(_l("Unit"), coerce=int)


class UnitEditForm(FlaskForm):
    name = StringField(_l("Unit name"), validators=[DataRequired(), Length(max=200)])
    unit_type = SelectField(_l("Type"), choices=unit_type_choices)
    parent_id = SelectField(_l("Belongs to"), coerce=int,
                            description=_l("Moving a unit moves its sub-units and people with it."))
