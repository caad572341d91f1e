"""The module editor: create a module, edit its Markdown beside a preview, save a draft, publish, discard,
and upload the images a module shows. Every view loads the course and module through `access`, so a trainer
not assigned to the course (or a trainee) meets "not found"."""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from lms.authoring import drafts
from lms.authoring.history import diff_lines
from lms.authoring.access import editable_course_or_404, editable_module_or_404
from lms.authoring.forms import ModuleEditForm, NewModuleForm, PreviewForm, UploadForm
from lms.authoring.views import authoring_bp
from lms.courses.models import Course, Module
from lms.courses.rendering import COURSE_FILE_MAX_BYTES
from lms.site.errors import wants_json

UPLOAD_REFUSALS = {
    "empty": _l("The file is empty."),
    "too_big": _l("The file is larger than 5 MB. Make the image smaller and upload it again."),
    "type": _l("Only images (PNG, JPEG, GIF, WebP) and PDF files can be uploaded."),
    "mismatch": _l("The file's content is not what its name says (for example, a text file named .png). "
                   "Nothing was uploaded."),
    "busy": _l("The file could not be stored just now. Try again."),
}


@authoring_bp.route("/courses/<slug>/modules/new", methods=["GET", "POST"])
@login_required
def new_module(slug: str):
    course = editable_course_or_404(slug)
    form = NewModuleForm()
    if form.validate_on_submit():
        key = form.key.data or drafts.suggest_key(form.title.data)
        try:
            module = drafts.create_module(course, key=key, title=form.title.data, minutes=form.minutes.data,
                                          author=current_user)
        except drafts.KeyTaken:
            form.key.data = key
            form.key.errors = [_("The course already has a module with the id “%(key)s”. Choose another id.",
                                 key=key)]
        else:
            flash(_("Module created. Write its text, then publish it: trainees do not see it until then."),
                  "success")
            return redirect(url_for("authoring.edit_module", slug=course.slug, key=module.key))
    return render_template("authoring/module_new.html", course=course, form=form)


def _render_editor(course: Course, module: Module, form: ModuleEditForm, state: drafts.EditorState, *,
                   conflict: drafts.Conflict | None = None, status: int = 200):
    source = form.source.data or ""
    page = url_for("courses.module", slug=course.slug, key=module.key)
    upload_form = UploadForm(formdata=None, next=url_for("authoring.edit_module", slug=course.slug, key=module.key))
    return render_template(
        "authoring/module_edit.html", course=course, module=module, form=form, state=state, conflict=conflict,
        diff=diff_lines(conflict.source, source) if conflict else None,
        preview=drafts.render_preview(course, source, page), preview_title=form.title.data or module.title,
        preview_minutes=form.minutes.data if form.minutes.data is not None else module.minutes,
        upload_form=upload_form, upload_refusals=UPLOAD_REFUSALS), status


@authoring_bp.route("/courses/<slug>/modules/<key>/edit", methods=["GET", "POST"])
@login_required
def edit_module(slug: str, key: str):
    course = editable_course_or_404(slug)
    module = editable_module_or_404(course, key)
    state = drafts.editor_state(module)
    form = ModuleEditForm()
    if request.method == "GET":
        form.title.data, form.minutes.data, form.source.data = state.title, state.minutes, state.source
        form.reset_hidden(version=state.version, base_revision=state.base_revision)
        return _render_editor(course, module, form, state)

    form.validate_on_submit()
    errors = form.errors
    if "csrf_token" in errors:  # only when CSRF is on: the global check has already answered 400 otherwise
        return _render_editor(course, module, form, state, status=400)
    if form.preview.data:
        # Without JavaScript: the same page, previewing the text as typed; nothing is saved, nothing complained of.
        for field in form:
            field.errors = []
        return _render_editor(course, module, form, state)
    if form.discard.data and not form.version.errors:
        return _discard(course, module, form, state)
    if errors:
        return _render_editor(course, module, form, state)
    fields = {"title": form.title.data, "minutes": form.minutes.data, "source": form.source.data or "",
              "version": form.version.data, "base_revision": form.base_revision.data, "author": current_user}
    try:
        if form.publish.data:
            if not fields["source"].strip():
                form.source.errors = [_("Write the module's text before publishing it.")]
                return _render_editor(course, module, form, state)
            revision = drafts.publish_draft(module, note=form.note.data or "", **fields)
            flash(_("Published: trainees now read revision %(number)d.", number=revision.number), "success")
        else:
            drafts.save_draft(module, **fields)
            flash(_("Draft saved. Trainees still read the published text.") if module.is_published
                  else _("Draft saved. Trainees will see the module when you publish it."), "success")
    except drafts.EditConflict as refused:
        return _conflict(course, module, form, refused.conflict)
    return redirect(url_for("authoring.edit_module", slug=course.slug, key=module.key))


def _discard(course: Course, module: Module, form: ModuleEditForm, state: drafts.EditorState):
    try:
        drafts.discard_draft(module, version=form.version.data)
    except drafts.EditConflict as refused:
        return _conflict(course, module, form, refused.conflict)
    flash(_("Draft discarded.") if module.is_published else _("Draft discarded. The module has no text yet."),
          "success")
    return redirect(url_for("authoring.edit_module", slug=course.slug, key=module.key))


def _conflict(course: Course, module: Module, form: ModuleEditForm, conflict: drafts.Conflict):
    """Somebody else saved or published meanwhile: show the page again with this trainer's text kept, what
    the other did, and the difference. The hidden fields now name the current state, so saving again (after
    reading it) is a deliberate choice."""
    for field in form:
        field.errors = []
    form.reset_hidden(version=conflict.version, base_revision=conflict.base_revision)
    return _render_editor(course, module, form, drafts.editor_state(module), conflict=conflict, status=409)


@authoring_bp.post("/courses/<slug>/modules/<key>/preview")
@login_required
def preview_module(slug: str, key: str):
    """The text as trainees will see it, as an HTML fragment for the editor's live preview."""
    course = editable_course_or_404(slug)
    module = editable_module_or_404(course, key)
    form = PreviewForm()
    if not form.validate_on_submit():
        return _("The preview could not be made."), 400
    preview = drafts.render_preview(course, form.source.data or "",
                                    url_for("courses.module", slug=course.slug, key=module.key))
    return render_template("authoring/_module_preview.html", course=course, preview=preview,
                           preview_title=form.title.data or module.title,
                           preview_minutes=form.minutes.data if form.minutes.data is not None else module.minutes)


def _back_to_editor(course: Course, target: str | None) -> str | None:
    """Only an address inside this course's authoring pages: never somewhere else."""
    prefix = url_for("authoring.new_module", slug=course.slug).rsplit("/modules/", 1)[0] + "/"
    if target and target.startswith(prefix) and "//" not in target and ".." not in target:
        return target
    return None


@authoring_bp.post("/courses/<slug>/files")
@login_required
def upload_file(slug: str):
    """An image or PDF for the course's modules. The editor's script gets JSON with the Markdown to insert;
    without JavaScript the form comes back to the editor with the Markdown to paste."""
    course = editable_course_or_404(slug)
    form = UploadForm()
    back = _back_to_editor(course, form.next.data)
    as_json = back is None or wants_json()
    if not form.validate_on_submit():
        message = next(iter(form.errors.get("file", [])), None) or _("Choose a file to upload.")
        return _upload_answer(as_json, back, error=str(message))
    upload = form.file.data
    data = upload.read(COURSE_FILE_MAX_BYTES + 1)  # one byte more than allowed is enough to refuse it
    try:
        stored = drafts.store_upload(course, upload.filename or "", data, uploader=current_user)
    except drafts.UploadRefused as refused:
        return _upload_answer(as_json, back, error=str(UPLOAD_REFUSALS[refused.reason]))
    if as_json:
        return jsonify(path=stored.path, markdown=stored.markdown)
    flash(_("Uploaded. Paste this where it should appear in the text: %(markdown)s", markdown=stored.markdown),
          "success")
    return redirect(back)


def _upload_answer(as_json: bool, back: str | None, *, error: str):
    if as_json:
        return jsonify(error=error), 400
    flash(error, "error")
    return redirect(back)
