"""Certificates: the holder's list and downloads, public verification, and the admin's register."""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from lms.accounts.access import admin_required
from lms.accounts.models import User
from lms.accounts.services import normalise_username, units_in_tree_order
from lms.audit.models import AuditEvent
from lms.certificates import services
from lms.certificates.forms import (CertificateFilterForm, ConfirmForm, InPersonIssueForm, ReissueForm,
                                    RevokeForm, VerifyForm)
from lms.certificates.models import Certificate
from lms.certificates.document import format_code
from lms.courses.models import Course
from lms.extensions import db, limiter

certificates_bp = Blueprint("certificates", __name__, template_folder="templates")
certificate_admin_bp = Blueprint("certificate_admin", __name__, url_prefix="/admin/certificates",
                                 template_folder="templates")


@certificates_bp.app_template_filter("verification_code")
def verification_code_filter(code: str) -> str:
    return format_code(code)


def _status_of(certificate: Certificate) -> str:
    return certificate.effective_status(services.local_today())


def _owned_or_admin(certificate_id: int) -> Certificate:
    """Another person's certificate does not exist for a trainee or trainer (404, not 403)."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or (certificate.user_id != current_user.id and not current_user.is_admin):
        abort(404)
    return certificate


# --- the holder ---------------------------------------------------------------------------------------------

@certificates_bp.get("/certificates")
@login_required
def mine():
    certificates = services.certificates_of(current_user)
    return render_template("certificates/mine.html", certificates=certificates, status_of=_status_of,
                           renewable={c.id for c in certificates if services.is_renewable(c)},
                           renew_form=ConfirmForm())


@certificates_bp.get("/certificates/<int:certificate_id>/download")
@login_required
def download(certificate_id: int):
    certificate = _owned_or_admin(certificate_id)
    try:
        pdf = services.stored_pdf(certificate)
    except FileNotFoundError:
        current_app.logger.error("stored PDF %s of certificate %s is missing", certificate.pdf_key, certificate.id)
        abort(404)
    return send_file(BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{certificate.serial}.pdf", max_age=0)


@certificates_bp.post("/certificates/<int:certificate_id>/renew")
@login_required
def renew(certificate_id: int):
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.user_id != current_user.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            enrolment = services.renew(certificate, current_user)
        except services.CertificateRefused:
            flash(_("This certificate cannot be renewed now."), "error")
            return redirect(url_for(".mine"))
        flash(_("A new cycle of %(title)s has started. Study the modules again and pass the final exam to "
                "receive a new certificate; your earlier results are kept.", title=enrolment.course.title),
              "success")
        return redirect(url_for("courses.course", slug=enrolment.course.slug))
    return redirect(url_for(".mine"))


# --- verification (public) ----------------------------------------------------------------------------------

def _verify_limit() -> str:
    return current_app.config["RATELIMIT_VERIFY"]


@certificates_bp.get("/verify")
@limiter.limit(_verify_limit)
def verify_form():
    form = VerifyForm(request.args)
    if request.args and form.validate():
        code = services.normalise_code(form.code.data)
        if code is not None:
            return redirect(url_for(".verify", code=code))
        return render_template("certificates/verify_not_found.html", form=form, typed=form.code.data), 404
    return render_template("certificates/verify_form.html", form=form)


@certificates_bp.get("/verify/<code>")
@limiter.limit(_verify_limit)
def verify(code: str):
    certificate = services.find_by_code(code)
    if certificate is None:
        form = VerifyForm(data={"code": code[:40]})
        return render_template("certificates/verify_not_found.html", form=form, typed=code[:40]), 404
    if services.normalise_code(code) != code:  # one address per certificate, whatever was typed
        return redirect(url_for(".verify", code=certificate.code))
    return render_template("certificates/verify.html", certificate=certificate, status=_status_of(certificate),
                           newest=services.latest_edition(certificate))


# --- the admin's register -----------------------------------------------------------------------------------

def _filter_form() -> CertificateFilterForm:
    form = CertificateFilterForm(request.args)
    form.course.choices = [("", _("All courses"))] + [
        (c.id, c.title) for c in db.session.scalars(select(Course).order_by(Course.title))]
    form.unit.choices = [("", _("All units"))] + [
        (u.id, "\u2003" * depth + u.name) for u, depth in units_in_tree_order()]
    return form


def _criteria(form: CertificateFilterForm) -> services.CertificateFilter:
    if request.args and not form.validate():
        return services.CertificateFilter()
    return services.CertificateFilter(text=form.q.data or "", course_id=form.course.data or None,
                                      unit_id=form.unit.data or None, status=form.status.data or "",
                                      year=form.year.data or None)


@certificate_admin_bp.get("/")
@admin_required
def register():
    form = _filter_form()
    criteria = _criteria(form)
    page = db.paginate(services.search_query(criteria), per_page=50, error_out=False)
    return render_template("certificates/admin_list.html", form=form, page=page, status_of=_status_of,
                           query_args={k: v for k, v in request.args.items() if k != "page"})


@certificate_admin_bp.get("/download.zip")
@admin_required
def download_zip():
    form = _filter_form()
    certificates = list(db.session.scalars(
        services.search_query(_criteria(form)).limit(services.MAX_ZIP_CERTIFICATES + 1)))
    if not certificates:
        flash(_("No certificates match these filters."), "info")
        return redirect(url_for(".register", **request.args))
    if len(certificates) > services.MAX_ZIP_CERTIFICATES:
        flash(_("More than %(n)d certificates match: narrow the filters (a unit, a course or a year).",
                n=services.MAX_ZIP_CERTIFICATES), "error")
        return redirect(url_for(".register", **request.args))
    stamp = services.local_today().isoformat()
    return send_file(BytesIO(services.zip_of(certificates)), mimetype="application/zip", as_attachment=True,
                     download_name=f"chung-nhan-{stamp}.zip", max_age=0)


@certificate_admin_bp.get("/<int:certificate_id>")
@admin_required
def detail(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    reissue_form = ReissueForm(data={"holder_name": certificate.user.full_name,
                                     "unit_name": certificate.user.org_unit.name if certificate.user.org_unit
                                     else certificate.unit_name})
    return render_template("certificates/admin_detail.html", **_detail_context(certificate),
                           revoke_form=RevokeForm(), reissue_form=reissue_form)


def _detail_context(certificate: Certificate) -> dict:
    events = list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.object_type == "certificate", AuditEvent.object_id == str(certificate.id))
        .order_by(AuditEvent.occurred_at.desc())))
    return {"certificate": certificate, "status": _status_of(certificate), "events": events}


@certificate_admin_bp.post("/<int:certificate_id>/revoke")
@admin_required
def revoke(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            services.revoke_certificate(certificate, reason=form.reason.data, actor=current_user)
        except services.CertificateRefused:
            flash(_("Only a valid or expired certificate can be revoked."), "error")
        else:
            flash(_("Certificate %(serial)s is revoked. Its verification page now says so.",
                    serial=certificate.serial), "success")
        return redirect(url_for(".detail", certificate_id=certificate.id))
    return render_template("certificates/admin_detail.html", **_detail_context(certificate), revoke_form=form,
                           reissue_form=ReissueForm(formdata=None)), 400


@certificate_admin_bp.post("/<int:certificate_id>/reissue")
@admin_required
def reissue(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    form = ReissueForm()
    if form.validate_on_submit():
        try:
            new = services.reissue_certificate(certificate, holder_name=form.holder_name.data,
                                               unit_name=form.unit_name.data or "", reason=form.correction.data,
                                               actor=current_user)
        except services.CertificateRefused:
            flash(_("Only a valid or expired certificate can be re-issued."), "error")
            return redirect(url_for(".detail", certificate_id=certificate.id))
        flash(_("Certificate %(new)s replaces %(old)s.", new=new.serial, old=certificate.serial), "success")
        return redirect(url_for(".detail", certificate_id=new.id))
    return render_template("certificates/admin_detail.html", **_detail_context(certificate),
                           revoke_form=RevokeForm(formdata=None), reissue_form=form), 400


@certificate_admin_bp.route("/issue", methods=["GET", "POST"])
@admin_required
def issue_in_person():
    form = InPersonIssueForm()
    form.course.choices = [(c.id, c.title) for c in db.session.scalars(select(Course).order_by(Course.title))]
    if form.validate_on_submit():
        person = db.session.scalar(select(User).where(User.username == normalise_username(form.username.data)))
        course = db.session.get(Course, form.course.data)
        if person is None:
            form.username.errors.append(_("No account has this username."))
        elif form.completed_on.data > services.local_today():
            form.completed_on.errors.append(_("The date cannot be in the future."))
        else:
            certificate = services.issue_in_person(user=person, course=course, completed_on=form.completed_on.data,
                                                   note=form.note.data.strip(), actor=current_user)
            flash(_("Certificate %(serial)s for %(name)s.", serial=certificate.serial,
                    name=certificate.holder_name), "success")
            return redirect(url_for(".detail", certificate_id=certificate.id))
    return render_template("certificates/admin_issue.html", form=form)
