"""Service booking: the catalogue, slots with seats, bookings, their events and reminders.

Revision ID: 0006
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'services',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('audience', sa.Text(), nullable=False),
        sa.Column('modes', sa.String(length=64), nullable=False),
        sa.Column('place', sa.Text(), nullable=False),
        sa.Column('accessibility', sa.Text(), nullable=False),
        sa.Column('bring', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=255), nullable=False),
        sa.Column('keywords', sa.String(length=255), nullable=False),
        sa.Column('retired_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'))
    op.create_table(
        'service_slots',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('minutes', sa.Integer(), nullable=False),
        sa.Column('capacity', sa.Integer(), nullable=False),
        sa.Column('taken', sa.Integer(), nullable=False),
        sa.Column('place', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('cancel_reason', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['service_id'], ['services.id']),
        sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('service_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_slots_service_id'), ['service_id'])
        batch_op.create_index(batch_op.f('ix_service_slots_starts_at'), ['starts_at'])
    op.create_table(
        'bookings',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('ref', sa.String(length=16), nullable=False),
        sa.Column('slot_id', sa.Integer(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.String(length=64), nullable=False),
        sa.Column('registration_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.String(length=8), nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('needs', sa.String(length=1024), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('moved_from_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['service_id'], ['services.id']),
        sa.ForeignKeyConstraint(['slot_id'], ['service_slots.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ref'))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bookings_slot_id'), ['slot_id'])
        batch_op.create_index(batch_op.f('ix_bookings_user_id'), ['user_id'])
        batch_op.create_index(batch_op.f('ix_bookings_status'), ['status'])
    op.create_table(
        'booking_events',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('actor', sa.String(length=8), nullable=False),
        sa.Column('detail', sa.String(length=255), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_events_booking_id'), ['booking_id'])
    op.create_table(
        'booking_reminders',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('booking_id', 'kind'))


def downgrade() -> None:
    op.drop_table('booking_reminders')
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_events_booking_id'))
    op.drop_table('booking_events')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bookings_status'))
        batch_op.drop_index(batch_op.f('ix_bookings_user_id'))
        batch_op.drop_index(batch_op.f('ix_bookings_slot_id'))
    op.drop_table('bookings')
    with op.batch_alter_table('service_slots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_slots_starts_at'))
        batch_op.drop_index(batch_op.f('ix_service_slots_service_id'))
    op.drop_table('service_slots')
    op.drop_table('services')
