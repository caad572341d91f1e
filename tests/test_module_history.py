"""A module's history: revisions with their authors, the diff between two, restoring an old text."""
from __future__ import annotations

from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.authoring.history import diff_lines
from lms.courses import services as course_services
from lms.courses.models import CourseTrainer, ModuleDraft, ModuleRevision
from lms.courses.revisions import course_links, publish_revision, published_revision
from lms.extensions import db

OLD_LINE = "Sau bài học này, học viên có thể:"
NEW_LINE = "Sau bài học này, mỗi học viên sẽ có thể:"
ADDED = "Bài học được cập nhật theo Nghị định 152/2025/NĐ-CP."


def second_revision(course, author, title: str = "Tư tưởng Hồ Chí Minh về thi đua ái quốc (bản mới)"):
    """Revision 2 of the first module, published by `author`: one line reworded, one paragraph added."""
    module = course.active_modules[0]
    old = published_revision(module).source_markdown
    assert OLD_LINE in old
    module.title = title
    publish_revision(module, source=old.replace(OLD_LINE, NEW_LINE) + f"\n{ADDED}\n", links=course_links(course),
                     author=author, note="Cập nhật nghị định mới")
    db.session.commit()
    return module


def trainer_of(course, make, **kwargs):
    trainer = make.trainer(**kwargs)
    db.session.add(CourseTrainer(course_id=course.id, user_id=trainer.id))
    db.session.commit()
    return trainer


def revisions(module) -> list[ModuleRevision]:
    return list(db.session.scalars(select(ModuleRevision).where(ModuleRevision.module_id == module.id)
                                   .order_by(ModuleRevision.number)))


def test_the_history_lists_revisions_with_their_authors(client, make, login, course):
    trainer = trainer_of(course, make, full_name="Phạm Minh Châu")
    module = second_revision(course, trainer)
    login(client, trainer)
    client.post("/language", data={"lang": "en"})
    page = client.get(f"/author/courses/{course.slug}/modules/{module.key}/history").get_data(as_text=True)
    assert page.index('id="revision-2"') < page.index('id="revision-1"')  # newest first
    assert "Phạm Minh Châu" in page and "Content import" in page and "Cập nhật nghị định mới" in page
    # Compare the latest change by default; only the older revision can be restored.
    assert 'name="a" value="1" checked' in page and 'name="b" value="2" checked' in page
    assert f"/modules/{module.key}/revisions/1/restore" in page
    assert f"/modules/{module.key}/revisions/2/restore" not in page


def test_the_diff_shows_the_removed_and_added_lines(client, make, login, course):
    trainer = trainer_of(course, make)
    module = second_revision(course, trainer)
    login(client, trainer)
    page = client.get(f"/author/courses/{course.slug}/modules/{module.key}/diff?a=1&b=2").get_data(as_text=True)
    assert f"<ins>{ADDED}</ins>" in page
    # The reworded line, removed then added, with the words that changed marked inside it.
    assert f'<span class="diff-text">{OLD_LINE}</span>' in page
    assert "<span class=\"diff-text\">Sau bài học này, <ins>mỗi </ins>học viên<ins> sẽ</ins> có thể:</span>" in page
    assert "<ins lang=\"vi\">Tư tưởng Hồ Chí Minh về thi đua ái quốc (bản mới)</ins>" in page  # the title too
    assert page.count('class="diff-gap"') == 1  # the long unchanged stretch between the changes is folded


def test_diff_lines_marks_words_and_folds_unchanged_lines():
    old = "\n".join(f"Dòng {n}" for n in range(1, 21)) + "\nKhen thưởng đột xuất cho tập thể.\n"
    new = "\n".join(f"Dòng {n}" for n in range(1, 21)) + "\nKhen thưởng thường xuyên cho tập thể.\nMới.\n"
    lines = diff_lines(old, new)
    assert lines[0].kind == "gap" and lines[0].skipped == 17
    removed = next(line for line in lines if line.kind == "removed")
    added = [line for line in lines if line.kind == "added"]
    assert [(s.text, s.changed) for s in removed.segments] == [
        ("Khen thưởng ", False), ("đột xuất", True), (" cho tập thể.", False)]
    assert [(s.text, s.changed) for s in added[0].segments] == [
        ("Khen thưởng ", False), ("thường xuyên", True), (" cho tập thể.", False)]
    assert [(s.text, s.changed) for s in added[1].segments] == [("Mới.", True)]
    assert diff_lines(old, old) == []


def test_the_diff_escapes_the_markdown(client, make, login, course):
    admin = make.admin()
    module = course.active_modules[0]
    publish_revision(module, source=published_revision(module).source_markdown + "\n<script>alert(1)</script>\n",
                     links=course_links(course), author=admin)
    db.session.commit()
    login(client, admin)
    page = client.get(f"/author/courses/{course.slug}/modules/{module.key}/diff?a=1&b=2").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


def test_restoring_brings_the_old_text_back_to_trainees_as_a_new_revision(client, make, login, course):
    trainer = trainer_of(course, make)
    original_title = course.active_modules[0].title
    module = second_revision(course, trainer)
    trainee = make.trainee()
    course_services.enrol(trainee, course)
    reader = client.application.test_client()
    login(reader, trainee)
    assert ADDED in reader.get(f"/courses/{course.slug}/modules/{module.key}").get_data(as_text=True)

    login(client, trainer)
    response = client.post(f"/author/courses/{course.slug}/modules/{module.key}/revisions/1/restore")
    assert response.status_code == 302

    first, second, third = revisions(module)
    assert third.restored_from == 1 and third.author_id == trainer.id
    assert third.source_markdown == first.source_markdown and third.title == original_title
    page = reader.get(f"/courses/{course.slug}/modules/{module.key}").get_data(as_text=True)
    assert ADDED not in page and OLD_LINE in page and original_title in page
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "module.restore"))
    assert event.actor_id == trainer.id and event.after["restored_from"] == 1 and event.after["revision"] == 3

    client.post("/language", data={"lang": "en"})
    history = client.get(f"/author/courses/{course.slug}/modules/{module.key}/history").get_data(as_text=True)
    assert "restored from revision 1" in history


def test_restore_is_refused_while_someone_has_a_draft(client, make, login, course):
    trainer = trainer_of(course, make)
    colleague = trainer_of(course, make, full_name="Đỗ Thị Lan")
    module = second_revision(course, trainer)
    db.session.add(ModuleDraft(module_id=module.id, title=module.title, minutes=module.minutes,
                               source_markdown="Bản nháp", base_revision_number=2, updated_by_id=colleague.id))
    db.session.commit()
    login(client, trainer)
    response = client.post(f"/author/courses/{course.slug}/modules/{module.key}/revisions/1/restore",
                           follow_redirects=True)
    assert "Đỗ Thị Lan" in response.get_data(as_text=True)
    assert len(revisions(module)) == 2
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "module.restore")) is None


def test_restoring_the_current_revision_changes_nothing(client, make, login, course):
    trainer = trainer_of(course, make)
    module = second_revision(course, trainer)
    login(client, trainer)
    client.post("/language", data={"lang": "en"})
    response = client.post(f"/author/courses/{course.slug}/modules/{module.key}/revisions/2/restore",
                           follow_redirects=True)
    assert "nothing was changed" in response.get_data(as_text=True)
    assert len(revisions(module)) == 2


def test_the_revision_page_shows_the_old_text_as_rendered(client, make, login, course):
    trainer = trainer_of(course, make)
    module = second_revision(course, trainer)
    login(client, trainer)
    page = client.get(f"/author/courses/{course.slug}/modules/{module.key}/revisions/1").get_data(as_text=True)
    assert OLD_LINE in page and ADDED not in page and 'class="prose"' in page
    assert f"/modules/{module.key}/revisions/1/restore" in page


def test_unknown_revisions_are_not_found(client, make, login, course):
    trainer = trainer_of(course, make)
    module = second_revision(course, trainer)
    login(client, trainer)
    base = f"/author/courses/{course.slug}/modules/{module.key}"
    assert client.get(f"{base}/revisions/9").status_code == 404
    assert client.get(f"{base}/diff?a=1&b=9").status_code == 404
    assert client.post(f"{base}/revisions/9/restore").status_code == 404
    assert client.get(f"{base}/diff?a=x&b=2").status_code == 302  # back to the history to choose two
    assert client.get(f"/author/courses/{course.slug}/modules/no-such-module/history").status_code == 404

    # Another course's trainer finds none of it.
    stranger = make.trainer()
    other = client.application.test_client()
    login(other, stranger)
    assert other.get(f"{base}/history").status_code == 404
    assert other.get(f"{base}/diff?a=1&b=2").status_code == 404
    assert other.post(f"{base}/revisions/1/restore").status_code == 404
