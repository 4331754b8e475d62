"""customers' identifiers compared byte by byte on PostgreSQL (collation "C")

Revision ID: 0011_identifier_collation
Revises: 0010_surname_readings
Create Date: 2026-12-02

Resident IDs, credit codes, phones, customer numbers and core ids are digits and
capital letters, looked up by equality. Under the database's default collation every
comparison in their indexes goes through strcoll, which makes a bulk load's index builds
about half as fast again (server.models.base.Identifier). The values do not change;
PostgreSQL rebuilds the five indexes. SQLite compares bytes already: nothing to do.
"""
from __future__ import annotations

from alembic import op

revision = '0011_identifier_collation'
down_revision = '0010_surname_readings'
branch_labels = None
depends_on = None

COLUMNS = {'customer_no': 20, 'id_number': 18, 'uscc': 18, 'phone': 20, 'core_customer_id': 40}


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('ALTER TABLE customer ' + ', '.join(
        f'ALTER COLUMN {name} TYPE VARCHAR({length}) COLLATE {collation}' for name, length in COLUMNS.items()))


def upgrade() -> None:
    _collate('"C"')


def downgrade() -> None:
    _collate('"default"')
