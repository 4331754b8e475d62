"""initial schema: orgs, users, sessions, customers, search keys, history, audit, approvals

Revision ID: 4dc78e60f29c
Revises: 
Create Date: 2026-11-24 11:49:20.127494
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '4dc78e60f29c'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # customer_no: a real sequence on PostgreSQL (no hot row); a counter row on SQLite,
    # where the write lock already serialises writers.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE customer_no_seq START 1")
    op.create_table('sequence_counter',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_sequence_counter'))
    )
    op.bulk_insert(sa.table('sequence_counter', sa.column('name', sa.String), sa.column('value', sa.BigInteger)),
                   [{'name': 'customer_no', 'value': 0}])

    op.create_table('login_throttle',
    sa.Column('username_key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('username_key', name=op.f('pk_login_throttle'))
    )
    op.create_table('org',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=400), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['org.id'], name=op.f('fk_org_parent_id_org')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org')),
    sa.UniqueConstraint('code', name=op.f('uq_org_code'))
    )
    with op.batch_alter_table('org', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_org_path'), ['path'], unique=False)

    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=40), nullable=False),
    sa.Column('username_key', sa.String(length=40), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('display_name', sa.String(length=60), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.String(length=30), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('must_change_password', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_app_user_org_id_org')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username_key', name=op.f('uq_app_user_username_key'))
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_org_id'), ['org_id'], unique=False)

    op.create_table('approval_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('maker_id', sa.Integer(), nullable=False),
    sa.Column('checker_id', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['checker_id'], ['app_user.id'], name=op.f('fk_approval_request_checker_id_app_user')),
    sa.ForeignKeyConstraint(['maker_id'], ['app_user.id'], name=op.f('fk_approval_request_maker_id_app_user')),
    sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_approval_request_org_id_org')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_request'))
    )
    with op.batch_alter_table('approval_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_request_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_request_status'), ['status'], unique=False)

    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=200), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=30), nullable=True),
    sa.Column('object_id', sa.String(length=40), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_audit_log_actor_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('customer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_no', sa.String(length=20), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('sort_key', sa.String().with_variant(sa.String(collation='C'), 'postgresql'), nullable=False),
    sa.Column('gender', sa.String(length=10), nullable=True),
    sa.Column('birth_date', sa.Date(), nullable=True),
    sa.Column('id_number', sa.String(length=18), nullable=True),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('occupation', sa.String(length=60), nullable=True),
    sa.Column('employer', sa.String(length=100), nullable=True),
    sa.Column('marital_status', sa.String(length=20), nullable=True),
    sa.Column('education', sa.String(length=30), nullable=True),
    sa.Column('income_band', sa.String(length=20), nullable=True),
    sa.Column('lifecycle_stage', sa.String(length=20), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('manager_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['manager_id'], ['app_user.id'], name=op.f('fk_customer_manager_id_app_user')),
    sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_customer_org_id_org')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer')),
    sa.UniqueConstraint('customer_no', name=op.f('uq_customer_customer_no')),
    sa.UniqueConstraint('id_number', name=op.f('uq_customer_id_number')),
    sa.UniqueConstraint('uscc', name=op.f('uq_customer_uscc'))
    )
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_manager_id'), ['manager_id'], unique=False)
        batch_op.create_index('ix_customer_org_sort', ['org_id', 'sort_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_sort_key'), ['sort_key'], unique=False)

    op.create_table('customer_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=True),
    sa.Column('old', sa.Text(), nullable=True),
    sa.Column('new', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_customer_change_actor_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_change'))
    )
    with op.batch_alter_table('customer_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_change_customer_id'), ['customer_id'], unique=False)

    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('password_change_required', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_user_session_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)

    op.create_table('customer_search_key',
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String().with_variant(sa.String(collation='C'), 'postgresql'), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('sort_key', sa.String().with_variant(sa.String(collation='C'), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_customer_search_key_customer_id_customer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('customer_id', 'key', name=op.f('pk_customer_search_key'))
    )
    with op.batch_alter_table('customer_search_key', schema=None) as batch_op:
        batch_op.create_index('ix_customer_search_key_lookup', ['key', 'sort_key', 'customer_id'], unique=False, postgresql_include=['org_id'])


def downgrade() -> None:
    op.drop_table('sequence_counter')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE customer_no_seq")

    with op.batch_alter_table('customer_search_key', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_search_key_lookup', postgresql_include=['org_id'])


    op.drop_table('customer_search_key')
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))

    op.drop_table('user_session')
    with op.batch_alter_table('customer_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_change_customer_id'))

    op.drop_table('customer_change')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_sort_key'))
        batch_op.drop_index(batch_op.f('ix_customer_phone'))
        batch_op.drop_index('ix_customer_org_sort')
        batch_op.drop_index(batch_op.f('ix_customer_manager_id'))

    op.drop_table('customer')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))
        batch_op.drop_index(batch_op.f('ix_audit_log_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_action'))

    op.drop_table('audit_log')
    with op.batch_alter_table('approval_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_request_status'))
        batch_op.drop_index(batch_op.f('ix_approval_request_kind'))

    op.drop_table('approval_request')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_org_id'))

    op.drop_table('app_user')
    with op.batch_alter_table('org', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_path'))
        batch_op.drop_index(batch_op.f('ix_org_parent_id'))

    op.drop_table('org')
    op.drop_table('login_throttle')

