"""WeChat customer service (微信客服): the pull cursor per account, customers, kept events.

Revision ID: 0010
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('kf_cursors',
    sa.Column('open_kfid', sa.String(length=64), nullable=False),
    sa.Column('cursor', sa.String(length=64), nullable=True),
    sa.Column('token', sa.String(length=128), nullable=True),
    sa.Column('token_at', sa.DateTime(), nullable=True),
    sa.Column('wanted', sa.Boolean(), nullable=False),
    sa.Column('notified_at', sa.DateTime(), nullable=True),
    sa.Column('pulled_at', sa.DateTime(), nullable=True),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('open_kfid')
    )
    op.create_table('kf_customers',
    sa.Column('user_id', sa.String(length=64), nullable=False),
    sa.Column('open_kfid', sa.String(length=64), nullable=False),
    sa.Column('external_userid', sa.String(length=128), nullable=False),
    sa.Column('service_state', sa.Integer(), nullable=False),
    sa.Column('servicer', sa.String(length=64), nullable=True),
    sa.Column('last_message_at', sa.DateTime(), nullable=True),
    sa.Column('answers_left', sa.Integer(), nullable=False),
    sa.Column('welcome_code', sa.String(length=128), nullable=True),
    sa.Column('welcome_until', sa.DateTime(), nullable=True),
    sa.Column('handoff_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('user_id'),
    sa.UniqueConstraint('open_kfid', 'external_userid')
    )
    op.create_table('kf_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('msgid', sa.String(length=128), nullable=False),
    sa.Column('user_id', sa.String(length=64), nullable=True),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.String(length=255), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('msgid')
    )
    with op.batch_alter_table('kf_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kf_events_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('kf_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kf_events_user_id'))
    op.drop_table('kf_events')
    op.drop_table('kf_customers')
    op.drop_table('kf_cursors')
