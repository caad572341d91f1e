"""The certificate life cycle: issue on completion, the PDF itself, verification, revocation, re-issue."""
from __future__ import annotations

import io
import re
import zipfile
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.audit.models import AuditEvent
from lms.certificates import services
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.pdf import AppAssetFetcher, RefusedURL, render_pdf
from lms.courses.models import Enrolment
from lms.extensions import db
from lms.storage import get_storage
from tests.certificate_helpers import (EVERY_TONE, complete_course, pdf_attachments, pdf_fonts, pdf_page_count,
                                       pdf_text, qr_payloads)


def squash(text: str) -> str:
    return " ".join(text.split())


def english(client):
    client.post("/language", data={"lang": "en"})


@pytest.fixture
def holder(make):
    return make.trainee(full_name="Lường Thị Đào", unit=make.unit("UBND xã Minh Tân"))


@pytest.fixture
def certificate(holder, course) -> Certificate:
    complete_course(holder, course)
    return db.session.scalar(select(Certificate).where(Certificate.user_id == holder.id))


# --- issuing ------------------------------------------------------------------------------------------------

def test_passing_the_final_exam_issues_a_certificate_with_what_stood_at_issue(holder, course, certificate):
    assert certificate is not None
    enrolment = certificate.enrolment
    assert enrolment.completed_at is not None and enrolment.user_id == holder.id
    assert certificate.holder_name == "Lường Thị Đào"
    assert certificate.unit_name == holder.org_unit.name
    assert certificate.course_title == course.title
    assert certificate.score_percent == 100.0
    assert certificate.completed_on == services.local_today()
    assert certificate.valid_until == services.add_months(certificate.completed_on,
                                                          course.certificate_validity_months)
    assert re.fullmatch(rf"CN-{certificate.completed_on.year}-\d{{5}}", certificate.serial)
    assert services.normalise_code(certificate.code) == certificate.code
    assert get_storage().exists(certificate.pdf_key)


def test_issuing_again_returns_the_same_certificate(certificate):
    again = services.commit_issue(certificate.enrolment)
    assert again.id == certificate.id
    assert db.session.scalar(select(func.count(Certificate.id))) == 1


def test_the_database_refuses_a_second_certificate_for_one_completion(certificate):
    duplicate = {c.name: getattr(certificate, c.name) for c in Certificate.__table__.columns if c.name != "id"}
    duplicate.update(serial="CN-1999-99999", code="Z" * 16, serial_year=1999, serial_number=99999)
    with pytest.raises(IntegrityError):
        db.session.execute(Certificate.__table__.insert().values(**duplicate))
        db.session.flush()
    db.session.rollback()


def test_serial_numbers_count_up_within_the_year(make, course):
    serials = [complete_course(make.trainee(), course) for _ in range(3)]
    numbers = sorted(db.session.scalars(select(Certificate.serial_number)))
    assert numbers == [1, 2, 3] and len(serials) == 3


def test_the_months_of_validity_follow_the_calendar():
    assert services.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert services.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert services.add_months(date(2026, 11, 25), 24) == date(2028, 11, 25)


def test_a_course_without_validity_issues_certificates_that_do_not_expire(holder, course):
    course.certificate_validity_months = None
    db.session.commit()
    complete_course(holder, course)
    issued = db.session.scalar(select(Certificate))
    assert issued.valid_until is None
    assert issued.effective_status(date(2099, 1, 1)) == "valid"


def test_cli_issues_what_completions_lack(runner, holder, course, monkeypatch):
    monkeypatch.setattr(services, "issue_after_completion", lambda enrolment: None)  # as if rendering had failed
    from lms.courses import services as course_services
    monkeypatch.setattr(course_services, "after_commit", lambda enrolment: None)
    complete_course(holder, course)
    assert db.session.scalar(select(func.count(Certificate.id))) == 0
    result = runner.invoke(args=["lms", "issue-certificates", "--course", course.slug])
    assert result.exit_code == 0, result.output
    assert "issued 1 certificate" in result.output
    assert runner.invoke(args=["lms", "issue-certificates"]).output.strip().endswith("issued 0 certificate(s)")
    assert db.session.scalar(select(func.count(Certificate.id))) == 1


def test_admin_issues_for_an_in_person_class(client, make, login, course):
    person = make.trainee(full_name="Hà Văn Thắng")
    login(client, make.admin())
    response = client.post("/admin/certificates/issue", data={
        "username": person.username, "course": course.id, "completed_on": "2026-11-13",
        "note": "Lớp tập huấn nghiệp vụ thi đua, khen thưởng, 12–13/11/2026"})
    assert response.status_code == 302
    issued = db.session.scalar(select(Certificate).where(Certificate.user_id == person.id))
    assert issued.completed_on == date(2026, 11, 13)
    assert issued.score_percent is None
    assert "Lớp tập huấn nghiệp vụ" in squash(pdf_text(services.stored_pdf(issued)))
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.object_type == "certificate",
                                                             AuditEvent.object_id == str(issued.id))) \
        == "certificate.issue_in_person"
    again = client.post("/admin/certificates/issue", data={
        "username": person.username, "course": course.id, "completed_on": "2026-11-14", "note": "Lớp khác"})
    assert again.status_code == 302
    assert db.session.scalar(select(func.count(Certificate.id))) == 1  # one completion, one certificate


def test_in_person_issue_refuses_unknown_people_and_future_dates(client, make, login, course):
    person = make.trainee()
    login(client, make.admin())
    english(client)
    unknown = client.post("/admin/certificates/issue", data={
        "username": "nobody", "course": course.id, "completed_on": "2026-11-13", "note": "Lớp"})
    assert "No account has this username." in unknown.get_data(as_text=True)
    future = (services.local_today() + timedelta(days=3)).isoformat()
    later = client.post("/admin/certificates/issue", data={
        "username": person.username, "course": course.id, "completed_on": future, "note": "Lớp"})
    assert "cannot be in the future" in later.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Certificate.id))) == 0


# --- the PDF ------------------------------------------------------------------------------------------------

def test_the_pdf_gives_back_every_vietnamese_letter_and_embeds_the_shipped_fonts(make, course):
    cooperative = make.unit("Hợp tác xã Nông nghiệp Tân Phượng")
    person = make.trainee(full_name=EVERY_TONE, unit=cooperative)
    complete_course(person, course)
    issued = db.session.scalar(select(Certificate))
    pdf = services.stored_pdf(issued)
    text = squash(pdf_text(pdf))
    assert squash(EVERY_TONE) in text
    assert cooperative.name in text
    assert course.title in text
    assert issued.serial in text
    assert services.verify_url(issued.code) in text.replace(" ", "")
    # Only the families the certificate's @font-face rules load from the shipped files: no system fallback.
    fonts = pdf_fonts(pdf)
    assert "Cert-Serif-Bold" in fonts and fonts <= {"Cert-Serif", "Cert-Serif-Bold", "Cert-Serif-Italic",
                                                    "Cert-Sans", "Cert-Sans-Bold"}, fonts
    assert pdf_page_count(pdf) == 1


def test_the_qr_code_on_the_pdf_opens_the_verification_page(client, certificate):
    payloads = qr_payloads(services.stored_pdf(certificate))
    assert payloads == [services.verify_url(certificate.code)]
    path = payloads[0].removeprefix(client.application.config["PUBLIC_URL"])
    page = client.get(path)
    assert page.status_code == 200 and "Lường Thị Đào" in page.get_data(as_text=True)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://127.0.0.1:5000/", "https://example.org/x.png",
                                 "data:text/plain,hello", "lms-asset:../pdf.py", "lms-asset:fonts/../../services.py",
                                 "lms-asset:%2e%2e/pdf.py", "ftp://example.org/a"])
def test_the_fetcher_refuses_everything_but_the_apps_own_assets(url):
    fetcher = AppAssetFetcher()
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_the_fetcher_serves_the_shipped_fonts():
    response = AppAssetFetcher().fetch("lms-asset:fonts/NotoSerif-Regular.ttf")
    assert response.read()[:4] == b"\x00\x01\x00\x00"  # a TrueType font


def test_markup_asking_for_files_embeds_nothing(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do-not-embed")
    fetcher = AppAssetFetcher()
    pdf = render_pdf(f'<html><head><link rel="attachment" href="file://{secret}"></head><body>'
                     f'<img src="file://{secret}"><a rel="attachment" href="file://{secret}">x</a>'
                     f'<img src="http://127.0.0.1:9/track.png"></body></html>', fetcher)
    assert pdf_attachments(pdf) == {}
    assert b"do-not-embed" not in pdf
    assert any(url.startswith("file://") for url in fetcher.refused)
    assert any(url.startswith("http://") for url in fetcher.refused)


def test_a_name_with_markup_is_printed_as_text_and_cannot_embed_a_file(make, course):
    hostile = 'Trần <b>Văn</b> <link rel="attachment" href="file:///etc/passwd"> Bình'
    person = make.trainee(full_name=hostile)
    complete_course(person, course)
    pdf = services.stored_pdf(db.session.scalar(select(Certificate)))
    assert pdf_attachments(pdf) == {}
    assert b"root:" not in pdf
    assert pdf_page_count(pdf) == 1
    assert "<b>Văn</b>" in squash(pdf_text(pdf))


def test_preview_renders_a_sample_and_records_nothing(runner, course, tmp_path):
    out = tmp_path / "preview.pdf"
    result = runner.invoke(args=["lms", "preview-certificate", "--name", "Lường Thị Đào", "--course", course.slug,
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = squash(pdf_text(out.read_bytes()))
    assert "Lường Thị Đào" in text and "MẪU" in text
    assert db.session.scalar(select(func.count(Certificate.id))) == 0
    unknown = runner.invoke(args=["lms", "preview-certificate", "--name", "A", "--course", "khong-co", "--out",
                                  str(out)])
    assert unknown.exit_code != 0 and "no course" in unknown.output


# --- downloads ----------------------------------------------------------------------------------------------

def test_the_holder_downloads_the_stored_file(client, login, holder, certificate):
    login(client, holder)
    response = client.get(f"/certificates/{certificate.id}/download")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data == services.stored_pdf(certificate)
    assert f"{certificate.serial}.pdf" in response.headers["Content-Disposition"]


def test_nobody_else_can_download_a_certificate_but_an_admin(client, make, login, certificate):
    login(client, make.trainee())
    assert client.get(f"/certificates/{certificate.id}/download").status_code == 404
    trainer = make.trainer()
    other = client.application.test_client()
    login(other, trainer)
    assert other.get(f"/certificates/{certificate.id}/download").status_code == 404
    admin = client.application.test_client()
    login(admin, make.admin())
    assert admin.get(f"/certificates/{certificate.id}/download").status_code == 200


def test_my_certificates_lists_status_download_and_verification_link(client, login, holder, certificate):
    login(client, holder)
    english(client)
    page = client.get("/certificates").get_data(as_text=True)
    assert certificate.serial in page and "Valid" in page
    assert f"/certificates/{certificate.id}/download" in page
    assert f"/verify/{certificate.code}" in page
    assert "Renew" not in page  # far from expiry


# --- verification -------------------------------------------------------------------------------------------

def test_verification_shows_a_valid_certificate_without_login(client, certificate):
    english(client)
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "This certificate is valid" in page
    for detail in (certificate.holder_name, certificate.unit_name, certificate.course_title, certificate.serial,
                   certificate.pdf_sha256):
        assert detail in page


def test_a_typed_code_with_dashes_and_lower_case_finds_the_certificate(client, certificate):
    typed = "-".join(certificate.code[i:i + 4] for i in range(0, 16, 4)).lower()
    response = client.get("/verify", query_string={"code": typed})
    assert response.status_code == 302 and response.location.endswith(f"/verify/{certificate.code}")


def test_an_unknown_or_forged_code_is_not_found(client, certificate):
    english(client)
    forged = certificate.code[:-1] + ("0" if certificate.code[-1] != "0" else "1")
    for path in (f"/verify/{forged}", "/verify/<script>", "/verify?code=ABC"):
        response = client.get(path)
        assert response.status_code == 404
        assert "No certificate has this code" in response.get_data(as_text=True)
        assert "<script>" not in response.get_data(as_text=True)


def test_verification_shows_expiry(client, certificate):
    certificate.valid_until = services.local_today() - timedelta(days=1)
    db.session.commit()
    english(client)
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "This certificate has expired" in page


def test_verification_is_rate_limited(app, client, certificate):
    app.config["RATELIMIT_VERIFY"] = "3 per minute"
    statuses = [client.get(f"/verify/{certificate.code}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


# --- revocation and re-issue --------------------------------------------------------------------------------

def test_revoking_needs_a_reason_and_the_verification_page_then_says_why(client, make, login, certificate):
    admin = make.admin()
    login(client, admin)
    english(client)
    refused = client.post(f"/admin/certificates/{certificate.id}/revoke", data={"reason": "  "})
    assert refused.status_code == 400
    db.session.refresh(certificate)
    assert certificate.status is CertificateStatus.VALID
    reason = "Hồ sơ tập huấn không trung thực"
    assert client.post(f"/admin/certificates/{certificate.id}/revoke", data={"reason": reason}).status_code == 302
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "This certificate has been revoked" in page and reason in page
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoke"))
    assert event.actor_id == admin.id and event.after["reason"] == reason and event.before == {"status": "valid"}
    again = client.post(f"/admin/certificates/{certificate.id}/revoke", data={"reason": "lần nữa"})
    assert again.status_code == 302
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "certificate.revoke")) == 1


def test_reissue_replaces_the_pdf_and_the_old_one_points_to_the_new(client, make, login, holder, certificate):
    login(client, make.admin())
    english(client)
    response = client.post(f"/admin/certificates/{certificate.id}/reissue", data={
        "holder_name": "Lường Thị Đào", "unit_name": "UBND xã Minh Tân, huyện Vị Xuyên",
        "correction": "Bổ sung tên huyện"})
    assert response.status_code == 302
    db.session.refresh(certificate)
    new = certificate.superseded_by
    assert certificate.status is CertificateStatus.SUPERSEDED and new is not None
    assert new.serial != certificate.serial and new.code != certificate.code and new.edition == 2
    assert new.completed_on == certificate.completed_on and new.valid_until == certificate.valid_until
    assert "UBND xã Minh Tân, huyện Vị Xuyên" in squash(pdf_text(services.stored_pdf(new)))
    old_page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "This certificate has been replaced" in old_page and f"/verify/{new.code}" in old_page
    assert "This certificate is valid" in client.get(f"/verify/{new.code}").get_data(as_text=True)
    assert services.issue_certificate(certificate.enrolment).id == new.id  # the current one is the new one
    assert db.session.scalar(select(AuditEvent.after).where(AuditEvent.action == "certificate.reissue"))["reason"] \
        == "Bổ sung tên huyện"
    refused = client.post(f"/admin/certificates/{certificate.id}/reissue", data={
        "holder_name": "X", "unit_name": "", "correction": "y"})
    assert refused.status_code == 302
    assert db.session.scalar(select(func.count(Certificate.id))) == 2


# --- the admin's register -----------------------------------------------------------------------------------

def test_admin_searches_filters_and_downloads_a_units_certificates_as_a_zip(client, make, login, course):
    commune = make.unit("UBND xã Thanh Thủy")
    hamlet_office = make.unit("Văn phòng xã Thanh Thủy", parent=commune)
    elsewhere = make.unit("Sở Tư pháp")
    inside = [make.trainee(full_name="Vàng Seo Pủa", unit=hamlet_office),
              make.trainee(full_name="Lò Thị Mai", unit=commune)]
    outside = make.trainee(full_name="Phạm Quốc Huy", unit=elsewhere)
    for person in inside + [outside]:
        complete_course(person, course)
    login(client, make.admin())
    listing = client.get("/admin/certificates/", query_string={"unit": commune.id}).get_data(as_text=True)
    assert "Vàng Seo Pủa" in listing and "Lò Thị Mai" in listing and "Phạm Quốc Huy" not in listing
    by_name = client.get("/admin/certificates/", query_string={"q": "pủa"}).get_data(as_text=True)
    assert "Vàng Seo Pủa" in by_name and "Lò Thị Mai" not in by_name
    response = client.get("/admin/certificates/download.zip", query_string={"unit": commune.id})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(response.data))
    names = sorted(bundle.namelist())
    assert len(names) == 2 and any("Vàng Seo Pủa" in n for n in names)
    for name in names:
        assert bundle.read(name).startswith(b"%PDF")


def test_status_filter_tells_expired_from_valid(client, make, login, course):
    people = [make.trainee(full_name=n) for n in ("Cầm Văn Ơn", "Sầm Thị Yến")]
    for person in people:
        complete_course(person, course)
    expired = db.session.scalar(select(Certificate).where(Certificate.user_id == people[0].id))
    expired.valid_until = services.local_today() - timedelta(days=2)
    db.session.commit()
    login(client, make.admin())
    page = client.get("/admin/certificates/", query_string={"status": "expired"}).get_data(as_text=True)
    assert "Cầm Văn Ơn" in page and "Sầm Thị Yến" not in page


# --- expiry and recertification -----------------------------------------------------------------------------

def test_an_expired_certificate_is_renewed_by_a_fresh_cycle_that_keeps_the_old_records(client, login, holder,
                                                                                       course, certificate):
    certificate.valid_until = services.local_today() - timedelta(days=1)
    db.session.commit()
    old_enrolment_id = certificate.enrolment_id
    login(client, holder)
    english(client)
    page = client.get("/certificates").get_data(as_text=True)
    assert "Expired" in page and "Renew" in page
    response = client.post(f"/certificates/{certificate.id}/renew")
    assert response.status_code == 302 and response.location.endswith(f"/courses/{course.slug}")
    cycles = list(db.session.scalars(select(Enrolment).where(Enrolment.user_id == holder.id)
                                     .order_by(Enrolment.cycle)))
    assert [e.cycle for e in cycles] == [1, 2]
    assert cycles[0].id == old_enrolment_id and cycles[0].completed_at is not None  # kept
    assert cycles[1].completed_at is None
    course_page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "0 of" in course_page or "0/" in course_page  # fresh progress
    # Renewing twice starts no third cycle.
    assert client.post(f"/certificates/{certificate.id}/renew").status_code == 302
    assert db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.user_id == holder.id)) == 2
    # Completing the new cycle issues a new certificate; the old one is still there, still expired.
    complete_course(holder, course)
    mine = list(db.session.scalars(select(Certificate).where(Certificate.user_id == holder.id)
                                   .order_by(Certificate.id)))
    assert len(mine) == 2 and mine[1].enrolment.cycle == 2
    assert mine[0].effective_status(services.local_today()) == "expired"
    assert mine[1].effective_status(services.local_today()) == "valid"


def test_a_certificate_far_from_expiry_cannot_be_renewed(client, login, holder, certificate):
    login(client, holder)
    client.post(f"/certificates/{certificate.id}/renew")
    assert db.session.scalar(select(func.count(Enrolment.id)).where(Enrolment.user_id == holder.id)) == 1


def test_nobody_renews_someone_elses_certificate(client, make, login, certificate):
    certificate.valid_until = services.local_today() - timedelta(days=1)
    db.session.commit()
    login(client, make.trainee())
    assert client.post(f"/certificates/{certificate.id}/renew").status_code == 404


def _issue_in_own_context(app, enrolment_id: int) -> tuple[int, str]:
    with app.app_context():
        try:
            issued = services.commit_issue(db.session.get(Enrolment, enrolment_id))
            return issued.id, issued.serial
        finally:
            db.session.remove()


def test_parallel_issues_give_one_certificate_per_completion_and_distinct_serials(app, make, course, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from lms.courses import services as course_services

    monkeypatch.setattr(course_services, "after_commit", lambda enrolment: None)  # issue below, in parallel
    enrolment_ids = [complete_course(make.trainee(), course).id for _ in range(3)]
    jobs = [enrolment_id for enrolment_id in enrolment_ids for _ in range(3)]  # each completion thrice
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda enrolment_id: (enrolment_id, _issue_in_own_context(app, enrolment_id)),
                                jobs))
    db.session.expire_all()
    by_enrolment: dict[int, set[int]] = {}
    for enrolment_id, (certificate_id, _serial) in results:
        by_enrolment.setdefault(enrolment_id, set()).add(certificate_id)
    assert all(len(ids) == 1 for ids in by_enrolment.values())  # issuing again returned the same one
    serials = list(db.session.scalars(select(Certificate.serial)))
    assert len(serials) == 3 and len(set(serials)) == 3
    stored = [c.pdf_key for c in db.session.scalars(select(Certificate))]
    assert [key for key in stored if not get_storage().exists(key)] == [], sorted(p.name for p in get_storage().root.rglob("*"))
