from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

STATUS_CHOICES = [("", _l("Any status")), ("valid", _l("Valid")), ("expired", _l("Expired")),
                  ("revoked", _l("Revoked")), ("superseded", _l("Superseded"))]


class VerifyForm(FlaskForm):
    """A GET form: anyone, signed in or not, types the code printed on a certificate."""

    class Meta:
        csrf = False

    code = StringField(_l("Verification code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("16 letters and digits, printed under the QR code, e.g. 7KQ2-M9XD-4HTW-8RVA."),
                       render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token is needed."""


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason for revoking"), validators=[DataRequired(), Length(max=500)],
                           description=_l("Shown on the public verification page."))


class ReissueForm(FlaskForm):
    holder_name = StringField(_l("Holder's name as it should be printed"),
                              validators=[DataRequired(), Length(max=200)])
    unit_name = StringField(_l("Unit as it should be printed"), validators=[Optional(), Length(max=200)])
    correction = StringField(_l("What was corrected"), validators=[DataRequired(), Length(max=300)])


class InPersonIssueForm(FlaskForm):
    username = StringField(_l("Participant's username"), validators=[DataRequired(), Length(max=64)])
    course = SelectField(_l("Course"), coerce=int, validators=[DataRequired()])
    completed_on = DateField(_l("Date the class was completed"), validators=[DataRequired()])
    note = StringField(_l("Training class"), validators=[DataRequired(), Length(max=300)],
                       description=_l("Printed on the certificate, e.g. "
                                      "“Lớp tập huấn nghiệp vụ thi đua, khen thưởng, 12–13/11/2026”."))


class CertificateFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name, serial or code"), validators=[Optional(), Length(max=100)])
    course = SelectField(_l("Course"), coerce=lambda v: int(v) if v else None, validators=[Optional()])
    unit = SelectField(_l("Unit (with its sub-units)"), coerce=lambda v: int(v) if v else None,
                       validators=[Optional()])
    status = SelectField(_l("Status"), choices=STATUS_CHOICES, validators=[Optional()])
    year = IntegerField(_l("Year issued"), validators=[Optional(), NumberRange(min=2000, max=2200)])
