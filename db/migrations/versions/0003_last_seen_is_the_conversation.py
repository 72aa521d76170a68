"""A user's last message time is the conversation's `updated_at`: drop `users.last_seen_at`.

Both were written on every message; keeping one means one write less per message, and the
`users` row is written only when something about the person changes.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A user without a conversation row keeps their last message time in a new one.
    op.execute("INSERT INTO conversations (user_id, state, data, options, last_prompt, version,"
               " updated_at) SELECT user_id, NULL, '{}', '[]', '', 0, last_seen_at FROM users"
               " WHERE user_id NOT IN (SELECT user_id FROM conversations)")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE users SET last_seen_at = COALESCE((SELECT c.updated_at FROM conversations c"
               " WHERE c.user_id = users.user_id), created_at)")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('last_seen_at', existing_type=sa.DateTime(), nullable=False)
