"""households and their members; balance sheets: dated snapshots with their lines

Revision ID: 0014_balance_sheets
Revises: 0013_phone_last4
Create Date: 2026-12-02

A household: the customer and the people whose finances go with theirs (spouse,
children, parents, others), each optionally linked to their own customer record; a
member removed from the household leaves the income lines that named them unnamed.

One sheet per customer and date (`uq_balance_sheet_customer_as_of`); its lines in the
order entered, amounts in fen (integers: exact on both databases). A customer's sheets
go with the customer (ON DELETE CASCADE), a sheet's lines with the sheet.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014_balance_sheets'
down_revision = '0013_phone_last4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "balance_sheet",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id", ondelete="CASCADE"), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("customer_id", "as_of", name="uq_balance_sheet_customer_as_of"),
    )
    op.create_index("ix_balance_sheet_customer_id", "balance_sheet", ["customer_id"])
    op.create_table(
        "balance_sheet_line",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sheet_id", sa.Integer(), sa.ForeignKey("balance_sheet.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("label", sa.String(60), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_balance_sheet_line_sheet_id", "balance_sheet_line", ["sheet_id"])


    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("customer_id"),
    )
    op.create_table(
        "household_member",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("household.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("relation", sa.String(20), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("occupation", sa.String(60), nullable=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id", ondelete="SET NULL"), nullable=True),
    )
    op.create_index("ix_household_member_household_id", "household_member", ["household_id"])


def downgrade() -> None:
    op.drop_table("household_member")
    op.drop_table("household")
    op.drop_table("balance_sheet_line")
    op.drop_table("balance_sheet")
