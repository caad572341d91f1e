from flask_wtf import FlaskForm
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange


class AttemptForm(FlaskForm):
    """The envelope of a save or submit: CSRF and the sequence number. The answers are checked against the
    attempt's own snapshot by quizzes.services.read_responses, since every attempt has its own tokens."""

    seq = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=2_000_000_000)])
