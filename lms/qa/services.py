"""Questions and answers on a module: who may ask, see, answer and promote, in one place.

- Anyone who may read the module's course asks (enrolled trainees; staff).
- The course's trainers (assigned with CourseTrainer) and admins see every question of the course, answer,
  and promote a question to the module's FAQ.
- Everyone else who may read the module sees their own questions, the public ones, and the FAQ. The FAQ
  shows no asker's name: the question may have been asked privately.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import abort, current_app, has_request_context, url_for
from flask_babel import force_locale, gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.orm import joinedload, selectinload

from lms.accounts.models import User
from lms.audit.services import record_event
from lms.authoring.access import can_edit_course, editable_course_ids
from lms.courses.models import Course, Enrolment, Module
from lms.courses.rendering import render_fragment
from lms.courses.services import LOOK_IT_UP, can_read_modules
from lms.db import utcnow
from lms.extensions import db
from lms.mail import compose, smtp_connection
from lms.notifications.services import notify
from lms.qa.models import ModuleAnswer, ModuleQuestion

log = logging.getLogger(__name__)

BODY_MIN_CHARS = 10
BODY_MAX_CHARS = 5000
OTHERS_SHOWN = 50  # questions of others listed under a module; the newest first
DESK_UNANSWERED_SHOWN = 200
DESK_ANSWERED_SHOWN = 10
NOTICE_ANSWERED = "qa.answered"


class QARefused(Exception):
    """The person may not do this (not enrolled, not one of the course's trainers)."""


# --- who may do what -------------------------------------------------------------------------------------------

def is_course_trainer(user: User, course: Course) -> bool:
    """The course's trainers (assigned to it) and admins: they see, answer and promote every question."""
    return can_edit_course(user, course)


def _reads_module(user: User, module: Module, enrolment: Enrolment | None = LOOK_IT_UP) -> bool:
    return not module.retired and module.is_published and can_read_modules(user, module.course, enrolment)


def can_ask(user: User, module: Module, enrolment: Enrolment | None = LOOK_IT_UP) -> bool:
    """`enrolment`: the reader's, when the caller has already looked it up."""
    return user.is_authenticated and user.is_active and _reads_module(user, module, enrolment)


def can_see(user: User, question: ModuleQuestion) -> bool:
    if not user.is_authenticated:
        return False
    if question.asker_id == user.id or is_course_trainer(user, question.course):
        return True
    return (question.is_public or question.faq_at is not None) and _reads_module(user, question.module)


def shows_asker(user: User, question: ModuleQuestion) -> bool:
    """The asker's name: to the asker, the course's trainers, and everyone when the question is public.

    A private question shown in the FAQ stays anonymous.
    """
    return question.is_public or question.asker_id == user.id or is_course_trainer(user, question.course)


def question_or_404(user: User, question_id: int) -> ModuleQuestion:
    """The question if the person may see it; otherwise it does not exist for them."""
    question = db.session.get(ModuleQuestion, question_id)
    if question is None or not can_see(user, question):
        abort(404)
    return question


def answerable_question_or_404(user: User, question_id: int) -> ModuleQuestion:
    """For answering and promoting: only the course's trainers and admins; everyone else gets 404."""
    question = db.session.get(ModuleQuestion, question_id)
    if question is None or not is_course_trainer(user, question.course):
        abort(404)
    return question


def thread_path(question: ModuleQuestion) -> str:
    """The thread's path on this site, also outside a request (a notice is written from a service)."""
    if has_request_context():
        return url_for("qa.thread", question_id=question.id)
    adapter = current_app.url_map.bind("", script_name=current_app.config.get("APPLICATION_ROOT") or "/")
    return adapter.build("qa.thread", {"question_id": question.id})


# --- changes ---------------------------------------------------------------------------------------------------

def ask(user: User, module: Module, body: str, *, public: bool = False) -> ModuleQuestion:
    if not can_ask(user, module):
        raise QARefused(module.key)
    body = body.strip()
    question = ModuleQuestion(course_id=module.course_id, module_id=module.id, asker_id=user.id,
                              body_markdown=body, body_html=render_fragment(body), is_public=public)
    db.session.add(question)
    db.session.commit()
    return question


def answer(user: User, question: ModuleQuestion, body: str) -> ModuleAnswer:
    """Record the answer and tell the asker: in the app at once, by email after the commit when mail is set up."""
    if not is_course_trainer(user, question.course):
        raise QARefused(str(question.id))
    body = body.strip()
    reply = ModuleAnswer(question=question, author_id=user.id, body_markdown=body, body_html=render_fragment(body))
    db.session.add(reply)
    if question.answered_at is None:
        question.answered_at = utcnow()
    asker = question.asker
    tell_asker = asker is not None and asker.id != user.id and asker.is_active
    if tell_asker:
        notify(asker, NOTICE_ANSWERED, {"question_id": question.id, "module_title": question.module.title,
                                        "course_title": question.course.title}, thread_path(question))
    db.session.commit()
    if tell_asker and current_app.config.get("MAIL_SERVER") and asker.email:
        _email_asker(question, reply, asker)
    return reply


def _email_asker(question: ModuleQuestion, reply: ModuleAnswer, asker: User) -> None:
    # The answer is already saved: a mail server that is down or refuses the address costs only the email.
    try:
        with smtp_connection() as smtp:
            smtp.send_message(answered_message(question, reply, asker))
    except Exception:  # noqa: BLE001 - never lose the answer over the email
        log.exception("email about the answer to question %s not sent", question.id)


def answered_message(question: ModuleQuestion, reply: ModuleAnswer, asker: User):
    """The email to the asker, in their language (the platform's default when they chose none)."""
    link = current_app.config["PUBLIC_URL"] + thread_path(question)
    with force_locale(asker.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _("Your question on “%(module)s” has been answered", module=question.module.title)
        body = "\n\n".join([
            _("Dear %(name)s,", name=asker.full_name),
            _("A trainer of the course “%(course)s” has answered your question on the module “%(module)s”.",
              course=question.course.title, module=question.module.title),
            reply.body_markdown,
            _("Read the question and every answer here:"),
            link,
            _("This message was sent by the emulation and commendation training platform."),
        ])
    return compose(asker.email, subject, body)


def set_faq(user: User, question: ModuleQuestion, in_faq: bool) -> bool:
    """Promote to (or remove from) the module's FAQ; True when something changed. Audited."""
    if not is_course_trainer(user, question.course):
        raise QARefused(str(question.id))
    if (question.faq_at is not None) == in_faq:
        return False
    if in_faq:
        question.faq_at, question.faq_by_id = utcnow(), user.id
    else:
        question.faq_at, question.faq_by_id = None, None
    record_event(user, "qa.faq_promote" if in_faq else "qa.faq_remove", "module_question", question.id,
                 summary=f"{question.course.title} › {question.module.title}",
                 before={"faq": not in_faq}, after={"faq": in_faq})
    db.session.commit()
    return True


# --- what pages show -------------------------------------------------------------------------------------------

@dataclass
class ModuleSection:
    """The Q&A under a module's text, as one person sees it."""

    faq: list[ModuleQuestion] = field(default_factory=list)
    mine: list[ModuleQuestion] = field(default_factory=list)
    others: list[ModuleQuestion] = field(default_factory=list)  # public ones; every one for the course's trainers
    others_total: int = 0
    may_ask: bool = False
    is_trainer: bool = False


def _with_thread():
    return (selectinload(ModuleQuestion.answers).joinedload(ModuleAnswer.author),
            joinedload(ModuleQuestion.asker))


def module_section(user: User, module: Module, enrolment: Enrolment | None) -> ModuleSection:
    """`enrolment`: the reader's, as the module page found it (it decides, with the role, who may ask)."""
    trainer = is_course_trainer(user, module.course)
    may_ask = can_ask(user, module, enrolment)
    others_filter = [ModuleQuestion.module_id == module.id, ModuleQuestion.faq_at.is_(None),
                     (ModuleQuestion.asker_id != user.id) | ModuleQuestion.asker_id.is_(None)]
    if not trainer:
        others_filter.append(ModuleQuestion.is_public.is_(True))
    # Most modules have no questions a reader may see, and this page is the one every trainee reads on every
    # click: one cheap look first, and the three lists only when there is something to list.
    visible = (ModuleQuestion.faq_at.is_not(None) | (ModuleQuestion.asker_id == user.id)
               | and_(*others_filter[1:]))
    if db.session.scalar(select(ModuleQuestion.id).where(ModuleQuestion.module_id == module.id, visible)
                         .limit(1)) is None:
        return ModuleSection(may_ask=may_ask, is_trainer=trainer)
    on_module = select(ModuleQuestion).where(ModuleQuestion.module_id == module.id)
    faq = list(db.session.scalars(on_module.where(ModuleQuestion.faq_at.is_not(None))
                                  .options(*_with_thread()).order_by(ModuleQuestion.faq_at, ModuleQuestion.id)))
    mine = list(db.session.scalars(on_module.where(ModuleQuestion.asker_id == user.id)
                                   .options(*_with_thread()).order_by(ModuleQuestion.created_at.desc())))
    others = list(db.session.scalars(select(ModuleQuestion).where(*others_filter).options(*_with_thread())
                                     .order_by(ModuleQuestion.created_at.desc()).limit(OTHERS_SHOWN)))
    total = (len(others) if len(others) < OTHERS_SHOWN else
             db.session.scalar(select(func.count(ModuleQuestion.id)).where(*others_filter)))
    return ModuleSection(faq=faq, mine=mine, others=others, others_total=total, may_ask=may_ask,
                         is_trainer=trainer)


def _desk_scope(user: User):
    """The desk's questions: of the courses the person trains (every course for an admin)."""
    ids = editable_course_ids(user)
    query = select(ModuleQuestion)
    return query if ids is None else query.where(ModuleQuestion.course_id.in_(ids))


def unanswered_for(user: User, limit: int = DESK_UNANSWERED_SHOWN) -> list[ModuleQuestion]:
    """Questions still waiting for an answer, the longest-waiting first."""
    return list(db.session.scalars(
        _desk_scope(user).where(ModuleQuestion.answered_at.is_(None))
        .options(joinedload(ModuleQuestion.course), joinedload(ModuleQuestion.module),
                 joinedload(ModuleQuestion.asker))
        .order_by(ModuleQuestion.created_at, ModuleQuestion.id).limit(limit)))


def unanswered_count(user: User) -> int:
    ids = editable_course_ids(user)
    if ids is not None and not ids:
        return 0
    query = select(func.count(ModuleQuestion.id)).where(ModuleQuestion.answered_at.is_(None))
    if ids is not None:
        query = query.where(ModuleQuestion.course_id.in_(ids))
    return db.session.scalar(query) or 0


def recently_answered_for(user: User, limit: int = DESK_ANSWERED_SHOWN) -> list[ModuleQuestion]:
    return list(db.session.scalars(
        _desk_scope(user).where(ModuleQuestion.answered_at.is_not(None))
        .options(joinedload(ModuleQuestion.course), joinedload(ModuleQuestion.module),
                 joinedload(ModuleQuestion.asker))
        .order_by(ModuleQuestion.answered_at.desc(), ModuleQuestion.id.desc()).limit(limit)))
