"""Events (job fairs, training, ...), subscriptions, sign-ups, notices, leases; outbox rows
of a notice carry its id, unique per person.

Revision ID: 0007
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('start_at', sa.DateTime(), nullable=False),
    sa.Column('end_at', sa.DateTime(), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('accessibility', sa.String(length=300), nullable=True),
    sa.Column('online_url', sa.String(length=500), nullable=True),
    sa.Column('organiser', sa.String(length=200), nullable=True),
    sa.Column('audience', sa.String(length=200), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.Column('deadline_at', sa.DateTime(), nullable=True),
    sa.Column('employers_allowed', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('cancel_reason', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_events_kind', 'events', ['kind'])
    op.create_index('ix_events_status', 'events', ['status'])
    op.create_table('subscriptions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('interest', sa.String(length=50), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'kind', name='ux_subscriptions_user_kind')
    )
    op.create_index('ix_subscriptions_user_id', 'subscriptions', ['user_id'])
    op.create_index('ix_subscriptions_kind', 'subscriptions', ['kind'])
    op.create_table('subscription_offers',
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('offered_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('event_signups',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'user_id', name='ux_event_signups')
    )
    op.create_index('ix_event_signups_event_id', 'event_signups', ['event_id'])
    op.create_index('ix_event_signups_user_id', 'event_signups', ['user_id'])
    op.create_table('employer_signups',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('contact', sa.String(length=512), nullable=False),
    sa.Column('phone', sa.String(length=512), nullable=False),
    sa.Column('positions', sa.Text(), nullable=False),
    sa.Column('accommodations', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'user_id', name='ux_employer_signups')
    )
    op.create_index('ix_employer_signups_event_id', 'employer_signups', ['event_id'])
    op.create_index('ix_employer_signups_user_id', 'employer_signups', ['user_id'])
    op.create_table('event_notices',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_index('ix_event_notices_event_id', 'event_notices', ['event_id'])
    op.create_table('leases',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=False),
    sa.Column('acquired_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_outbound_messages_notice_id', 'event_notices',
                                    ['notice_id'], ['id'], ondelete='CASCADE')
        batch_op.create_index('ux_outbound_notice_user', ['notice_id', 'user_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ux_outbound_notice_user')
        batch_op.drop_constraint('fk_outbound_messages_notice_id', type_='foreignkey')
        batch_op.drop_column('notice_id')
    op.drop_table('leases')
    op.drop_table('event_notices')
    op.drop_table('employer_signups')
    op.drop_table('event_signups')
    op.drop_table('subscription_offers')
    op.drop_table('subscriptions')
    op.drop_table('events')
