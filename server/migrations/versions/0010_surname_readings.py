"""search keys: a surname's other readings from a table of real surname readings

Revision ID: 0010_surname_readings
Revises: 0009_imports
Create Date: 2026-12-02

The keys held every reading pypinyin lists for the surname's character (王 wang/yu:
every 王 was found, first, by "yu"); now only the readings the character takes as a
surname (server.search.SURNAME_READINGS), which is 7.0 key rows per customer instead of
9.9. Sort codes and sort keys are unchanged. A database that has customers gets a
queued `search_keys.rebuild` job: the server's job worker rewrites the keys in
batches, and until it is done the old keys only add matches. The schema is unchanged,
so downgrading changes nothing (run `crm-server rebuild-search-keys` with the older
code to have its keys).
"""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0010_surname_readings'
down_revision = '0009_imports'
branch_labels = None
depends_on = None

#: server.services.customers.REBUILD_SEARCH_KEYS (a migration does not import services).
REBUILD = 'search_keys.rebuild'


def upgrade() -> None:
    conn = op.get_bind()
    if conn.execute(sa.text('SELECT 1 FROM customer LIMIT 1')).first() is None:
        return
    job = sa.table('job', sa.column('kind', sa.String), sa.column('params', sa.Text), sa.column('status', sa.String),
                   sa.column('done', sa.BigInteger), sa.column('attempts', sa.Integer),
                   sa.column('created_at', sa.DateTime(timezone=True)))
    now = datetime.now(UTC)  # SQLite stores UTC without an offset (server.models.base.UtcDateTime)
    conn.execute(sa.insert(job).values(kind=REBUILD, params='{}', status='queued', done=0, attempts=0,
                                       created_at=now if conn.dialect.name == 'postgresql' else now.replace(tzinfo=None)))


def downgrade() -> None:
    pass
