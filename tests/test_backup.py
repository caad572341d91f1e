"""`lms backup` and `lms restore`: a backup restored onto a wiped deployment gives back every record and
every stored file, on the database the suite runs on (SQLite, or PostgreSQL under `make test-postgres`)."""
from __future__ import annotations

import io
import json
import shutil
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image
from sqlalchemy import select

from lms.accounts.models import UnitType
from lms.audit.models import AuditEvent
from lms.authoring.drafts import store_upload
from lms.certificates.models import Certificate
from lms.courses import services as course_services
from lms.db import utcnow
from lms.extensions import db
from lms.qa import services as qa_services
from lms.quizzes import services as quiz_services
from tests.certificate_helpers import complete_course
from tests.qa_helpers import assign_trainer
from tests.quiz_helpers import form_data, wrong_answers


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (6, 4), (165, 14, 14)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def deployment(make, course):
    """A province in use: units, every role, a completed course with its certificate PDF, an exam in progress
    with saved answers, a trainer's upload, a public question with its answer and notice."""
    province = make.unit("Ban Thi đua – Khen thưởng tỉnh", UnitType.PROVINCE)
    commune = make.unit("UBND xã Minh Tân", UnitType.COMMUNE, parent=province)
    make.admin(unit=province)
    trainer = make.trainer(full_name="Hoàng Văn Minh", unit=province)
    assign_trainer(course, trainer)
    holder = make.trainee(full_name="Lường Thị Đào", unit=commune)
    complete_course(holder, course)
    learner = make.trainee(full_name="Đặng Ngọc Ánh", unit=commune)
    enrolment = course_services.enrol(learner, course)
    quiz = next(quiz_services.quiz_for_module(m) for m in course.active_modules
                if quiz_services.quiz_for_module(m) is not None)
    attempt = quiz_services.start_attempt(enrolment, quiz)
    quiz_services.save_answers(attempt, 1, form_data(attempt, 1, wrong_answers(attempt)))
    image = png_bytes()
    store_upload(course, "Sơ đồ quy trình.png", image, uploader=trainer)
    question = qa_services.ask(learner, course.active_modules[0], "Hồ sơ đề nghị khen thưởng gồm những gì?",
                               public=True)
    qa_services.answer(trainer, question, "Xem Điều 84 Nghị định 98/2023/NĐ-CP.")
    certificate = db.session.scalar(select(Certificate).where(Certificate.user_id == holder.id))
    return {"holder": holder, "certificate_code": certificate.code, "certificate_id": certificate.id,
            "image": image}


def every_row() -> dict[str, list[tuple]]:
    """Every row of every table (all columns), in a stable order."""
    db.session.remove()
    with db.engine.connect() as conn:
        quote = conn.dialect.identifier_preparer.quote
        return {name: sorted((tuple(row) for row in conn.execute(sa.text(f"SELECT * FROM {quote(name)}"))),
                             key=repr)
                for name in sorted(sa.inspect(conn).get_table_names())}


def every_file(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*"))
            if path.is_file()}


def wipe(app) -> None:
    """The disaster: the database and the stored files are gone."""
    db.session.remove()
    engine = db.engine
    if engine.url.get_backend_name() == "sqlite":
        engine.dispose()
        database = Path(engine.url.database)
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            path.unlink(missing_ok=True)
    else:
        with engine.begin() as conn:
            for name in sa.inspect(conn).get_table_names():
                conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
        engine.dispose()
    shutil.rmtree(app.config["STORAGE_DIR"])


def back_up(runner, destination: Path, *extra: str) -> Path:
    result = runner.invoke(args=["lms", "backup", str(destination), *extra])
    assert result.exit_code == 0, result.output
    assert "Backup complete" in result.output
    return Path(result.output.split("Backup complete: ", 1)[1].splitlines()[0])


def test_a_restored_backup_gives_back_every_record_and_every_file(app, runner, client, login, make, deployment,
                                                                  tmp_path):
    rows, files = every_row(), every_file(app.config["STORAGE_DIR"])
    assert rows["certificate"] and rows["attempt_answer"] and rows["course_file"] and rows["module_answer"]
    assert any(name.endswith(".pdf") for name in files) and deployment["image"] in files.values()

    folder = back_up(runner, tmp_path / "backups")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert folder.name.startswith("lms-") and folder.name.endswith("Z")
    assert manifest["tables"] == {name: len(table) for name, table in rows.items()}
    assert manifest["files"] == {"count": len(files), "bytes": sum(map(len, files.values())),
                                 "checksums": "files.sha256"}
    assert manifest["database"]["alembic_revision"] == rows["alembic_version"][0][0]

    wipe(app)
    result = runner.invoke(args=["lms", "restore", str(folder)])

    assert result.exit_code == 0, result.output
    assert "Every table's row count and every stored file (by checksum) match the backup." in result.output
    assert "  certificate  " in result.output and "MISMATCH" not in result.output
    assert every_row() == rows
    assert every_file(app.config["STORAGE_DIR"]) == files
    # What people notice: the holder signs in and downloads the same PDF; the public check still works.
    verified = client.get(f"/verify/{deployment['certificate_code']}")
    assert verified.status_code == 200 and "Lường Thị Đào" in verified.get_data(as_text=True)
    login(client, deployment["holder"])
    pdf = client.get(f"/certificates/{deployment['certificate_id']}/download")
    assert pdf.status_code == 200 and pdf.data in files.values()
    # Work goes on: new records get fresh ids (PostgreSQL's sequences came back with the tables).
    newcomer = make.trainee(full_name="Người Mới")
    assert newcomer.id > max(row[0] for row in rows["user_account"])


def test_restore_refuses_to_overwrite_data_unless_forced(app, runner, make, deployment, tmp_path):
    folder = back_up(runner, tmp_path / "backups")
    rows, files = every_row(), every_file(app.config["STORAGE_DIR"])
    # After the backup: a new person, a lost PDF, a stray file.
    make.trainee(full_name="Sau Sao Lưu")
    storage = Path(app.config["STORAGE_DIR"])
    next(storage.rglob("*.pdf")).unlink()
    (storage / "stray.txt").write_text("không có trong bản sao lưu")
    changed_rows = every_row()

    refused = runner.invoke(args=["lms", "restore", str(folder)])

    assert refused.exit_code != 0
    assert "refusing to overwrite data" in refused.output and "--force" in refused.output
    held = sum(len(table) for name, table in changed_rows.items() if name != "alembic_version")
    assert f"the database holds {held} rows" in refused.output
    assert f"holds {len(every_file(storage))} stored files" in refused.output
    assert every_row() == changed_rows  # nothing was touched

    forced = runner.invoke(args=["lms", "restore", str(folder), "--force"])

    assert forced.exit_code == 0, forced.output
    assert every_row() == rows
    assert every_file(storage) == files


def test_restore_refuses_what_is_not_a_whole_backup(app, runner, deployment, tmp_path):
    rows = every_row()
    not_a_backup = tmp_path / "photos"
    not_a_backup.mkdir()
    (not_a_backup / "holiday.jpg").write_bytes(b"\xff\xd8\xff")

    for source in (not_a_backup, tmp_path / "missing"):
        result = runner.invoke(args=["lms", "restore", str(source), "--force"])
        assert result.exit_code != 0
        assert "not a backup made by `lms backup`" in result.output or "is not a folder" in result.output

    folder = back_up(runner, tmp_path / "backups")
    pdf = next((folder / "files").rglob("*.pdf"))
    pdf.write_bytes(pdf.read_bytes()[:-10])  # a damaged copy, e.g. a half-transferred off-site copy
    damaged = runner.invoke(args=["lms", "restore", str(folder), "--force"])

    assert damaged.exit_code != 0
    assert "the backup is damaged" in damaged.output and "changed: " in damaged.output
    assert every_row() == rows


def test_a_backup_taken_while_the_app_writes_is_consistent(app, runner, database_url, course, tmp_path):
    """The backup runs beside a writer (as the app keeps serving): it does not stop the writer, and what it
    recorded is one consistent moment, exactly what a restore brings back."""
    writer_engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    stop, written, failures = threading.Event(), [], []

    def keep_writing():
        while not stop.is_set():
            try:
                with writer_engine.begin() as conn:
                    conn.execute(sa.insert(AuditEvent).values(occurred_at=utcnow(), action="probe.write",
                                                              object_type="probe", object_id=str(len(written)),
                                                              summary=""))
                written.append(1)
            except Exception as error:  # noqa: BLE001 - any failure is what the test reports
                failures.append(error)
                return

    def wait_for_writes(count: int) -> None:
        deadline = time.monotonic() + 30
        while len(written) < count and not failures and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(written) >= count, f"the writer managed {len(written)} writes: {failures}"

    before = every_row_count("audit_event")
    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        wait_for_writes(5)
        folder = back_up(runner, tmp_path / "backups")
        wait_for_writes(len(written) + 5)  # the writer goes on after the backup too
    finally:
        stop.set()
        writer.join(timeout=60)
    writer_engine.dispose()
    assert not failures, failures
    in_backup = json.loads((folder / "manifest.json").read_text())["tables"]["audit_event"]
    assert before + 5 <= in_backup < every_row_count("audit_event")

    restored = runner.invoke(args=["lms", "restore", str(folder), "--force"])

    assert restored.exit_code == 0, restored.output
    assert every_row_count("audit_event") == in_backup


def every_row_count(table: str) -> int:
    db.session.remove()
    with db.engine.connect() as conn:
        return conn.scalar(sa.text(f'SELECT count(*) FROM "{table}"'))


def test_old_backups_beyond_keep_are_removed(app, runner, course, tmp_path):
    destination = tmp_path / "backups"
    made = [back_up(runner, destination, "--keep", "2") for _ in range(3)]
    (destination / "notes").mkdir()  # not a backup: never touched

    assert sorted(path.name for path in destination.iterdir()) == sorted([made[1].name, made[2].name, "notes"])
