"""Event attendance: staff mark whether each resident and employer signed up came, and who
marked it when.

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

TABLES = ('event_signups', 'employer_signups')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('attended', sa.Boolean(), nullable=True))
            batch_op.add_column(sa.Column('attendance_at', sa.DateTime(), nullable=True))
            batch_op.add_column(sa.Column('attendance_by', sa.String(length=64), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('attendance_by')
            batch_op.drop_column('attendance_at')
            batch_op.drop_column('attended')
