"""authoring and questions: trainers per course, drafts and authored revisions, course files, Q&A, notices

Trainers are assigned to the courses they edit (course_trainer). A module has one shared draft
(module_draft) with a version number that settles concurrent saves; each published revision remembers
its title, author, a note and the revision it restored. Course files map folder paths to stored digests
(course_file). Modules created in the browser stay unpublished until first published; content import
remembers the digest of what it last read for courses, modules, questions and quizzes so a re-import
of unchanged files keeps what trainers changed in the browser. Trainees ask questions on a module
(module_question, module_answer) and are told of answers by in-app notifications.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 16:28:52.358430

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('course_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_course_file_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_course_file_uploaded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_file')),
    sa.UniqueConstraint('course_id', 'path', name=op.f('uq_course_file_course_id_path'))
    )
    op.create_table('course_trainer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['user_account.id'], name=op.f('fk_course_trainer_assigned_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_course_trainer_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_course_trainer_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_trainer')),
    sa.UniqueConstraint('course_id', 'user_id', name=op.f('uq_course_trainer_course_id_user_id'))
    )
    with op.batch_alter_table('course_trainer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_trainer_user_id'), ['user_id'], unique=False)

    op.create_table('module_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('source_markdown', sa.Text(), nullable=False),
    sa.Column('base_revision_number', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], name=op.f('fk_module_draft_module_id_module'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_module_draft_updated_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_draft')),
    sa.UniqueConstraint('module_id', name=op.f('uq_module_draft_module_id'))
    )
    op.create_table('module_question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('asker_id', sa.Integer(), nullable=True),
    sa.Column('body_markdown', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('is_public', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('faq_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('faq_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['asker_id'], ['user_account.id'], name=op.f('fk_module_question_asker_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_module_question_course_id_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['faq_by_id'], ['user_account.id'], name=op.f('fk_module_question_faq_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['module_id'], ['module.id'], name=op.f('fk_module_question_module_id_module'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_question'))
    )
    with op.batch_alter_table('module_question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_module_question_asker_id'), ['asker_id'], unique=False)
        batch_op.create_index('ix_module_question_course_answered', ['course_id', 'answered_at', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_module_question_module_id'), ['module_id'], unique=False)

    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('link', sa.String(length=500), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_notification_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification'))
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_user_read', ['user_id', 'read_at'], unique=False)

    op.create_table('module_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body_markdown', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_module_answer_author_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['module_question.id'], name=op.f('fk_module_answer_question_id_module_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_answer'))
    )
    with op.batch_alter_table('module_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_module_answer_question_id'), ['question_id'], unique=False)

    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported_sha256', sa.String(length=64), nullable=True))

    with op.batch_alter_table('module', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_published', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('origin', sa.String(length=20), server_default='files', nullable=False))
        batch_op.add_column(sa.Column('imported_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('file_name', sa.String(length=200), server_default='', nullable=False))

    with op.batch_alter_table('module_revision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('author_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('note', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('restored_from', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_module_revision_author_id_user_account'), 'user_account', ['author_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported_sha256', sa.String(length=64), nullable=True))

    with op.batch_alter_table('quiz', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported_sha256', sa.String(length=64), nullable=True))



def downgrade():
    with op.batch_alter_table('quiz', schema=None) as batch_op:
        batch_op.drop_column('imported_sha256')

    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_column('imported_sha256')

    with op.batch_alter_table('module_revision', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_module_revision_author_id_user_account'), type_='foreignkey')
        batch_op.drop_column('restored_from')
        batch_op.drop_column('note')
        batch_op.drop_column('author_id')
        batch_op.drop_column('title')

    with op.batch_alter_table('module', schema=None) as batch_op:
        batch_op.drop_column('file_name')
        batch_op.drop_column('imported_sha256')
        batch_op.drop_column('origin')
        batch_op.drop_column('is_published')

    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_column('imported_sha256')

    with op.batch_alter_table('module_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_module_answer_question_id'))

    op.drop_table('module_answer')
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_user_read')

    op.drop_table('notification')
    with op.batch_alter_table('module_question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_module_question_module_id'))
        batch_op.drop_index('ix_module_question_course_answered')
        batch_op.drop_index(batch_op.f('ix_module_question_asker_id'))

    op.drop_table('module_question')
    op.drop_table('module_draft')
    with op.batch_alter_table('course_trainer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_trainer_user_id'))

    op.drop_table('course_trainer')
    op.drop_table('course_file')
