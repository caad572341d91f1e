"""The question editor's and the quiz settings' forms, and their translation to and from the bank-file
format: the form only gathers what a trainer typed; `bank_files` decides whether it is a valid question.

Rows (choices, pairs, items) are a fixed number of inputs, blank ones left out, so the page works without
JavaScript; a trainer who fills every row gets two more after a preview.
"""
from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, FieldList, Form, FormField, HiddenField, RadioField, SelectField,
                     StringField, TextAreaField)
from wtforms.validators import Length, Optional

from lms.quizzes import grading as g
from lms.quizzes.bank_files import GRADING_METHODS, REVIEW_POLICIES

DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}
ROWS = 6  # rows shown for choices, pairs and items (more when a question already has more)
MAX_ROWS = 40

QUESTION_TYPE_LABELS = {
    g.SINGLE: _l("Single choice"), g.MULTIPLE: _l("Multiple choice"), g.TRUE_FALSE: _l("True or false"),
    g.SHORT_ANSWER: _l("Short answer"), g.NUMERIC: _l("Number"), g.MATCHING: _l("Matching"),
    g.ORDERING: _l("Ordering"),
}
SCORING_LABELS = {g.ALL_OR_NOTHING: _l("All or nothing"), g.PARTIAL: _l("Partial credit")}
DEFAULT_SCORING = {g.MULTIPLE: g.ALL_OR_NOTHING, g.MATCHING: g.PARTIAL, g.ORDERING: g.ALL_OR_NOTHING}
GRADING_LABELS = {"highest": _l("The highest attempt counts"), "last": _l("The last attempt counts")}
REVIEW_LABELS = {"after-each": _l("Answers and explanations after every attempt"),
                 "after-pass": _l("Answers and explanations once passed"), "never": _l("The score only")}


# --- rows ------------------------------------------------------------------------------------------------

class OptionRow(Form):
    text = StringField(_l("Choice"), validators=[Optional(), Length(max=1000)])
    correct = BooleanField(_l("Correct"))
    feedback = StringField(_l("Feedback when chosen"), validators=[Optional(), Length(max=1000)])
    weight = StringField(_l("Weight (−1 to 1)"), validators=[Optional(), Length(max=20)],
                         description=_l("Leave empty: the platform shares the marks between the right choices."))


class PairRow(Form):
    left = StringField(_l("Left"), validators=[Optional(), Length(max=1000)])
    right = StringField(_l("Matches"), validators=[Optional(), Length(max=1000)])


class ItemRow(Form):
    text = StringField(_l("Item"), validators=[Optional(), Length(max=1000)])


class DrawRow(Form):
    category = HiddenField()
    include = BooleanField(_l("Draw from this category"))
    count = StringField(_l("How many"), validators=[Optional(), Length(max=10)])


# --- the question editor ---------------------------------------------------------------------------------

class QuestionForm(FlaskForm):
    category = SelectField(_l("Category"), description=_l("Quizzes draw their questions by category: by "
                                                          "convention, the module the question tests."))
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=500)],
                       description=_l("Optional words separated by commas, e.g. luat-2022, ho-so."))
    points = StringField(_l("Points"), default="1", validators=[Optional(), Length(max=20)], render_kw=DECIMAL)
    prompt = TextAreaField(_l("Question"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 6},
                           description=_l("Markdown: **bold**, *italic*, lists, tables."))
    explanation = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=20000)], render_kw={"rows": 4},
                                description=_l("Shown after grading (as the quiz's review setting allows)."))
    source = TextAreaField(_l("Legal source"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2},
                           description=_l("The law or decree and its article, e.g. “Luật Thi đua, khen thưởng "
                                          "2022, khoản 1 Điều 94”. Every question names its legal basis."))
    # single and multiple choice
    options = FieldList(FormField(OptionRow), min_entries=ROWS, max_entries=MAX_ROWS)
    correct_option = StringField(validators=[Optional(), Length(max=3)])  # single: the right row's number
    shuffle = BooleanField(_l("Shuffle the choices in each attempt"), default=True,
                           description=_l("Untick for choices like “all of the above”."))
    scoring = SelectField(_l("Scoring"), choices=list(SCORING_LABELS.items()), default=g.ALL_OR_NOTHING)
    # true or false
    tf_answer = RadioField(_l("The statement is"), choices=[("true", _l("True")), ("false", _l("False"))],
                           validate_choice=False)
    # short answer
    accepted = TextAreaField(_l("Accepted answers"), validators=[Optional(), Length(max=5000)],
                             description=_l("One per line. Capitals and extra spaces do not matter; diacritics "
                                            "do (“Thu tuong” is not “Thủ tướng”)."))
    # numeric
    numeric_answer = StringField(_l("Answer"), validators=[Optional(), Length(max=30)], render_kw=DECIMAL)
    tolerance = StringField(_l("Tolerance (±)"), validators=[Optional(), Length(max=30)], render_kw=DECIMAL,
                            description=_l("Empty or 0: exactly the answer."))
    range_low = StringField(_l("Or any number from"), validators=[Optional(), Length(max=30)], render_kw=DECIMAL)
    range_high = StringField(_l("to"), validators=[Optional(), Length(max=30)], render_kw=DECIMAL)
    # matching
    pairs = FieldList(FormField(PairRow), min_entries=ROWS, max_entries=MAX_ROWS)
    distractors = TextAreaField(_l("Extra wrong matches"), validators=[Optional(), Length(max=5000)],
                                description=_l("Optional, one per line: offered in every list but matching "
                                               "nothing."))
    # ordering
    order_items = FieldList(FormField(ItemRow), min_entries=ROWS, max_entries=MAX_ROWS)
    # the question's updated_at when the editor opened it: a save over someone else's newer save is refused
    version = HiddenField()


def _clean(text: str | None) -> str:
    return unicodedata.normalize("NFC", (text or "").replace("\r\n", "\n")).strip()


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in _clean(text).split("\n") if line.strip()]


def _number(text: str | None):
    """A number as typed ("4,5" or "4.5"); None when blank; the text itself when it is no number, so the
    bank reader reports it with its own message."""
    text = _clean(text)
    if not text:
        return None
    value = g.parse_number(text)
    if value is None:
        return text
    return int(value) if value.is_integer() else value


def _shown(value) -> str:
    if value is None:
        return ""
    return g.format_number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)


def _answer_entry(form: QuestionForm, qtype: str) -> dict:
    if qtype in (g.SINGLE, g.MULTIPLE):
        options = []
        for n, row in enumerate(form.options):
            text = _clean(row.text.data)
            if not text:
                continue
            correct = form.correct_option.data == str(n) if qtype == g.SINGLE else bool(row.correct.data)
            option: dict = {"text": text, "correct": correct}
            if _clean(row.feedback.data):
                option["feedback"] = _clean(row.feedback.data)
            if _number(row.weight.data) is not None:
                option["weight"] = _number(row.weight.data)
            options.append(option)
        entry: dict = {"options": options, "shuffle": bool(form.shuffle.data)}
        return entry | ({"scoring": form.scoring.data} if qtype == g.MULTIPLE else {})
    if qtype == g.TRUE_FALSE:
        return {"answer": {"true": True, "false": False}.get(form.tf_answer.data)}
    if qtype == g.SHORT_ANSWER:
        return {"answers": _lines(form.accepted.data)}
    if qtype == g.NUMERIC:
        low, high = _number(form.range_low.data), _number(form.range_high.data)
        if low is None and high is None:
            return {"answer": _number(form.numeric_answer.data), "tolerance": _number(form.tolerance.data) or 0}
        entry = {"range": [low, high]}
        if _number(form.numeric_answer.data) is not None:  # both given: the reader says range replaces answer
            entry = {"answer": _number(form.numeric_answer.data)} | entry
        return entry
    if qtype == g.MATCHING:
        pairs = [{"left": _clean(row.left.data), "right": _clean(row.right.data)} for row in form.pairs
                 if _clean(row.left.data) or _clean(row.right.data)]
        return {"pairs": pairs, "distractors": _lines(form.distractors.data), "scoring": form.scoring.data}
    if qtype == g.ORDERING:
        items = [_clean(row.text.data) for row in form.order_items if _clean(row.text.data)]
        return {"items": items, "scoring": form.scoring.data}
    raise ValueError(qtype)


def entry_from_form(form: QuestionForm, qtype: str) -> dict:
    """The question as a bank file would hold it (without its id). Every key the editor has is written,
    blank or not, so the reader reports a missing prompt or source at that field."""
    entry: dict = {"type": qtype, "category": form.category.data or "",
                   "tags": [t.strip() for t in _clean(form.tags.data).split(",") if t.strip()]}
    if _number(form.points.data) is not None:
        entry["points"] = _number(form.points.data)
    entry["prompt"] = _clean(form.prompt.data)
    entry.update(_answer_entry(form, qtype))
    entry["explanation"] = _clean(form.explanation.data)
    entry["source"] = _clean(form.source.data)
    return entry


def form_data(entry: dict, qtype: str) -> dict:
    """The editor's fields for a question given as its bank entry (bank_export.question_entry)."""
    data: dict = {"category": entry.get("category"), "tags": ", ".join(entry.get("tags", [])),
                  "points": _shown(entry.get("points", 1)), "prompt": entry.get("prompt", ""),
                  "explanation": entry.get("explanation", ""), "source": entry.get("source", ""),
                  "shuffle": entry.get("shuffle", True), "scoring": entry.get("scoring", DEFAULT_SCORING.get(qtype))}
    options = entry.get("options", [])
    data["options"] = [{"text": o["text"], "correct": bool(o.get("correct")), "feedback": o.get("feedback", ""),
                        "weight": _shown(o.get("weight"))} for o in options]
    data["correct_option"] = next((str(n) for n, o in enumerate(options) if o.get("correct")), "")
    if "answer" in entry and qtype == g.TRUE_FALSE:
        data["tf_answer"] = "true" if entry["answer"] else "false"
    data["accepted"] = "\n".join(str(a) for a in entry.get("answers", []))
    if qtype == g.NUMERIC:
        data["numeric_answer"], data["tolerance"] = _shown(entry.get("answer")), _shown(entry.get("tolerance"))
        low, high = entry.get("range", [None, None])
        data["range_low"], data["range_high"] = _shown(low), _shown(high)
    data["pairs"] = [dict(p) for p in entry.get("pairs", [])]
    data["distractors"] = "\n".join(entry.get("distractors", []))
    data["order_items"] = [{"text": item} for item in entry.get("items", [])]
    return data


def add_spare_rows(form: QuestionForm) -> None:
    """At least ROWS rows, and two blank ones beyond the last filled row, so a list can grow without JS."""
    for rows, filled in ((form.options, lambda r: r.text.data), (form.order_items, lambda r: r.text.data),
                         (form.pairs, lambda r: r.left.data or r.right.data)):
        used = max((n + 1 for n, row in enumerate(rows) if filled(row)), default=0)
        while len(rows) < min(MAX_ROWS, max(ROWS, used + 2)):
            rows.append_entry()


class QuestionFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search: nothing changes

    category = SelectField(_l("Category"), validate_choice=False)
    qtype = SelectField(_l("Type"), validate_choice=False)
    q = StringField(_l("Text"), validators=[Optional(), Length(max=200)],
                    description=_l("In the question, its id or its legal source."))
    retired = BooleanField(_l("Show retired questions"))


# --- quiz settings ---------------------------------------------------------------------------------------

class QuizSettingsForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=300)])
    pass_mark = StringField(_l("Pass mark (%)"), validators=[Optional(), Length(max=10)],
                            description=_l("A whole number from 1 to 100."))
    time_limit_minutes = StringField(_l("Time limit (minutes)"), validators=[Optional(), Length(max=10)],
                                     description=_l("Empty: untimed. The server keeps the clock."))
    max_attempts = StringField(_l("Attempts allowed"), validators=[Optional(), Length(max=10)],
                               description=_l("Empty: unlimited."))
    wait_minutes = StringField(_l("Wait between attempts (minutes)"), validators=[Optional(), Length(max=10)],
                               description=_l("Empty or 0: the next attempt may start at once."))
    grading = SelectField(_l("Grade"), choices=[(m, GRADING_LABELS[m]) for m in GRADING_METHODS])
    review = SelectField(_l("After an attempt, trainees see"),
                         choices=[(p, REVIEW_LABELS[p]) for p in REVIEW_POLICIES])
    draw = FieldList(FormField(DrawRow), max_entries=200)


_WHOLE = re.compile(r"^[+-]?\d{1,9}$")


def _whole(text: str | None, blank=None):
    text = _clean(text)
    if not text:
        return blank
    return int(text) if _WHOLE.fullmatch(text) else text


def settings_from_form(form: QuizSettingsForm) -> dict:
    """The quiz's settings as a `quiz:` block would hold them."""
    draw = []
    for row in form.draw:
        if not row.include.data:
            continue
        count = _whole(row.count.data)
        draw.append({"category": _clean(row.category.data)} | ({} if count is None else {"count": count}))
    return {"title": _clean(form.title.data), "draw": draw, "pass_mark": _whole(form.pass_mark.data, blank=""),
            "time_limit_minutes": _whole(form.time_limit_minutes.data),
            "max_attempts": _whole(form.max_attempts.data), "wait_minutes": _whole(form.wait_minutes.data, 0),
            "grading": form.grading.data, "review": form.review.data}


def settings_data(quiz, categories: list[str]) -> dict:
    """The form's fields for a quiz: a draw row for each rule (in order), then one for every other category."""
    rules = [{"category": r.category, "include": True, "count": _shown(r.count)} for r in quiz.draw_rules]
    drawn = {r.category for r in quiz.draw_rules}
    rules += [{"category": c, "include": False, "count": ""} for c in categories if c not in drawn]
    return {"title": quiz.title, "pass_mark": str(quiz.pass_mark),
            "time_limit_minutes": _shown(quiz.time_limit_minutes), "max_attempts": _shown(quiz.max_attempts),
            "wait_minutes": _shown(quiz.wait_minutes or None),
            "grading": quiz.grading.value, "review": quiz.review.value, "draw": rules}
