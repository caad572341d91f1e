"""Forms of the course hub: the course's settings, moving a module, assigning trainers."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional

from lms.courses.models import EnrolmentPolicy


def enrolment_policy_choices() -> list[tuple[str, str]]:
    return [(EnrolmentPolicy.OPEN.value, str(_l("Open: anyone signed in may enrol"))),
            (EnrolmentPolicy.ASSIGNED.value, str(_l("Assigned: only people an admin enrols see it")))]


class CourseSettingsForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=2000)],
                            description=_l("Shown in the catalogue and at the top of the course page."))
    enrolment_policy = SelectField(_l("Enrolment"), validators=[DataRequired()])
    certificate_validity_months = IntegerField(
        _l("Certificate valid for (months)"), validators=[Optional(), NumberRange(min=1, max=240)],
        description=_l("Leave empty when the certificate does not expire."))
    legal_basis_as_of = TextAreaField(
        _l("Legal texts reflected"), validators=[Optional(), Length(max=2000)],
        description=_l("E.g. “Luật Thi đua, khen thưởng 2022; Nghị định 98/2023/NĐ-CP”: trainees see which "
                       "texts the course follows."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.enrolment_policy.choices = enrolment_policy_choices()


class MoveModuleForm(FlaskForm):
    # The two buttons of the form post name="direction" with their own value.
    direction = HiddenField(validators=[DataRequired(), AnyOf(["up", "down"])])


class AddTrainerForm(FlaskForm):
    # Any id: the service checks that it names an active trainer.
    user_id = SelectField(_l("Trainer"), coerce=int, validate_choice=False,
                          validators=[DataRequired(_l("Choose a trainer."))])
