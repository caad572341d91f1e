"""Questions and answers on a module: who sees what, who answers, the FAQ, the trainer's desk, sanitising."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.extensions import db
from lms.qa.models import ModuleAnswer, ModuleQuestion
from tests.qa_helpers import answer, ask, asked, assign_trainer, enrolled, module_url, signed_in

PRIVATE_TEXT = "Hồ sơ khen thưởng của xã tôi cần những giấy tờ gì?"
PUBLIC_TEXT = "Danh hiệu Lao động tiên tiến xét vào thời điểm nào trong năm?"


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_a_trainee_sees_only_their_own_private_questions(app, make, login, course):
    asker = enrolled(make, course, full_name="Hoàng Văn Thắng")
    other = enrolled(make, course)
    asker_client, other_client = signed_in(app, login, asker), signed_in(app, login, other)
    question = asked(asker_client, course, PRIVATE_TEXT)

    mine = page(asker_client, module_url(course))
    assert "Your questions" in mine and PRIVATE_TEXT in mine and "Waiting for an answer" in mine
    assert PRIVATE_TEXT in page(asker_client, f"/qa/{question.id}")

    assert PRIVATE_TEXT not in page(other_client, module_url(course))
    assert other_client.get(f"/qa/{question.id}").status_code == 404


def test_a_public_question_is_read_by_everyone_enrolled_with_the_askers_name(app, make, login, course):
    asker = enrolled(make, course, full_name="Hoàng Văn Thắng")
    other = enrolled(make, course)
    question = asked(signed_in(app, login, asker), course, PUBLIC_TEXT, "public")
    other_client = signed_in(app, login, other)

    section = page(other_client, module_url(course))
    assert "Questions from other trainees" in section and PUBLIC_TEXT in section
    thread = page(other_client, f"/qa/{question.id}")
    assert PUBLIC_TEXT in thread and "Hoàng Văn Thắng" in thread
    assert "Answer this question" not in thread  # trainees read; the course's trainers answer


def test_the_faq_shows_question_and_answers_to_all_readers_without_the_askers_name(app, make, login, course):
    trainer = make.trainer(full_name="Trần Minh Khoa")
    assign_trainer(course, trainer)
    asker = enrolled(make, course, full_name="Hoàng Văn Thắng")
    reader = enrolled(make, course)
    question = asked(signed_in(app, login, asker), course, PRIVATE_TEXT)
    trainer_client = signed_in(app, login, trainer)
    assert answer(trainer_client, question, "Theo Điều 84 của Luật, hồ sơ gồm tờ trình và báo cáo thành tích.") \
        .status_code == 302
    assert trainer_client.post(f"/qa/{question.id}/faq", data={"in_faq": "1"}).status_code == 302

    reader_client = signed_in(app, login, reader)
    section = page(reader_client, module_url(course))
    assert "Frequently asked questions" in section
    assert PRIVATE_TEXT in section and "Theo Điều 84" in section and "Trần Minh Khoa" in section
    assert "Hoàng Văn Thắng" not in section
    thread = page(reader_client, f"/qa/{question.id}")
    assert PRIVATE_TEXT in thread and "Hoàng Văn Thắng" not in thread and "A trainee" in thread
    # The asker still sees it as theirs, with their name.
    assert "Hoàng Văn Thắng" in page(signed_in(app, login, asker), f"/qa/{question.id}")


def test_a_trainer_not_assigned_to_the_course_reads_like_a_trainee_and_cannot_answer(app, make, login, course):
    asker = enrolled(make, course)
    asker_client = signed_in(app, login, asker)
    private = asked(asker_client, course, PRIVATE_TEXT)
    public = asked(asker_client, course, PUBLIC_TEXT, "public")
    outsider = signed_in(app, login, make.trainer())

    section = page(outsider, module_url(course))
    assert PUBLIC_TEXT in section and PRIVATE_TEXT not in section
    assert outsider.get(f"/qa/{private.id}").status_code == 404
    thread = page(outsider, f"/qa/{public.id}")
    assert "Answer this question" not in thread and "Add to the module&#39;s FAQ" not in thread
    for question in (private, public):
        assert answer(outsider, question, "Một câu trả lời không được phép.").status_code == 404
        assert outsider.post(f"/qa/{question.id}/faq", data={"in_faq": "1"}).status_code == 404
    assert db.session.scalar(select(func.count(ModuleAnswer.id))) == 0
    assert db.session.get(ModuleQuestion, public.id).faq_at is None
    desk = page(outsider, "/teach")
    assert PRIVATE_TEXT not in desk and PUBLIC_TEXT not in desk


def test_the_courses_trainer_and_an_admin_see_every_question_and_answer(app, make, login, course):
    trainer = make.trainer()
    assign_trainer(course, trainer)
    asker = enrolled(make, course, full_name="Hoàng Văn Thắng")
    question = asked(signed_in(app, login, asker), course, PRIVATE_TEXT)
    for staff in (trainer, make.admin()):
        client = signed_in(app, login, staff)
        section = page(client, module_url(course))
        assert "Questions from trainees" in section and PRIVATE_TEXT in section and "Hoàng Văn Thắng" in section
        thread = page(client, f"/qa/{question.id}")
        assert "Hoàng Văn Thắng" in thread and "Answer this question" in thread
        assert PRIVATE_TEXT in page(client, "/teach")
    admin_client = signed_in(app, login, make.admin(full_name="Lê Thị Hà"))
    assert answer(admin_client, question, "Câu trả lời của quản trị viên.").status_code == 302
    thread = page(signed_in(app, login, asker), f"/qa/{question.id}")
    assert "Câu trả lời của quản trị viên." in thread and "Lê Thị Hà" in thread and "Trainer" in thread


def test_question_and_answer_text_is_sanitised(app, make, login, course):
    trainer = make.trainer()
    assign_trainer(course, trainer)
    asker = enrolled(make, course)
    asker_client = signed_in(app, login, asker)
    question = asked(asker_client, course, "Câu hỏi **quan trọng** <script>alert('q')</script>"
                                           "<img src=x onerror=alert(1)>", "public")
    answer(signed_in(app, login, trainer), question,
           "Trả lời <a href=\"javascript:alert(2)\">xem</a> <svg onload=alert(3)></svg><script>alert('a')</script>")
    stored = db.session.get(ModuleQuestion, question.id)
    assert "<strong>quan trọng</strong>" in stored.body_html
    for html in (stored.body_html, stored.answers[0].body_html):
        assert "<script" not in html and "onerror" not in html and "onload" not in html
        assert "javascript:" not in html
    for url in (f"/qa/{question.id}", module_url(course)):
        shown = page(asker_client, url)
        assert "alert('q')</script>" not in shown and "onerror=" not in shown and "javascript:alert" not in shown


def test_the_desk_lists_unanswered_questions_oldest_first_and_drops_answered_ones(app, make, login, course):
    trainer = make.trainer()
    assign_trainer(course, trainer)
    asker = enrolled(make, course, full_name="Hoàng Văn Thắng")
    asker_client = signed_in(app, login, asker)
    newest = asked(asker_client, course, "Câu hỏi mới nhất về hồ sơ khen thưởng.", days_ago=1)
    oldest = asked(asker_client, course, "Câu hỏi cũ nhất về danh hiệu thi đua.", days_ago=9)
    middle = asked(asker_client, course, "Câu hỏi ở giữa về nghi thức trao tặng.", "public", days_ago=3)
    trainer_client = signed_in(app, login, trainer)

    desk = page(trainer_client, "/teach")
    waiting = desk.split('id="unanswered"')[1].split("</ol>")[0]
    positions = [waiting.index(q.body_markdown) for q in (oldest, middle, newest)]
    assert positions == sorted(positions)
    assert "asked 3 days ago" in waiting and "Hoàng Văn Thắng" in waiting and course.title in waiting
    assert f"/qa/{oldest.id}" in waiting
    assert f"/author/courses/{course.slug}" in desk  # "My courses" leads to the course's authoring hub
    assert 'questions waiting' in desk  # the count on the menu link

    answer(trainer_client, oldest, "Xem Điều 23 Luật Thi đua, khen thưởng năm 2022.")
    desk = page(trainer_client, "/teach")
    waiting = desk.split('id="unanswered"')[1].split("</ol>")[0]
    assert oldest.body_markdown not in waiting and middle.body_markdown in waiting
    assert oldest.body_markdown in desk.split('id="answered"')[1]


def test_the_desk_is_for_trainers_and_admins(app, make, login, course):
    assert signed_in(app, login, enrolled(make, course)).get("/teach").status_code == 403
    assert signed_in(app, login, make.admin()).get("/teach").status_code == 200


def test_promoting_and_removing_from_the_faq_is_audited(app, make, login, course):
    trainer = make.trainer()
    assign_trainer(course, trainer)
    question = asked(signed_in(app, login, enrolled(make, course)), course, PRIVATE_TEXT)
    client = signed_in(app, login, trainer)
    client.post(f"/qa/{question.id}/faq", data={"in_faq": "1"})
    client.post(f"/qa/{question.id}/faq", data={"in_faq": "1"})  # a double click changes nothing more
    assert db.session.get(ModuleQuestion, question.id).faq_at is not None
    client.post(f"/qa/{question.id}/faq", data={"in_faq": "0"})
    assert db.session.get(ModuleQuestion, question.id).faq_at is None
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "module_question")
                                     .order_by(AuditEvent.id)))
    assert [(e.action, e.actor_id, e.object_id) for e in events] == [
        ("qa.faq_promote", trainer.id, str(question.id)), ("qa.faq_remove", trainer.id, str(question.id))]
    log = page(signed_in(app, login, make.admin()), "/admin/audit/")
    assert "Question added to a module&#39;s FAQ" in log or "Question added to a module's FAQ" in log


def test_asking_needs_an_enrolment_and_a_question_of_reasonable_length(app, make, login, course):
    outsider = signed_in(app, login, make.trainee())
    assert ask(outsider, course, PRIVATE_TEXT).status_code == 403
    assert db.session.scalar(select(func.count(ModuleQuestion.id))) == 0

    client = signed_in(app, login, enrolled(make, course))
    too_short = ask(client, course, "Vì sao?")
    assert too_short.status_code == 200
    shown = too_short.get_data(as_text=True)
    assert "Write between 10 and 5000 characters." in shown and "Vì sao?" in shown  # the text is kept
    assert ask(client, course, "x" * 5001).status_code == 200
    assert db.session.scalar(select(func.count(ModuleQuestion.id))) == 0
    # Private unless the trainee chooses public.
    question = asked(client, course, PRIVATE_TEXT)
    assert question.is_public is False and question.asker_id is not None


def test_the_module_page_offers_the_ask_form_with_both_choices_explained(app, make, login, course):
    section = page(signed_in(app, login, enrolled(make, course)), module_url(course))
    form = section.split('class="qa-ask"')[1].split("</form>")[0]
    assert 'name="body"' in form
    radios = re.findall(r'<input[^>]*name="visibility"[^>]*>', form)
    assert len(radios) == 2 and "checked" in radios[0] and 'value="private"' in radios[0]  # private by default
    assert "seen by you and the trainers only" in form and "Other trainees of the course can read" in form


def test_asking_is_rate_limited_per_person(app, make, login, course):
    app.config["RATELIMIT_QA_ASK"] = "2 per hour"
    client = signed_in(app, login, enrolled(make, course))
    asked(client, course, "Câu hỏi thứ nhất về hồ sơ khen thưởng.")
    asked(client, course, "Câu hỏi thứ hai về hồ sơ khen thưởng.")
    assert ask(client, course, "Câu hỏi thứ ba về hồ sơ khen thưởng.").status_code == 429
    # Someone else in the same hall (same address) still asks.
    asked(signed_in(app, login, enrolled(make, course)), course, "Câu hỏi của một học viên khác.")
