from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf, DataRequired


class ActionForm(FlaskForm):
    """A button that changes something: nothing to fill in, but CSRF-protected like every POST."""


class LanguageForm(FlaskForm):
    lang = HiddenField(validators=[DataRequired(), AnyOf(["vi", "en"])])
    next = HiddenField()
