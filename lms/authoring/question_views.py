"""The question bank and quiz settings of a course, for its trainers (and admins).

Load the course with `editable_course_or_404` (a trainer not assigned to it, or a trainee, meets 404), the
question or quiz as a child of that course, then hand the form's bank entry to `question_services`.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import case, func, or_, select

from lms.accounts.text_search import contains_folded
from lms.authoring import question_services as services
from lms.authoring.access import editable_course_or_404
from lms.authoring.question_forms import (DEFAULT_SCORING, QUESTION_TYPE_LABELS, SCORING_LABELS,
                                          QuestionFilterForm, QuestionForm, QuizSettingsForm, add_spare_rows,
                                          entry_from_form, form_data, settings_data, settings_from_form)
from lms.authoring.views import authoring_bp
from lms.courses.models import Course
from lms.extensions import db
from lms.quizzes import grading
from lms.quizzes.banks import available_by_category
from lms.quizzes.models import Question, Quiz
from lms.quizzes.services import course_quizzes
from lms.site.formatting import format_moment
from lms.site.forms import ActionForm

QUESTIONS_PER_PAGE = 40
# Bank-file keys shown by the common fields; problems with any other key belong to the answer section.
FIELD_KEYS = {"category": "category", "tags": "tags", "points": "points", "prompt": "prompt",
              "explanation": "explanation", "source": "source"}
ANSWER_KEYS = {"options", "shuffle", "scoring", "answer", "answers", "tolerance", "range", "pairs",
               "distractors", "items"}


def _question_or_404(course: Course, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or question.course_id != course.id:
        abort(404)
    return question


def _quiz_or_404(course: Course, key: str) -> Quiz:
    quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.key == key,
                                                Quiz.retired.is_(False)))
    if quiz is None:
        abort(404)
    return quiz


def _in_course_order(course: Course) -> list[Quiz]:
    """Module quizzes in the modules' order, then the final exam."""
    return sorted(course_quizzes(course), key=lambda q: (q.is_final, q.module.position if q.module else 0))


def _type_labels() -> dict[str, str]:
    return {kind: str(label) for kind, label in QUESTION_TYPE_LABELS.items()}


# --- the bank --------------------------------------------------------------------------------------------

@authoring_bp.get("/courses/<slug>/questions")
@login_required
def questions(slug: str):
    course = editable_course_or_404(slug)
    categories = services.category_choices(course)
    form = QuestionFilterForm(request.args)
    form.category.choices = [("", _("Every category"))] + categories
    form.qtype.choices = [("", _("Every type"))] + list(_type_labels().items())
    query = select(Question).where(Question.course_id == course.id)
    if form.category.data:
        query = query.where(Question.category == form.category.data)
    if form.qtype.data:
        query = query.where(Question.qtype == form.qtype.data)
    if form.q.data and form.q.data.strip():
        text = form.q.data.strip()
        query = query.where(or_(contains_folded(Question.prompt_markdown, text),
                                Question.key.contains(text.lower(), autoescape=True),
                                contains_folded(Question.legal_source, text)))
    if not form.retired.data:
        query = query.where(Question.retired.is_(False))
    # Categories in the course's module order (then the others, such as the final exam's), as trainers read it.
    module_order = case({m.key: m.position for m in course.editable_modules} or {"": 0}, value=Question.category,
                        else_=10_000)
    page = db.paginate(query.order_by(module_order, Question.category, Question.key), per_page=QUESTIONS_PER_PAGE,
                       error_out=False)
    retired_count = db.session.scalar(select(func.count(Question.id)).where(
        Question.course_id == course.id, Question.retired.is_(True)))
    return render_template("authoring/questions.html", course=course, form=form, page=page,
                           query_args={k: v for k, v in request.args.items() if k != "page"},
                           categories=categories, category_labels=dict(categories), type_labels=_type_labels(),
                           available=available_by_category(course), quizzes=_in_course_order(course),
                           retired_count=retired_count)


# --- the editor ------------------------------------------------------------------------------------------

def _problems_into_form(form: QuestionForm, problems) -> list[str]:
    """Each problem under its field (the answer section's go to the template); returns every message."""
    for problem in problems:
        if problem.key in FIELD_KEYS:
            field = getattr(form, FIELD_KEYS[problem.key])
            field.errors = [*field.errors, str(problem.message)]
    return [str(p.message) for p in problems]


def _editor(course: Course, qtype: str, form: QuestionForm, *, question: Question | None,
            problems=(), preview=None, status: int = 200):
    add_spare_rows(form)
    answer_problems = [str(p.message) for p in problems if p.key in ANSWER_KEYS]
    return render_template(
        "authoring/question_edit.html", course=course, question=question, qtype=qtype, form=form,
        previewing=request.form.get("action") == "preview",
        type_label=_type_labels()[qtype], type_labels=_type_labels(), preview=preview,
        problems=_problems_into_form(form, problems), answer_problems=answer_problems,
        drops_details=question is not None and services.editor_drops_details(question),
        scoring_labels=SCORING_LABELS, number=grading.format_number, action_form=ActionForm()), status


def _preview_of_form(form: QuestionForm, qtype: str, key: str):
    """(preview, problems) for the form as typed: nothing is saved. A question whose only gaps are its
    explanation or legal source is still previewed, with those gaps listed, since they are written last."""
    entry = dict(entry_from_form(form, qtype), id=key)
    try:
        return services.preview(services.check_question(entry)), []
    except services.QuestionRefused as refused:
        problems = refused.problems
    try:
        filled = dict(entry, explanation=entry["explanation"] or "…", source=entry["source"] or "…")
        return services.preview(services.check_question(filled)), problems
    except services.QuestionRefused:
        return None, problems


@authoring_bp.route("/courses/<slug>/questions/new", methods=["GET", "POST"])
@login_required
def new_question(slug: str):
    course = editable_course_or_404(slug)
    qtype = request.args.get("qtype") or grading.SINGLE
    if qtype not in grading.QUESTION_TYPES:
        abort(404)
    categories = services.category_choices(course)
    if request.method == "GET":
        wanted = request.args.get("category", "")
        form = QuestionForm(data={"category": wanted if wanted in dict(categories) else None,
                                  "scoring": DEFAULT_SCORING.get(qtype)})
    else:
        form = QuestionForm()
    form.category.choices = categories
    if request.method == "GET" or not form.validate_on_submit():
        return _editor(course, qtype, form, question=None)
    if request.form.get("action") == "preview":
        preview, problems = _preview_of_form(form, qtype, "new-question")
        return _editor(course, qtype, form, question=None, preview=preview, problems=problems)
    try:
        question = services.create_question(course, entry_from_form(form, qtype), current_user)
    except services.QuestionRefused as refused:
        return _editor(course, qtype, form, question=None, problems=refused.problems)
    flash(_("Question %(key)s created.", key=question.key), "success")
    return redirect(url_for(".preview_question", slug=course.slug, question_id=question.id))


@authoring_bp.route("/courses/<slug>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@login_required
def edit_question(slug: str, question_id: int):
    course = editable_course_or_404(slug)
    question = _question_or_404(course, question_id)
    qtype = question.qtype
    if request.method == "GET":
        form = QuestionForm(data=form_data(services.bank_entry(question), qtype))
        form.version.data = services.version_of(question)
    else:
        form = QuestionForm()
    form.category.choices = services.category_choices(course)
    if question.category not in dict(form.category.choices):
        form.category.choices.append((question.category, question.category))
    if request.method == "GET" or not form.validate_on_submit():
        return _editor(course, qtype, form, question=question)
    if request.form.get("action") == "preview":
        preview, problems = _preview_of_form(form, qtype, question.key)
        return _editor(course, qtype, form, question=question, preview=preview, problems=problems)
    try:
        changed = services.edit_question(question, entry_from_form(form, qtype), current_user,
                                         version=form.version.data)
    except services.QuestionConflict as conflict:
        form.version.data = conflict.version  # saving again now overwrites knowingly
        who = conflict.saved_by.full_name if conflict.saved_by else _("someone else")
        flash(_("%(who)s saved this question at %(time)s, after you opened it. Nothing was overwritten: your "
                "version is below. Open the preview in a new tab to compare, then save again to keep yours.",
                who=who, time=format_moment(conflict.saved_at)), "error")
        return _editor(course, qtype, form, question=question, status=409)
    except services.QuestionRefused as refused:
        return _editor(course, qtype, form, question=question, problems=refused.problems)
    if changed:
        flash(_("Question %(key)s saved. Attempts already made keep the question as they drew it.",
                key=question.key), "success")
    else:
        flash(_("Nothing had changed."), "info")
    return redirect(url_for(".preview_question", slug=course.slug, question_id=question.id))


@authoring_bp.get("/courses/<slug>/questions/<int:question_id>/preview")
@login_required
def preview_question(slug: str, question_id: int):
    course = editable_course_or_404(slug)
    question = _question_or_404(course, question_id)
    categories = dict(services.category_choices(course))
    return render_template("authoring/question_preview.html", course=course, question=question,
                           preview=services.preview(question), type_label=_type_labels()[question.qtype],
                           category_label=categories.get(question.category, question.category),
                           scoring_labels=SCORING_LABELS, number=grading.format_number, action_form=ActionForm())


def _back_to_question(course: Course, question: Question):
    return redirect(url_for(".preview_question", slug=course.slug, question_id=question.id))


@authoring_bp.post("/courses/<slug>/questions/<int:question_id>/retire")
@login_required
def retire_question(slug: str, question_id: int):
    course = editable_course_or_404(slug)
    question = _question_or_404(course, question_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        if services.retire_question(question, current_user):
            flash(_("Question %(key)s retired: quizzes no longer draw it. Attempts that drew it keep it.",
                    key=question.key), "success")
    except services.QuestionRefused as refused:
        flash(" ".join(str(p.message) for p in refused.problems), "error")
    return _back_to_question(course, question)


@authoring_bp.post("/courses/<slug>/questions/<int:question_id>/unretire")
@login_required
def unretire_question(slug: str, question_id: int):
    course = editable_course_or_404(slug)
    question = _question_or_404(course, question_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if services.unretire_question(question, current_user):
        flash(_("Question %(key)s is back in the bank: quizzes draw it again.", key=question.key), "success")
    return _back_to_question(course, question)


# --- quiz settings ---------------------------------------------------------------------------------------

@authoring_bp.route("/courses/<slug>/quizzes/<quiz_key>/settings", methods=["GET", "POST"])
@login_required
def quiz_settings(slug: str, quiz_key: str):
    course = editable_course_or_404(slug)
    quiz = _quiz_or_404(course, quiz_key)
    categories = services.category_choices(course)
    if request.method == "GET":
        form = QuizSettingsForm(data=settings_data(quiz, [key for key, _label in categories]))
    else:
        form = QuizSettingsForm()
    problems = []
    if form.validate_on_submit():
        try:
            changed = services.save_quiz_settings(quiz, settings_from_form(form), current_user)
        except services.QuizRefused as refused:
            problems = refused.problems
            for problem in problems:
                field = getattr(form, problem.key, None) if problem.key != "draw" else None
                if field is not None:
                    field.errors = [*field.errors, str(problem.message)]
        else:
            flash(_("The quiz settings are saved. Attempts already started keep their questions and time limit.")
                  if changed else _("Nothing had changed."), "success" if changed else "info")
            return redirect(url_for(".quiz_settings", slug=course.slug, quiz_key=quiz.key))
    return render_template("authoring/quiz_settings.html", course=course, quiz=quiz, form=form,
                           problems=[str(p.message) for p in problems],
                           draw_problems=[str(p.message) for p in problems if p.key == "draw"],
                           category_labels=dict(categories), available=available_by_category(course))
