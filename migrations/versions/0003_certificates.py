"""certificates: issued certificates, expiry reminders, the audit log, and enrolment cycles

A certificate belongs to one completion (an enrolment cycle): unique (enrolment_id, edition) lets one
first edition exist, re-issues being editions 2, 3, …. Serial numbers are unique per year. Enrolments
gain a cycle number, so recertification adds a cycle instead of wiping the completed one.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 11:21:56.895796

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('before', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('after', sa.JSON(none_as_null=True), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_audit_event_actor_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('edition', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('org_unit_id', sa.Integer(), nullable=True),
    sa.Column('serial_year', sa.Integer(), nullable=False),
    sa.Column('serial_number', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=40), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('holder_name', sa.String(length=200), nullable=False),
    sa.Column('unit_name', sa.String(length=200), nullable=False),
    sa.Column('course_title', sa.String(length=300), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=False),
    sa.Column('score_percent', sa.Double(), nullable=True),
    sa.Column('completion_note', sa.String(length=300), nullable=False),
    sa.Column('authority_name', sa.String(length=200), nullable=False),
    sa.Column('issuer_name', sa.String(length=200), nullable=False),
    sa.Column('signatory_name', sa.String(length=200), nullable=False),
    sa.Column('signatory_title', sa.String(length=200), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('valid', 'revoked', 'superseded', name='certificate_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.Text(), nullable=False),
    sa.Column('superseded_by_id', sa.Integer(), nullable=True),
    sa.Column('pdf_key', sa.String(length=300), nullable=False),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], name=op.f('fk_certificate_course_id_course'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolment.id'], name=op.f('fk_certificate_enrolment_id_enrolment'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user_account.id'], name=op.f('fk_certificate_issued_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_unit_id'], ['org_unit.id'], name=op.f('fk_certificate_org_unit_id_org_unit'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['superseded_by_id'], ['certificate.id'], name=op.f('fk_certificate_superseded_by_id_certificate'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_certificate_user_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate')),
    sa.UniqueConstraint('code', name=op.f('uq_certificate_code')),
    sa.UniqueConstraint('enrolment_id', 'edition', name=op.f('uq_certificate_enrolment_id_edition')),
    sa.UniqueConstraint('serial', name=op.f('uq_certificate_serial')),
    sa.UniqueConstraint('serial_year', 'serial_number', name=op.f('uq_certificate_serial_year_serial_number'))
    )
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificate_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_org_unit_id'), ['org_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificate_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_certificate_valid_until', ['status', 'valid_until'], unique=False)

    op.create_table('certificate_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('days_before', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_to', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificate.id'], name=op.f('fk_certificate_reminder_certificate_id_certificate'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_reminder')),
    sa.UniqueConstraint('certificate_id', 'days_before', name=op.f('uq_certificate_reminder_certificate_id_days_before'))
    )
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cycle', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('completion_note', sa.String(length=300), server_default='', nullable=False))
        batch_op.drop_constraint(batch_op.f('uq_enrolment_user_id_course_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_enrolment_user_id_course_id_cycle'), ['user_id', 'course_id', 'cycle'])



def downgrade():
    cycles = op.get_bind().execute(sa.text("SELECT count(*) FROM enrolment WHERE cycle > 1")).scalar()
    if cycles:
        raise RuntimeError(f"{cycles} recertification cycle(s) exist; the 0002 schema allows one enrolment "
                           "per person and course, so downgrading would lose them")
    with op.batch_alter_table('enrolment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_enrolment_user_id_course_id_cycle'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_enrolment_user_id_course_id'), ['user_id', 'course_id'])
        batch_op.drop_column('completion_note')
        batch_op.drop_column('cycle')

    op.drop_table('certificate_reminder')
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_index('ix_certificate_valid_until')
        batch_op.drop_index(batch_op.f('ix_certificate_user_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_org_unit_id'))
        batch_op.drop_index(batch_op.f('ix_certificate_course_id'))

    op.drop_table('certificate')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_occurred_at'))
        batch_op.drop_index('ix_audit_event_object')

    op.drop_table('audit_event')
