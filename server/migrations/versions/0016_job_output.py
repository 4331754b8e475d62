"""files a job makes for the user who started it (a batch of printed statements)

Revision ID: 0016_job_output
Revises: 0015_income_statements
Create Date: 2026-12-03

Kept with the job (ON DELETE CASCADE) and downloaded as one archive.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016_job_output'
down_revision = '0015_income_statements'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_output",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("job_id", sa.Integer(), sa.ForeignKey("job.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_job_output_job_id", "job_output", ["job_id"])


def downgrade() -> None:
    op.drop_index("ix_job_output_job_id", table_name="job_output")
    op.drop_table("job_output")
