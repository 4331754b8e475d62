"""tamper-evident audit: each entry's MAC and the sealed chain that orders them

Revision ID: 0017_audit_chain
Revises: 0016_job_output
Create Date: 2026-12-03

`audit_log.mac` is the entry's HMAC under the key file's audit key, computed when the
application writes it; `audit_log.txid` (PostgreSQL: the writing transaction's id, set by
the database) tells the sealer when every entry before a point is final. `audit_chain`
is the order: one row per sealed entry, each linked to the one before
(server/services/auditchain.py). Entries already present are marked legacy (txid 0):
the first seal vouches for them.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017_audit_chain'
down_revision = '0016_job_output'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mac', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('txid', sa.BigInteger(), nullable=True))
    op.execute("UPDATE audit_log SET txid = 0")
    if pg:
        # Set by the database for every row, whoever writes it: the sealer's "final" test.
        op.execute("ALTER TABLE audit_log ALTER COLUMN txid SET DEFAULT (pg_current_xact_id()::text::bigint)")
    # the sealer's order (SQLite: txid is NULL but for legacy rows, and the order is the id)
    op.create_index('ix_audit_log_txid', 'audit_log', ['txid', 'id'])
    op.create_table(
        'audit_chain',
        sa.Column('seq', sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column('audit_id', sa.Integer(), nullable=False),
        sa.Column('txid', sa.BigInteger(), nullable=True),
        sa.Column('mac', sa.String(length=80), nullable=False),
        sa.Column('link', sa.String(length=80), nullable=False),
        sa.Column('sealed_at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('audit_id', name=op.f('uq_audit_chain_audit_id')),
    )
    # Append-only for the application's role like the log: server/db.py APPEND_ONLY_TABLES,
    # granted by `init` (which a database must run again after an upgrade).


def downgrade() -> None:
    op.drop_table('audit_chain')
    op.drop_index('ix_audit_log_txid', table_name='audit_log')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('txid')
        batch_op.drop_column('mac')
