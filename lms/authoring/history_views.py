"""A module's history: its published revisions, the difference between two, one revision as trainees read
it, and restoring an old one (as a new revision)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.authoring import history
from lms.authoring.access import editable_course_or_404, editable_module_or_404
from lms.authoring.views import authoring_bp
from lms.courses.models import Course, Module, ModuleRevision
from lms.courses.revisions import published_revision
from lms.site.forms import ActionForm


def _load(slug: str, key: str) -> tuple[Course, Module]:
    course = editable_course_or_404(slug)
    return course, editable_module_or_404(course, key)


def _revision_or_404(module: Module, number: int) -> ModuleRevision:
    revision = history.find_revision(module, number)
    if revision is None:
        abort(404)
    return revision


@authoring_bp.get("/courses/<slug>/modules/<key>/history", endpoint="history")
@login_required
def history_page(slug: str, key: str):
    course, module = _load(slug, key)
    revisions = history.module_revisions(module)
    return render_template("authoring/history.html", course=course, module=module, revisions=revisions,
                           draft=history.module_draft(module), action_form=ActionForm(),
                           # Preselected: what the latest publish changed.
                           default_a=revisions[1].number if len(revisions) > 1 else None,
                           default_b=revisions[0].number if revisions else None)


@authoring_bp.get("/courses/<slug>/modules/<key>/diff")
@login_required
def diff(slug: str, key: str):
    course, module = _load(slug, key)
    a, b = request.args.get("a", type=int), request.args.get("b", type=int)
    if a is None or b is None:
        flash(_("Choose the two revisions to compare."), "error")
        return redirect(url_for("authoring.history", slug=course.slug, key=module.key))
    old, new = _revision_or_404(module, a), _revision_or_404(module, b)
    return render_template("authoring/diff.html", course=course, module=module, old=old, new=new,
                           lines=history.diff_lines(old.source_markdown, new.source_markdown),
                           title_changed=(old.title or module.title) != (new.title or module.title))


@authoring_bp.get("/courses/<slug>/modules/<key>/revisions/<int:number>", endpoint="revision")
@login_required
def revision_page(slug: str, key: str, number: int):
    course, module = _load(slug, key)
    return render_template("authoring/revision.html", course=course, module=module,
                           revision=_revision_or_404(module, number), latest=published_revision(module),
                           draft=history.module_draft(module), action_form=ActionForm())


@authoring_bp.post("/courses/<slug>/modules/<key>/revisions/<int:number>/restore")
@login_required
def restore(slug: str, key: str, number: int):
    course, module = _load(slug, key)
    revision = _revision_or_404(module, number)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        restored = history.restore_revision(module, revision, actor=current_user)
    except history.RestoreRefused as refusal:
        flash(refusal.message, "error")
        return redirect(url_for("authoring.history", slug=course.slug, key=module.key))
    if restored is None:
        flash(_("Trainees already read the text of revision %(number)d: nothing was changed.", number=number),
              "info")
    else:
        flash(_("Revision %(old)d has been published again as revision %(new)d: trainees read it now.",
                old=number, new=restored.number), "success")
    return redirect(url_for("authoring.history", slug=course.slug, key=module.key))
