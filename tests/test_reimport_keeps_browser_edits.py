"""Content import and the browser editor live side by side: `make run` re-imports content/ every time, and
that must not undo what trainers published in the browser. A re-import changes an item only when its file
changed since the last import; then the file wins, and the browser's text stays in the module's history."""
from sqlalchemy import select

from lms.courses import services
from lms.courses.models import ORIGIN_BROWSER, Course, Module, ModuleRevision
from lms.courses.revisions import course_links, publish_revision
from lms.extensions import db
from lms.quizzes.models import Question, Quiz
from tests.factories import Factories


def _course() -> Course:
    return db.session.scalar(select(Course).where(Course.slug == "khoa-kiem-tra"))


def _browser_edits(trainer) -> dict:
    """What a trainer does in the browser: a new module text and title, a question, quiz and course setting,
    and a module of their own."""
    course = _course()
    module = course.active_modules[0]
    module.title = "Khung pháp lý (biên soạn lại)"
    publish_revision(module, source="## Nội dung\n\nVăn bản do giảng viên biên soạn.\n", links=course_links(course),
                     author=trainer, note="cập nhật")
    question = db.session.scalar(select(Question).where(Question.course_id == course.id).order_by(Question.id))
    question.prompt_markdown = "Câu hỏi đã sửa trên trình duyệt?"
    quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.key == module.key))
    quiz.pass_mark = 90
    course.summary = "Tóm tắt do giảng viên viết."
    own = Module(course=course, key="bai-moi", title="Bài mới", position=9, origin=ORIGIN_BROWSER,
                 file_name="09-bai-moi.md")
    db.session.add(own)
    db.session.flush()
    publish_revision(own, source="## Bài mới\n\nNội dung.\n", links=course_links(course), author=trainer)
    db.session.commit()
    return {"module": module.key, "question": question.key, "quiz": quiz.key}


def test_reimporting_unchanged_files_keeps_what_trainers_published(tmp_path, make):
    course = make.quiz_course(tmp_path)
    folder = tmp_path / course.slug
    edited = _browser_edits(make.trainer())

    report = services.import_content(folder)

    db.session.expire_all()
    course = _course()
    module = next(m for m in course.active_modules if m.key == edited["module"])
    assert "Văn bản do giảng viên biên soạn." in services.published_revision(module).body_html
    assert module.title == "Khung pháp lý (biên soạn lại)"
    assert report.modules_revised == 0 and report.modules_retired == 0
    question = db.session.scalar(select(Question).where(Question.course_id == course.id,
                                                        Question.key == edited["question"]))
    assert question.prompt_markdown == "Câu hỏi đã sửa trên trình duyệt?"
    assert db.session.scalar(select(Quiz.pass_mark).where(Quiz.course_id == course.id,
                                                          Quiz.key == edited["quiz"])) == 90
    assert course.summary == "Tóm tắt do giảng viên viết."
    assert "bai-moi" in [m.key for m in course.active_modules], "a module made in the browser was retired"


def test_a_changed_file_wins_and_the_browser_text_stays_in_history(tmp_path, make):
    course = make.quiz_course(tmp_path)
    folder = tmp_path / course.slug
    edited = _browser_edits(make.trainer())
    module_file = next(folder.glob("01-*.md"))
    module_file.write_text(module_file.read_text(encoding="utf-8").replace(
        "Luật Thi đua, khen thưởng năm 2022.", "Luật Thi đua, khen thưởng năm 2022 (bản trong tệp, đã sửa)."),
        encoding="utf-8")

    report = services.import_content(folder)

    db.session.expire_all()
    module = next(m for m in _course().active_modules if m.key == edited["module"])
    assert report.modules_revised == 1
    assert "bản trong tệp, đã sửa" in services.published_revision(module).body_html
    assert module.title == "Khung pháp lý"  # the file's title, since the file changed
    history = list(db.session.scalars(select(ModuleRevision).where(ModuleRevision.module_id == module.id)
                                      .order_by(ModuleRevision.number)))
    assert [r.author_id is None for r in history] == [True, False, True]
    assert "Văn bản do giảng viên biên soạn." in history[1].source_markdown
    # The question and quiz files did not change: the browser's edits to them stand.
    question = db.session.scalar(select(Question).where(Question.key == edited["question"]))
    assert question.prompt_markdown == "Câu hỏi đã sửa trên trình duyệt?"


def test_a_module_dropped_from_the_files_is_still_retired(tmp_path, make):
    folder = Factories.course_folder(tmp_path)
    services.import_content(folder)
    (folder / "02-hai.md").unlink()
    course_yml = (folder / "course.yml").read_text(encoding="utf-8")
    (folder / "course.yml").write_text(course_yml.replace("  - 02-hai.md\n", ""), encoding="utf-8")

    report = services.import_content(folder)

    assert report.modules_retired == 1
    course = db.session.scalar(select(Course).where(Course.slug == "khoa-thu"))
    assert [m.key for m in course.active_modules] == ["mot"]


def test_what_trainers_wrote_in_the_browser_comes_back_through_export_and_import(tmp_path, make):
    from lms.authoring import drafts, question_services
    from lms.courses.export import export_course

    course = make.quiz_course(tmp_path / "src")
    trainer = make.admin()
    module = drafts.create_module(course, key="bai-moi", title="Bài mới", minutes=4, author=trainer)
    drafts.publish_draft(module, title="Bài mới", minutes=4, source="## Bài mới\n\nNội dung viết trên web.\n",
                         version=1, base_revision=0, author=trainer)
    question = question_services.create_question(course, {
        "type": "true-false", "category": "khung-phap-ly", "prompt": "Đúng hay sai: thi đua dựa trên sự tự nguyện tham gia?",
        "answer": True, "explanation": "Điều 3 định nghĩa thi đua là hoạt động tự nguyện.",
        "source": "Luật Thi đua, khen thưởng 2022, Điều 3"}, trainer)

    folder = export_course(course, tmp_path / "out")
    report = services.import_content(folder)  # back into the same platform

    assert report.modules_created == 0 and report.questions_created == 0
    db.session.expire_all()
    assert db.session.get(Module, module.id).origin == "files"
    assert db.session.get(Question, question.id).origin.startswith("questions/")
