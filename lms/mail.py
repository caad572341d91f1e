"""Outgoing mail over SMTP with the settings in config (MAIL_*). One connection serves a whole batch."""
from __future__ import annotations

import smtplib
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app


class MailNotConfigured(RuntimeError):
    pass


def compose(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=current_app.config["MAIL_FROM"].rpartition("@")[2] or None)
    message.set_content(body)  # UTF-8, so Vietnamese names and diacritics arrive intact
    return message


def check_configured() -> None:
    if not current_app.config["MAIL_SERVER"]:
        raise MailNotConfigured("MAIL_SERVER is not set: no mail can be sent")


@contextmanager
def smtp_connection():
    check_configured()
    config = current_app.config
    factory = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with factory(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT_SECONDS"]) as smtp:
        if config["MAIL_USE_STARTTLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        yield smtp
