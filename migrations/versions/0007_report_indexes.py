"""report indexes: what the completion dashboard and item analysis read, at the admin issue's scale

At 20,000 people, ~33,000 enrolments and ~134,000 attempts the report pages were slow (the dashboard
p95 over 500 ms on SQLite). Indexes only, no data change:
- enrolment (user_id, course_id, completed_at, created_at, due_on): covers every column the completion
  matrix reads of each enrolment, so the report scans this index instead of the table.
- certificate (user_id, course_id, status, valid_until): "holds a valid certificate of this course",
  asked once per enrolment counted, answered from the index alone.
- attempt (quiz_id, state): item analysis reads the graded attempts of one course's quizzes; before,
  it went through every graded attempt of every course.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 20:08:22.159816

"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.create_index('ix_attempt_quiz_state', ['quiz_id', 'state'], unique=False)

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index('ix_certificate_user_course', ['user_id', 'course_id', 'status', 'valid_until'],
                              unique=False)

    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.create_index('ix_enrolment_user_course_dates',
                              ['user_id', 'course_id', 'completed_at', 'created_at', 'due_on'], unique=False)


def downgrade():
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_index('ix_enrolment_user_course_dates')

    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index('ix_certificate_user_course')

    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_attempt_quiz_state')
