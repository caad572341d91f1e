"""A person's graded attempts and the grade override form, for admins."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.accounts.access import admin_required
from lms.accounts.models import User
from lms.extensions import db
from lms.quizzes.models import Attempt, AttemptState
from lms.quizzes.overrides import GradeOverrideRefused, override_grade
from lms.reports.grade_forms import GradeOverrideForm
from lms.reports.views import reports_bp


@reports_bp.get("/people/<int:person_id>/grades")
@admin_required
def grades(person_id: int):
    person = db.get_or_404(User, person_id)
    attempts = db.session.scalars(select(Attempt).where(Attempt.user_id == person.id,
                                                        Attempt.state == AttemptState.GRADED)
                                  .order_by(Attempt.submitted_at.desc())).all()
    return render_template("reports/grades.html", person=person, attempts=attempts)


@reports_bp.route("/people/<int:person_id>/grades/<int:graded_attempt_id>", methods=["GET", "POST"])
@admin_required
def override(person_id: int, graded_attempt_id: int):
    person = db.get_or_404(User, person_id)
    attempt = db.get_or_404(Attempt, graded_attempt_id)
    if attempt.user_id != person.id or attempt.state is not AttemptState.GRADED:
        abort(404)
    form = GradeOverrideForm()
    if form.validate_on_submit():
        try:
            override_grade(attempt, score_percent=float(form.score_percent.data), reason=form.reason.data,
                           actor=current_user)
        except GradeOverrideRefused:
            abort(400)
        flash(_("The grade is now %(score)s%%; the change and its reason are in the audit log.",
                score=attempt.score_percent), "success")
        return redirect(url_for("reports.grades", person_id=person.id))
    if not form.is_submitted():
        form.score_percent.data = attempt.score_percent
    return render_template("reports/grade_override.html", person=person, attempt=attempt, form=form)
