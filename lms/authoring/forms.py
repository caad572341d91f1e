"""Forms of the module editor (H2's course forms are in course_forms.py, H3's in question_forms.py)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import HiddenInput

from lms.authoring.drafts import KEY_MAX_LENGTH, KEY_RE

SOURCE_MAX_LENGTH = 300_000  # characters of Markdown: far more than the longest shipped module


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class NewModuleForm(FlaskForm):
    title = StringField(_l("Title"), filters=[_strip], validators=[DataRequired(), Length(max=300)])
    key = StringField(_l("Module id"), filters=[_strip],
                      validators=[Optional(), Length(max=KEY_MAX_LENGTH),
                                  Regexp(KEY_RE, message=_l("Use lower-case letters a–z, digits and hyphens, "
                                                            "e.g. “ho-so-khen-thuong”."))],
                      description=_l("Part of the module's address; it never changes once created. Leave it "
                                     "empty to make one from the title."))
    minutes = IntegerField(_l("Reading time (minutes)"), default=10,
                           validators=[InputRequired(), NumberRange(min=0, max=600)])


class ModuleEditForm(FlaskForm):
    title = StringField(_l("Title"), filters=[_strip], validators=[DataRequired(), Length(max=300)])
    minutes = IntegerField(_l("Reading time (minutes)"), validators=[InputRequired(), NumberRange(min=0, max=600)])
    source = TextAreaField(_l("Text (Markdown)"), validators=[Optional(), Length(max=SOURCE_MAX_LENGTH)],
                           description=_l("## for a section heading, ### for a sub-heading, **bold**, - for a "
                                          "list item, [text](address) for a link."),
                           render_kw={"rows": 24, "spellcheck": "true"})
    note = StringField(_l("What changed (optional)"), filters=[_strip], validators=[Optional(), Length(max=300)],
                       description=_l("Shown in the module's history when you publish."))
    # The draft version and published revision the editor was opened on: a save from a stale editor is refused.
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=0)])
    base_revision = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=0)])
    save = SubmitField(_l("Save draft"))
    preview = SubmitField(_l("Preview"))
    publish = SubmitField(_l("Publish"))
    discard = SubmitField(_l("Discard draft"))

    def reset_hidden(self, *, version: int, base_revision: int) -> None:
        """Point the editor at the module as it is now (after a conflict the trainer has been shown)."""
        for field, value in ((self.version, version), (self.base_revision, base_revision)):
            field.data, field.raw_data = value, [str(value)]


class PreviewForm(FlaskForm):
    source = TextAreaField(validators=[Optional(), Length(max=SOURCE_MAX_LENGTH)])
    title = StringField(validators=[Optional(), Length(max=300)])
    minutes = IntegerField(validators=[Optional(), NumberRange(min=0, max=600)])


class UploadForm(FlaskForm):
    file = FileField(_l("Image or PDF"), validators=[FileRequired(_l("Choose a file to upload."))],
                     description=_l("PNG, JPEG, GIF, WebP or PDF, at most 5 MB."),
                     render_kw={"accept": ".png,.jpg,.jpeg,.gif,.webp,.pdf"})
    next = HiddenField()
