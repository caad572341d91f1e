"""The module editor: creating a module, drafts trainees never see, the preview, publishing, the edit
conflict between two trainers, uploads, and who may edit at all."""
from __future__ import annotations

import html
import io
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.authoring import drafts
from lms.courses import services as course_services
from lms.courses.models import CourseFile, CourseTrainer, Module, ModuleDraft, ModuleRevision
from lms.courses.rendering import COURSE_FILE_MAX_BYTES
from lms.extensions import db


def assign(trainer, course):
    db.session.add(CourseTrainer(course_id=course.id, user_id=trainer.id))
    db.session.commit()


def signed_in(app, login, user, lang="en"):
    client = app.test_client()
    login(client, user)
    client.post("/language", data={"lang": lang})
    return client


def edit_url(course, key):
    return f"/author/courses/{course.slug}/modules/{key}/edit"


def hidden(page: str, name: str) -> int:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
    return int(re.search(r'value="(\d+)"', tag).group(1))


def open_editor(client, course, key) -> dict:
    """What the editor's form holds when opened: its text and the hidden version and base revision."""
    response = client.get(edit_url(course, key))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return {"version": hidden(page, "version"), "base_revision": hidden(page, "base_revision"), "page": page}


def submit(client, course, key, opened: dict, *, action="save", title="Khung pháp lý", minutes=20,
           source="", note=""):
    return client.post(edit_url(course, key), data={
        "title": title, "minutes": minutes, "source": source, "note": note, "version": opened["version"],
        "base_revision": opened["base_revision"], action: "1"})


def trainee_page(app, login, trainee, course, key):
    client = signed_in(app, login, trainee)
    return client.get(f"/courses/{course.slug}/modules/{key}")


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (165, 14, 14)).save(out, format="PNG")
    return out.getvalue()


def stored_files(app) -> list:
    root = app.config["STORAGE_DIR"]
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def trainer(make, course):
    person = make.trainer(full_name="Trần Văn Bình")
    assign(person, course)
    return person


@pytest.fixture
def trainee(make, course):
    person = make.trainee()
    course_services.enrol(person, course)
    return person


# --- creating a module ------------------------------------------------------------------------------------

def test_a_new_module_stays_hidden_from_trainees_until_published(app, login, course, trainer, trainee):
    enrolment = course_services.find_enrolment(trainee, course)
    total_before = course_services.progress_for([enrolment])[enrolment.id].total
    client = signed_in(app, login, trainer)

    response = client.post(f"/author/courses/{course.slug}/modules/new",
                           data={"title": "Hồ sơ đề nghị khen thưởng", "key": "", "minutes": 12})

    key = "ho-so-de-nghi-khen-thuong"  # made from the title
    assert response.status_code == 302 and response.location.endswith(edit_url(course, key))
    module = db.session.scalar(select(Module).where(Module.course_id == course.id, Module.key == key))
    assert not module.is_published and module.origin == "browser"
    assert module.position == max(m.position for m in course.modules)
    assert module.file_name == f"{module.position:02d}-{key}.md"
    assert db.session.scalar(select(ModuleDraft).where(ModuleDraft.module_id == module.id)) is not None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "module.create",
                                                      AuditEvent.object_id == str(module.id))) is not None
    # Trainees: not on the course page, not reachable, not counted.
    reader = signed_in(app, login, trainee)
    assert "Hồ sơ đề nghị khen thưởng" not in reader.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert reader.get(f"/courses/{course.slug}/modules/{key}").status_code == 404
    assert course_services.progress_for([enrolment])[enrolment.id].total == total_before

    # Once published, trainees read it and it counts.
    opened = open_editor(client, course, key)
    published = submit(client, course, key, opened, action="publish", title="Hồ sơ đề nghị khen thưởng",
                       minutes=12, source="## Thành phần hồ sơ\n\nTờ trình đề nghị khen thưởng.\n")
    assert published.status_code == 302
    page = reader.get(f"/courses/{course.slug}/modules/{key}")
    assert page.status_code == 200 and "Tờ trình đề nghị khen thưởng." in page.get_data(as_text=True)
    db.session.expire_all()
    assert course_services.progress_for([enrolment])[enrolment.id].total == total_before + 1


def test_a_module_id_is_unique_in_the_course(app, login, course, trainer):
    client = signed_in(app, login, trainer)
    taken = course.active_modules[0].key
    response = client.post(f"/author/courses/{course.slug}/modules/new",
                           data={"title": "Bài mới", "key": taken, "minutes": 5})
    assert response.status_code == 200
    assert "already has a module with the id" in response.get_data(as_text=True)
    response = client.post(f"/author/courses/{course.slug}/modules/new",
                           data={"title": "Bài mới", "key": "Bài Mới", "minutes": 5})
    assert "lower-case letters" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Module.id)).where(Module.course_id == course.id)) \
        == len(course.modules)


# --- drafts, preview, publishing --------------------------------------------------------------------------

def test_a_saved_draft_is_not_what_trainees_read(app, login, course, trainer, trainee):
    module = course.active_modules[1]
    published = course_services.published_revision(module)
    client = signed_in(app, login, trainer)
    opened = open_editor(client, course, module.key)
    assert opened["version"] == 0 and opened["base_revision"] == published.number

    response = submit(client, course, module.key, opened, title=module.title,
                      source="## Bản nháp\n\nĐoạn văn mới chưa công bố.\n")

    assert response.status_code == 302
    draft = db.session.scalar(select(ModuleDraft).where(ModuleDraft.module_id == module.id))
    assert draft.updated_by_id == trainer.id and draft.version == 1
    reread = open_editor(client, course, module.key)
    assert "Đoạn văn mới chưa công bố." in reread["page"] and reread["version"] == 1
    page = trainee_page(app, login, trainee, course, module.key).get_data(as_text=True)
    assert "Đoạn văn mới chưa công bố." not in page
    assert course_services.published_revision(module).number == published.number


def test_the_preview_is_the_sanitised_trainee_rendering(app, login, course, trainer):
    module = course.active_modules[0]
    client = signed_in(app, login, trainer)
    source = "## Mục một\n\n**đậm** và <script>alert('x')</script> [bài hai](02-khung-phap-ly.md)\n"

    response = client.post(f"/author/courses/{course.slug}/modules/{module.key}/preview",
                           data={"source": source, "title": "Tiêu đề thử"})

    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>đậm</strong>" in fragment and "<script" not in fragment
    assert 'class="module module-preview"' in fragment and 'class="prose"' in fragment
    assert "Tiêu đề thử" in fragment
    # A link to another module's file goes to that module's page, as on the trainee page.
    assert f'href="/courses/{course.slug}/modules/khung-phap-ly"' in fragment
    # Without JavaScript the Preview button shows the same page with the preview; nothing is saved.
    opened = open_editor(client, course, module.key)
    page = submit(client, course, module.key, opened, action="preview", title="", source=source)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<strong>đậm</strong>" in text and "<script>alert" not in text
    assert db.session.scalar(select(ModuleDraft).where(ModuleDraft.module_id == module.id)) is None


def test_publishing_shows_trainees_the_new_text_at_once(app, login, course, trainer, trainee):
    module = course.active_modules[1]
    before = course_services.published_revision(module).number
    client = signed_in(app, login, trainer)
    opened = open_editor(client, course, module.key)
    saved = submit(client, course, module.key, opened, title=module.title, source="## Nháp\n\nChưa xong.\n")
    assert saved.status_code == 302
    opened = open_editor(client, course, module.key)

    response = submit(client, course, module.key, opened, action="publish", title="Khung pháp lý (2026)",
                      minutes=25, source="## Khung pháp lý mới\n\nNghị định mới nhất đã được cập nhật.\n",
                      note="Cập nhật nghị định")

    assert response.status_code == 302
    page = trainee_page(app, login, trainee, course, module.key).get_data(as_text=True)
    assert "Nghị định mới nhất đã được cập nhật." in page and "Khung pháp lý (2026)" in page
    revision = course_services.published_revision(module)
    assert revision.number == before + 1 and revision.author_id == trainer.id
    assert revision.note == "Cập nhật nghị định" and revision.title == "Khung pháp lý (2026)"
    assert db.session.scalar(select(ModuleDraft).where(ModuleDraft.module_id == module.id)) is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "module.publish"))
    assert event.actor_id == trainer.id and event.object_id == str(module.id)
    assert event.before["revision"] == before and event.after["revision"] == before + 1
    # The editor now opens on the published text, and says so.
    assert "Nghị định mới nhất" in open_editor(client, course, module.key)["page"]


def test_publishing_needs_some_text(app, login, course, trainer):
    module = course.active_modules[0]
    client = signed_in(app, login, trainer)
    response = submit(client, course, module.key, open_editor(client, course, module.key), action="publish",
                      title=module.title, source="   ")
    assert response.status_code == 200 and "before publishing" in response.get_data(as_text=True)


def test_discarding_a_draft(app, login, course, trainer, make):
    module = course.active_modules[0]
    other = make.trainer(full_name="Lê Thị Cúc")
    assign(other, course)
    client, second = signed_in(app, login, trainer), signed_in(app, login, other)
    submit(client, course, module.key, open_editor(client, course, module.key), source="Nháp một.")
    stale = open_editor(second, course, module.key)
    submit(client, course, module.key, open_editor(client, course, module.key), source="Nháp hai.")

    refused = submit(second, course, module.key, stale, action="discard")
    assert refused.status_code == 409
    assert db.session.scalar(select(ModuleDraft.source_markdown).where(ModuleDraft.module_id == module.id)) \
        == "Nháp hai."
    response = submit(client, course, module.key, open_editor(client, course, module.key), action="discard")
    assert response.status_code == 302
    assert db.session.scalar(select(ModuleDraft).where(ModuleDraft.module_id == module.id)) is None


# --- two trainers at once ---------------------------------------------------------------------------------

@pytest.fixture
def two_trainers(app, login, make, course, trainer):
    second = make.trainer(full_name="Phạm Thu Hà")
    assign(second, course)
    return signed_in(app, login, trainer), signed_in(app, login, second)


def test_the_second_save_is_told_of_the_first(app, login, course, trainer, two_trainers):
    first, second = two_trainers
    module = course.active_modules[1]
    mine, theirs = open_editor(first, course, module.key), open_editor(second, course, module.key)

    assert submit(first, course, module.key, mine, source="Văn bản của Bình.\n").status_code == 302
    response = submit(second, course, module.key, theirs, source="Văn bản của Hà.\n")

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Trần Văn Bình saved a draft" in page
    assert "Văn bản của Hà." in page  # the second trainer's own text is kept in the editor
    # The diff marks the first trainer's words as removed and the second's as added.
    assert re.search(r"<del>[^<]*Bình\.?</del>", page) and re.search(r"<ins>[^<]*Hà\.?</ins>", page)
    draft = db.session.scalar(select(ModuleDraft).where(ModuleDraft.module_id == module.id))
    assert draft.source_markdown == "Văn bản của Bình.\n" and draft.updated_by_id == trainer.id

    # Having seen it, the second trainer may keep their text: the page now names the current version.
    again = {"version": hidden(page, "version"), "base_revision": hidden(page, "base_revision")}
    assert submit(second, course, module.key, again, source="Văn bản của Hà.\n").status_code == 302
    # And the first, still on the version they saved, is now the one told.
    mine = open_editor(first, course, module.key)
    assert submit(second, course, module.key, again | {"version": mine["version"]},
                  source="Hà sửa tiếp.\n").status_code == 302
    response = submit(first, course, module.key, mine, source="Bình sửa tiếp.\n")
    assert response.status_code == 409
    assert "Phạm Thu Hà saved a draft" in response.get_data(as_text=True)
    assert db.session.scalar(select(ModuleDraft.source_markdown).where(ModuleDraft.module_id == module.id)) \
        == "Hà sửa tiếp.\n"


def test_the_second_publish_is_told_of_the_first(app, login, course, trainer, trainee, two_trainers):
    first, second = two_trainers
    module = course.active_modules[1]
    before = course_services.published_revision(module).number
    mine, theirs = open_editor(first, course, module.key), open_editor(second, course, module.key)

    assert submit(first, course, module.key, mine, action="publish", title=module.title,
                  source="Bình công bố.\n").status_code == 302
    response = submit(second, course, module.key, theirs, action="publish", title=module.title,
                      source="Hà công bố.\n")

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert f"Trần Văn Bình published revision {before + 1}" in page and "Hà công bố." in page
    assert course_services.published_revision(module).number == before + 1
    assert "Bình công bố." in trainee_page(app, login, trainee, course, module.key).get_data(as_text=True)


def test_publishing_a_stale_draft_is_refused(app, login, course, trainer, two_trainers):
    first, second = two_trainers
    module = course.active_modules[2]
    before = course_services.published_revision(module).number
    submit(first, course, module.key, open_editor(first, course, module.key), source="Nháp 1.\n")
    stale = open_editor(second, course, module.key)
    submit(first, course, module.key, open_editor(first, course, module.key), source="Nháp 2.\n")

    response = submit(second, course, module.key, stale, action="publish", title=module.title,
                      source="Nháp 1, Hà sửa.\n")

    assert response.status_code == 409 and "Trần Văn Bình saved a draft" in response.get_data(as_text=True)
    assert course_services.published_revision(module).number == before
    assert db.session.scalar(select(ModuleDraft.source_markdown).where(ModuleDraft.module_id == module.id)) \
        == "Nháp 2.\n"


def test_the_service_refuses_a_second_first_draft_and_a_stale_version(app, course, trainer, make):
    """What two racing requests meet: one insert of the first draft wins, one UPDATE per version wins."""
    module = course.active_modules[0]
    state = drafts.editor_state(module)
    other = make.trainer(full_name="Lê Thị Cúc")
    common = {"title": module.title, "minutes": 5, "base_revision": state.base_revision}
    drafts.save_draft(module, source="A", version=0, author=trainer, **common)
    with pytest.raises(drafts.EditConflict) as refused:
        drafts.save_draft(module, source="B", version=0, author=other, **common)
    assert refused.value.conflict.kind == "draft" and refused.value.conflict.who.id == trainer.id
    drafts.save_draft(module, source="A2", version=1, author=trainer, **common)
    with pytest.raises(drafts.EditConflict):
        drafts.save_draft(module, source="B2", version=1, author=other, **common)
    with pytest.raises(drafts.EditConflict):
        drafts.publish_draft(module, source="B3", version=1, author=other, **common)
    assert drafts.editor_state(module).source == "A2"


def test_racing_saves_and_publishes_let_exactly_one_through(app, login, make, course, trainer):
    """Four trainers press Save (then Publish) at the same moment on the same editor state."""
    module = course.active_modules[3]
    before = course_services.published_revision(module).number
    people = [trainer] + [make.trainer(full_name=f"Giảng viên {n}") for n in range(3)]
    for person in people[1:]:
        assign(person, course)
    clients = [signed_in(app, login, person) for person in people]
    opened = open_editor(clients[0], course, module.key)

    url, title = edit_url(course, module.key), module.title  # the threads have no database session

    def press(n: int, action: str, state: dict):
        response = clients[n].post(url, data={"title": title, "minutes": 10, "source": f"Văn bản số {n}.\n",
                                              "version": state["version"],
                                              "base_revision": state["base_revision"], action: "1"})
        return n, response.status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        saves = list(pool.map(lambda n: press(n, "save", opened), range(4)))
    assert sorted(status for _n, status in saves) == [302, 409, 409, 409], saves
    winner = next(n for n, status in saves if status == 302)
    db.session.expire_all()
    draft = db.session.scalar(select(ModuleDraft).where(ModuleDraft.module_id == module.id))
    assert draft.source_markdown == f"Văn bản số {winner}.\n" and draft.version == 1

    saved = open_editor(clients[0], course, module.key)
    with ThreadPoolExecutor(max_workers=4) as pool:
        publishes = list(pool.map(lambda n: press(n, "publish", saved), range(4)))
    assert sorted(status for _n, status in publishes) == [302, 409, 409, 409], publishes
    winner = next(n for n, status in publishes if status == 302)
    db.session.expire_all()
    latest = course_services.published_revision(module)
    assert latest.number == before + 1 and latest.source_markdown == f"Văn bản số {winner}.\n"


# --- uploads -------------------------------------------------------------------------------------------------

def upload(client, course, data: bytes, name: str, **extra):
    return client.post(f"/author/courses/{course.slug}/files", data={"file": (io.BytesIO(data), name), **extra},
                       content_type="multipart/form-data", headers={"Accept": "application/json"})


def test_an_uploaded_image_renders_in_the_preview(app, login, course, trainer):
    client = signed_in(app, login, trainer)
    image = png_bytes()

    response = upload(client, course, image, "Sơ đồ quy trình.png")

    assert response.status_code == 200
    assert response.json == {"path": "images/so-do-quy-trinh.png",
                             "markdown": "![Sơ đồ quy trình](images/so-do-quy-trinh.png)"}
    record = db.session.scalar(select(CourseFile).where(CourseFile.course_id == course.id,
                                                        CourseFile.path == "images/so-do-quy-trinh.png"))
    assert record.uploaded_by_id == trainer.id and record.size == len(image)
    module = course.active_modules[0]
    fragment = client.post(f"/author/courses/{course.slug}/modules/{module.key}/preview",
                           data={"source": response.json["markdown"]}).get_data(as_text=True)
    src = html.unescape(re.search(r'<img[^>]*src="([^"]+)"', fragment).group(1))
    assert src == f"/courses/{course.slug}/files/{record.sha256[:32]}/so-do-quy-trinh.png"
    served = client.get(src)
    assert served.status_code == 200 and served.data == image and served.content_type == "image/png"
    # Other bytes under the same name get a name of their own; the first image is untouched.
    other = png_bytes()[:-12] + b"\x00" * 12
    second = upload(client, course, b"\x89PNG\r\n\x1a\n" + other[8:], "Sơ đồ quy trình.png")
    assert second.json["path"] == "images/so-do-quy-trinh-2.png"


def test_an_upload_without_javascript_comes_back_to_the_editor(app, login, course, trainer):
    client = signed_in(app, login, trainer)
    back = edit_url(course, course.active_modules[0].key)
    response = client.post(f"/author/courses/{course.slug}/files",
                           data={"file": (io.BytesIO(png_bytes()), "hinh.png"), "next": back},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and response.location.endswith(back)
    assert "![hinh](images/hinh.png)" in client.get(back).get_data(as_text=True)
    # An address outside the course's authoring pages is not followed.
    response = client.post(f"/author/courses/{course.slug}/files",
                           data={"file": (io.BytesIO(png_bytes()), "hinh.png"), "next": "https://example.org/"},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and response.is_json


@pytest.mark.parametrize("data, name, reason", [
    (b"just some text, not an image\n", "anh.png", "not what its name says"),
    (b"%PDF-1.7 pretending", "anh.png", "not what its name says"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * COURSE_FILE_MAX_BYTES, "lon.png", "larger than 5 MB"),
    (b"", "rong.png", "empty"),
    (b"MZ\x90\x00", "chuong-trinh.exe", "Only images"),
])
def test_a_refused_upload_stores_nothing(app, login, course, trainer, data, name, reason):
    client = signed_in(app, login, trainer)
    files_before, records_before = stored_files(app), db.session.scalar(select(func.count(CourseFile.id)))

    response = upload(client, course, data, name)

    assert response.status_code == 400 and reason in response.json["error"]
    assert stored_files(app) == files_before
    assert db.session.scalar(select(func.count(CourseFile.id))) == records_before


def test_a_pdf_goes_under_files(app, course, trainer):
    stored = drafts.store_upload(course, "Mẫu tờ trình.pdf", b"%PDF-1.4\n%\xe2\xe3\n", uploader=trainer)
    assert stored.path == "files/mau-to-trinh.pdf" and stored.markdown == "[Mẫu tờ trình](files/mau-to-trinh.pdf)"


# --- who may edit ----------------------------------------------------------------------------------------------

def editor_requests(course, key):
    base = f"/author/courses/{course.slug}"
    return [("GET", f"{base}/modules/new", {}), ("POST", f"{base}/modules/new", {"title": "X", "minutes": 1}),
            ("GET", f"{base}/modules/{key}/edit", {}),
            ("POST", f"{base}/modules/{key}/edit", {"title": "X", "minutes": 1, "source": "Y", "version": 0,
                                                    "base_revision": 1, "save": "1"}),
            ("POST", f"{base}/modules/{key}/preview", {"source": "Y"}),
            ("POST", f"{base}/files", {"file": (io.BytesIO(png_bytes()), "a.png")})]


def test_a_trainer_not_assigned_and_a_trainee_find_no_editor(app, login, make, course, trainer):
    module = course.active_modules[0]
    for person in (make.trainer(full_name="Đỗ Văn Khác"), make.trainee()):
        client = signed_in(app, login, person)
        for method, url, data in editor_requests(course, module.key):
            assert client.open(url, method=method, data=data).status_code == 404, (person.role, method, url)
    assert db.session.scalar(select(ModuleDraft).where(ModuleDraft.module_id == module.id)) is None
    assert db.session.scalar(select(func.count(CourseFile.id)).where(CourseFile.uploaded_by_id.is_not(None))) == 0


def test_an_admin_edits_any_course(app, login, make, course, trainee):
    module = course.active_modules[0]
    client = signed_in(app, login, make.admin())
    response = submit(client, course, module.key, open_editor(client, course, module.key), action="publish",
                      title=module.title, source="Quản trị viên cập nhật.\n")
    assert response.status_code == 302
    assert "Quản trị viên cập nhật." in trainee_page(app, login, trainee, course, module.key).get_data(as_text=True)


def test_the_module_page_links_to_the_editor_for_its_editors_only(app, login, make, course, trainer, trainee):
    module = course.active_modules[0]
    link = f'href="{edit_url(course, module.key)}"'
    assert link in signed_in(app, login, trainer).get(f"/courses/{course.slug}/modules/{module.key}").get_data(
        as_text=True)
    for person in (make.trainer(), trainee):
        page = signed_in(app, login, person).get(f"/courses/{course.slug}/modules/{module.key}")
        assert link not in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ModuleRevision.id)).where(ModuleRevision.module_id == module.id)) == 1
