"""the org tree's version: one row kept by triggers on `org`

Revision ID: 0012_org_tree_version
Revises: 0011_identifier_collation
Create Date: 2026-12-02

Every session check read the org tree's version as (count of orgs, highest org id): a
scan of the org table on every request, cheap at 49 orgs and not at a bank's thousands.
Now it reads one row, `org_tree.version`, which triggers on `org` move with every
statement that adds, removes or moves orgs (the service, a bulk load or a hand-written
statement alike), in the same transaction. A version is not given twice, even by a
transaction that rolls back (its tree never existed, but a process could have cached
what it read there): PostgreSQL takes it from a sequence, which a rollback does not
rewind; SQLite from random(), 64 bits (a version need not be positive or ordered).
On SQLite a later migration that copies the org table (batch mode) drops its
triggers: it must create them again (`create_triggers`).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012_org_tree_version'
down_revision = '0011_identifier_collation'
branch_labels = None
depends_on = None

#: What changes the tree: a new or removed org, or one moved (its parent or its path).
_EVENTS = (('insert', 'INSERT'), ('delete', 'DELETE'), ('move', 'UPDATE OF parent_id, path'))


def upgrade() -> None:
    op.create_table('org_tree',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_org_tree_one_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_tree'))
    )
    op.execute('INSERT INTO org_tree (id, version) SELECT 1, count(*) + 1 FROM org')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE SEQUENCE org_tree_version')
        op.execute("SELECT setval('org_tree_version', (SELECT version FROM org_tree))")
    create_triggers()


def create_triggers() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE FUNCTION org_tree_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
                   "UPDATE org_tree SET version = nextval('org_tree_version') WHERE id = 1; RETURN NULL; END $$")
        for name, event in _EVENTS:
            op.execute(f'CREATE TRIGGER org_tree_{name} AFTER {event} ON org '
                       'FOR EACH STATEMENT EXECUTE FUNCTION org_tree_changed()')
    else:
        for name, event in _EVENTS:
            op.execute(f'CREATE TRIGGER org_tree_{name} AFTER {event} ON org '
                       'BEGIN UPDATE org_tree SET version = random() WHERE id = 1; END')


def downgrade() -> None:
    for name, _event in _EVENTS:
        op.execute(f'DROP TRIGGER IF EXISTS org_tree_{name}' +
                   (' ON org' if op.get_bind().dialect.name == 'postgresql' else ''))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS org_tree_changed()')
        op.execute('DROP SEQUENCE IF EXISTS org_tree_version')
    op.drop_table('org_tree')
