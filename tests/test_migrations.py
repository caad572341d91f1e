"""The schema comes from the reviewed migrations, and they must agree with the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from lms.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], f"models differ from migrations; write a migration: {differences}"


def test_downgrade_to_nothing_and_back(app):
    downgrade(revision="base")
    with db.engine.connect() as conn:
        remaining = set(db.inspect(conn).get_table_names()) - {"alembic_version"}
    assert remaining == set()
    upgrade()
    with db.engine.connect() as conn:
        assert {"user_account", "course", "module_revision"} <= set(db.inspect(conn).get_table_names())


def test_constraints_carry_their_conventional_names(app):
    with db.engine.connect() as conn:
        inspector = db.inspect(conn)
        uniques = {c["name"] for c in inspector.get_unique_constraints("enrolment")}
        foreign = {c["name"] for c in inspector.get_foreign_keys("module_completion")}
    assert "uq_enrolment_user_id_course_id_cycle" in uniques
    assert "fk_module_completion_enrolment_id_enrolment" in foreign
