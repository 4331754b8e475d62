"""search keys v2: customers ordered by an integer sort code; about half the key rows

Revision ID: 0008_search_keys_v2
Revises: 0007_change_history
Create Date: 2026-12-08

At 2 million customers the key table had 39 million rows (6.2 GB). Now "by name" is
(sort_code, id), the pinyin packed into a bigint; a Latin query's prefix is a range of
the customer's own sort-code index, so the keys no longer hold every pinyin prefix,
only fragments up to 3 characters, initials and the surname's alternate readings
(server/search.py). Every customer's sort code, sort key and keys are computed again
in batches with the rules of server.search as installed.

Downgrading restores the old shape with no keys in it: run `crm-server
rebuild-search-keys` with the older code afterwards.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from server.search import index_entry

revision = '0008_search_keys_v2'
down_revision = '0007_change_history'
branch_labels = None
depends_on = None

BATCH = 2000
_text = sa.String().with_variant(sa.String(collation='C'), 'postgresql')
_customer = sa.table('customer', sa.column('id', sa.Integer), sa.column('name', sa.String),
                     sa.column('org_id', sa.Integer), sa.column('sort_code', sa.BigInteger),
                     sa.column('sort_key', sa.String))
_key = sa.table('customer_search_key', sa.column('sort_code', sa.BigInteger), sa.column('customer_id', sa.Integer),
                sa.column('org_id', sa.Integer), sa.column('key', sa.String))


def _batches(conn: sa.Connection, *cols: sa.ColumnElement[Any]) -> Iterator[Sequence[sa.Row[Any]]]:
    after = 0
    while True:
        rows = conn.execute(sa.select(_customer.c.id, *cols).where(_customer.c.id > after)
                            .order_by(_customer.c.id).limit(BATCH)).all()
        if not rows:
            return
        yield rows
        after = rows[-1].id


def upgrade() -> None:
    conn = op.get_bind()
    postgres = conn.dialect.name == 'postgresql'
    # the old keys go first: on SQLite the customer table is copied below, and dropping
    # it would cascade to rows that still pointed at it
    with op.batch_alter_table('customer_search_key', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_search_key_lookup', postgresql_include=['org_id'])
    op.drop_table('customer_search_key')

    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_org_sort')  # before the update: not kept up to date row by row
        batch_op.drop_index(batch_op.f('ix_customer_sort_key'))  # nothing is ordered by it any more
        batch_op.add_column(sa.Column('sort_code', sa.BigInteger(), nullable=True))
    update = (sa.update(_customer).where(_customer.c.id == sa.bindparam('b_id'))
              .values(sort_code=sa.bindparam('b_code'), sort_key=sa.bindparam('b_key')))
    for rows in _batches(conn, _customer.c.name):
        entries = [(r.id, index_entry(r.name)) for r in rows]
        conn.execute(update, [{'b_id': i, 'b_code': e.sort_code, 'b_key': e.sort_key} for i, e in entries])
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.alter_column('sort_code', existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_index('ix_customer_org_sort', ['org_id', 'sort_code', 'id'], unique=False)
        batch_op.create_index('ix_customer_sort_code', ['sort_code', 'id'], unique=False,
                              postgresql_include=['org_id', 'manager_id'])

    # on PostgreSQL the primary key is built after the rows are in (one sort, not
    # millions of random index inserts); SQLite cannot add a primary key later
    op.create_table('customer_search_key',
    sa.Column('sort_code', sa.BigInteger(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('key', _text, nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_search_key_customer_id_customer'), ondelete='CASCADE'),
    *([] if postgres else [sa.PrimaryKeyConstraint('key', 'sort_code', 'customer_id', name=op.f('pk_customer_search_key'))])
    )
    for rows in _batches(conn, _customer.c.name, _customer.c.org_id):
        keys = [{'sort_code': e.sort_code, 'customer_id': r.id, 'org_id': r.org_id, 'key': k}
                for r in rows for e in (index_entry(r.name),) for k in e.keys]
        if keys:
            conn.execute(sa.insert(_key), keys)
    if postgres:
        op.execute('ALTER TABLE customer_search_key ADD CONSTRAINT pk_customer_search_key '
                   'PRIMARY KEY (key, sort_code, customer_id) INCLUDE (org_id)')
    with op.batch_alter_table('customer_search_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_search_key_customer_id'), ['customer_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('customer_search_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_search_key_customer_id'))
    op.drop_table('customer_search_key')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_sort_code', postgresql_include=['org_id', 'manager_id'])
        batch_op.drop_index('ix_customer_org_sort')
        batch_op.create_index(batch_op.f('ix_customer_sort_key'), ['sort_key'], unique=False)
        batch_op.create_index('ix_customer_org_sort', ['org_id', 'sort_key'], unique=False)
        batch_op.drop_column('sort_code')
    op.create_table('customer_search_key',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('key', _text, nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('sort_key', _text, nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_search_key_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', 'key', name=op.f('pk_customer_search_key'))
    )
    with op.batch_alter_table('customer_search_key', schema=None) as batch_op:
        batch_op.create_index('ix_customer_search_key_lookup', ['key', 'sort_key', 'customer_id'], unique=False, postgresql_include=['org_id'])
