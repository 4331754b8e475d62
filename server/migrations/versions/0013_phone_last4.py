"""the last four digits of a customer's phone, indexed

Revision ID: 0013_phone_last4
Revises: 0012_org_tree_version
Create Date: 2026-12-02

A teller asks a walk-in for the surname and the last four digits of the mobile number
("张 5678"): the index finds the few customers whose phone ends so (about 200 of 2
million per suffix), then the name narrows them (server.search.surname_and_phone).
The expression is written once for both databases (substr and length exist in both).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013_phone_last4'
down_revision = '0012_org_tree_version'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_customer_phone_last4", "customer", [sa.text("substr(phone, length(phone) - 3, 4)")])


def downgrade() -> None:
    op.drop_index("ix_customer_phone_last4", table_name="customer")
