from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Length

from lms.qa.services import BODY_MAX_CHARS, BODY_MIN_CHARS


def _stripped(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _body_length():
    return Length(min=BODY_MIN_CHARS, max=BODY_MAX_CHARS,
                  message=_l("Write between %(min)d and %(max)d characters.", min=BODY_MIN_CHARS,
                             max=BODY_MAX_CHARS))


VISIBILITY_PRIVATE, VISIBILITY_PUBLIC = "private", "public"


class AskForm(FlaskForm):
    body = TextAreaField(_l("Your question"), filters=[_stripped],
                         validators=[DataRequired(_l("Write your question.")), _body_length()],
                         description=_l("Markdown is allowed: **bold**, lists, links."), render_kw={"rows": 5})
    visibility = RadioField(_l("Who can read it"), default=VISIBILITY_PRIVATE,
                            choices=[SelectChoice(VISIBILITY_PRIVATE, _l("Only the course's trainers")),
                                     SelectChoice(VISIBILITY_PUBLIC, _l("Everyone studying the course"))],
                            validators=[DataRequired(_l("Choose who can read your question."))])

    # One line under each choice, so the trainee knows what each one means before asking.
    VISIBILITY_HINTS = {
        VISIBILITY_PRIVATE: _l("Your question and its answers are seen by you and the trainers only."),
        VISIBILITY_PUBLIC: _l("Other trainees of the course can read your question, with your name, and the "
                              "answers."),
    }


class AnswerForm(FlaskForm):
    body = TextAreaField(_l("Your answer"), filters=[_stripped],
                         validators=[DataRequired(_l("Write your answer.")), _body_length()],
                         description=_l("Markdown is allowed: **bold**, lists, links. Cite the legal basis "
                                        "where you can."), render_kw={"rows": 8})


class FaqForm(FlaskForm):
    """Promote to, or remove from, the FAQ: the wanted state is sent, so a double click changes nothing more."""

    in_faq = HiddenField(validators=[AnyOf(["1", "0"])])
