"""course editions: a course may be another language's edition of an original course

Deleting an original leaves its editions standing on their own (SET NULL), never deletes them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 14:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edition_of_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_course_edition_of_id_course'), 'course', ['edition_of_id'],
                                    ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_course_edition_of_id_course'), type_='foreignkey')
        batch_op.drop_column('edition_of_id')
