"""The asker is told of an answer: a notice in the app (count in the header, opened → read → the thread),
and an email when SMTP is configured, caught on a real SMTP server on loopback (aiosmtpd)."""
from __future__ import annotations

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from lms.extensions import db
from lms.notifications import services as notices
from lms.notifications.models import Notification
from lms.qa.models import ModuleAnswer, ModuleQuestion
from tests.qa_helpers import answer, asked, assign_trainer, enrolled, signed_in

QUESTION = "Hồ sơ đề nghị tặng Bằng khen của Thủ tướng gồm những gì?"
ANSWER = "Theo Điều 84 Luật Thi đua, khen thưởng: tờ trình, danh sách và báo cáo thành tích."


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def inbox(app):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_FROM="thiduakhenthuong@example.org")
    yield handler
    controller.stop()


@pytest.fixture
def thread(app, make, login, course):
    """A trainee's private question and the course's trainer, both signed in (the asker keeps Vietnamese)."""
    trainer = make.trainer(full_name="Trần Minh Khoa")
    assign_trainer(course, trainer)
    asker = enrolled(make, course, full_name="Lường Thị Đào")
    asker_client = signed_in(app, login, asker, lang=None)
    question = asked(asker_client, course, QUESTION)
    return {"asker": asker, "asker_client": asker_client, "question": question,
            "trainer": trainer, "trainer_client": signed_in(app, login, trainer)}


def test_the_asker_is_notified_in_the_app_and_opening_the_notice_leads_to_the_thread(app, thread):
    app.config["MAIL_SERVER"] = None
    question, client = thread["question"], thread["asker_client"]
    assert answer(thread["trainer_client"], question, ANSWER).status_code == 302

    notice = db.session.scalar(select(Notification).where(Notification.user_id == thread["asker"].id))
    assert notice.kind == "qa.answered" and notice.read_at is None and notice.link == f"/qa/{question.id}"
    client.post("/language", data={"lang": "en"})
    header = client.get("/dashboard").get_data(as_text=True)
    assert 'class="notice-count"' in header and "(1 unread)" in header
    listing = client.get("/notifications").get_data(as_text=True)
    module_title = question.module.title
    assert f"Your question on “{module_title}” has been answered." in listing and "is-unread" in listing

    opened = client.post(f"/notifications/{notice.id}/open")
    assert opened.status_code == 302 and opened.location == f"/qa/{question.id}"
    assert db.session.get(Notification, notice.id).read_at is not None
    assert ANSWER in client.get(opened.location).get_data(as_text=True)
    assert "unread" not in client.get("/dashboard").get_data(as_text=True)
    assert "is-unread" not in client.get("/notifications").get_data(as_text=True)


def test_the_notice_is_written_in_the_readers_language_when_shown(app, thread):
    app.config["MAIL_SERVER"] = None
    answer(thread["trainer_client"], thread["question"], ANSWER)
    notice = db.session.scalar(select(Notification).where(Notification.user_id == thread["asker"].id))
    with app.test_request_context("/"):
        with force_locale("en"):
            english = notices.notice_text(notice)
        with force_locale("vi"):
            vietnamese = notices.notice_text(notice)
            expected = gettext("Your question on “%(module)s” has been answered.",
                               module=thread["question"].module.title)
    assert english.startswith("Your question on") and vietnamese == expected


def test_a_notice_opens_only_for_its_owner_and_only_to_a_path_on_this_site(app, make, login, thread):
    app.config["MAIL_SERVER"] = None
    answer(thread["trainer_client"], thread["question"], ANSWER)
    notice = db.session.scalar(select(Notification).where(Notification.user_id == thread["asker"].id))
    assert thread["trainer_client"].post(f"/notifications/{notice.id}/open").status_code == 404
    assert db.session.get(Notification, notice.id).read_at is None

    outside = notices.notify(thread["asker"], "qa.answered", {"module_title": "x"}, "https://evil.example/")
    sneaky = notices.notify(thread["asker"], "qa.answered", {"module_title": "x"}, "//evil.example/qa/1")
    db.session.commit()
    for notification in (outside, sneaky):
        response = thread["asker_client"].post(f"/notifications/{notification.id}/open")
        assert response.status_code == 302 and response.location == "/notifications"


def test_no_notice_when_the_asker_answers_their_own_question(app, make, login, course):
    app.config["MAIL_SERVER"] = None
    trainer = make.trainer()
    assign_trainer(course, trainer)
    client = signed_in(app, login, trainer)
    question = asked(client, course, "Một câu hỏi của chính giảng viên về hồ sơ.")
    assert answer(client, question, ANSWER).status_code == 302
    assert db.session.get(ModuleQuestion, question.id).answered_at is not None
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_an_email_tells_the_asker_in_their_language(app, inbox, thread):
    answer(thread["trainer_client"], thread["question"], ANSWER)
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == thread["asker"].email
    body = message.get_content()
    module_title = thread["question"].module.title
    assert "Lường Thị Đào" in body and ANSWER in body and f"/qa/{thread['question'].id}" in body
    assert body.count(app.config["PUBLIC_URL"]) == 1
    with app.test_request_context("/"), force_locale("vi"):  # no language chosen: the platform's, Vietnamese
        expected = gettext("Your question on “%(module)s” has been answered", module=module_title)
    assert message["Subject"] == expected

    thread["asker"].locale = "en"
    db.session.commit()
    answer(thread["trainer_client"], thread["question"], "Bổ sung: xem thêm Nghị định 98/2023/NĐ-CP.")
    assert len(inbox.messages) == 2
    assert inbox.messages[1]["Subject"] == f"Your question on “{module_title}” has been answered"
    assert "Dear Lường Thị Đào," in inbox.messages[1].get_content()


def test_no_email_is_attempted_when_mail_is_not_configured(app, monkeypatch, thread):
    app.config["MAIL_SERVER"] = None
    attempts = []
    monkeypatch.setattr("lms.qa.services.smtp_connection", lambda: attempts.append(1))
    assert answer(thread["trainer_client"], thread["question"], ANSWER).status_code == 302
    assert attempts == []
    assert db.session.scalar(select(func.count(Notification.id))) == 1  # told in the app all the same


def test_a_failing_mail_server_does_not_lose_the_answer(app, thread, caplog):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())  # nobody listens there
    response = answer(thread["trainer_client"], thread["question"], ANSWER)
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(ModuleAnswer.id))) == 1
    assert db.session.get(ModuleQuestion, thread["question"].id).answered_at is not None
    assert db.session.scalar(select(func.count(Notification.id))) == 1
    assert "not sent" in caplog.text
    assert ANSWER in thread["asker_client"].get(f"/qa/{thread['question'].id}").get_data(as_text=True)
