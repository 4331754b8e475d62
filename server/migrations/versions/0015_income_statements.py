"""annual income, expense and savings tables with their lines

Revision ID: 0015_income_statements
Revises: 0014_balance_sheets
Create Date: 2026-12-02

One table per customer and year (`uq_income_statement_customer_year`); its lines in the
order entered, amounts in fen; an income line may name a household member (a member
removed leaves the line unnamed: ON DELETE SET NULL).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015_income_statements'
down_revision = '0014_balance_sheets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "income_statement",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("customer_id", sa.Integer(), sa.ForeignKey("customer.id", ondelete="CASCADE"), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("customer_id", "year", name="uq_income_statement_customer_year"),
    )
    op.create_index("ix_income_statement_customer_id", "income_statement", ["customer_id"])
    op.create_table(
        "income_statement_line",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("statement_id", sa.Integer(), sa.ForeignKey("income_statement.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("label", sa.String(60), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("member_id", sa.Integer(), sa.ForeignKey("household_member.id", ondelete="SET NULL"),
                  nullable=True),
    )
    op.create_index("ix_income_statement_line_statement_id", "income_statement_line", ["statement_id"])


def downgrade() -> None:
    op.drop_table("income_statement_line")
    op.drop_table("income_statement")
