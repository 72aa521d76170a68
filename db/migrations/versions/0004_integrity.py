"""Integrity: outbound messages get `urgent` (sent first) and `about_user` (whose staff notice
it is, so erasure finds it without reading the now encrypted text). (The audit log's `actor`
comes with 0008, the console's migration.)

`outbound_messages.text` and `conversations.last_prompt` are encrypted by the application
from now on (same Text columns); rows written before stay readable as they are.

Revision ID: 0004
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urgent', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('about_user', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_outbound_messages_about_user', ['about_user'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_messages_about_user')
        batch_op.drop_column('about_user')
        batch_op.drop_column('urgent')
