from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Index, PrimaryKeyConstraint, String, func
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, BinaryString, Identifier, UtcDateTime, utcnow


class Customer(Base):
    """A personal or corporate customer; one record per person (resident ID) or
    enterprise (credit code) bank-wide. Names are stored exactly as typed."""

    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_no: Mapped[str] = mapped_column(Identifier(20), unique=True)
    type: Mapped[str] = mapped_column(String(20), default="personal")
    name: Mapped[str] = mapped_column(String(100))
    #: The spelling (pinyin) of the name packed into an integer (server.search.sort_code):
    #: "by name" is (sort_code, id), the order Chinese staff expect, and a Latin query's
    #: prefix is a range of it.
    sort_code: Mapped[int] = mapped_column(BigInteger)
    #: The spelling then the name: confirms a Latin prefix longer than sort_code holds.
    sort_key: Mapped[str] = mapped_column(BinaryString)
    gender: Mapped[str | None] = mapped_column(String(10))
    birth_date: Mapped[date | None] = mapped_column(Date)
    id_number: Mapped[str | None] = mapped_column(Identifier(18), unique=True)
    uscc: Mapped[str | None] = mapped_column(Identifier(18), unique=True)
    phone: Mapped[str | None] = mapped_column(Identifier(20), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    occupation: Mapped[str | None] = mapped_column(String(60))
    employer: Mapped[str | None] = mapped_column(String(100))
    marital_status: Mapped[str | None] = mapped_column(String(20))
    education: Mapped[str | None] = mapped_column(String(30))
    income_band: Mapped[str | None] = mapped_column(String(20))
    lifecycle_stage: Mapped[str | None] = mapped_column(String(20))
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    #: The core banking system's id of this customer (set by the import, R-703).
    core_customer_id: Mapped[str | None] = mapped_column(Identifier(40), unique=True)
    #: The import batch that created this customer (its provenance: a customer created by
    #: an import has no per-field "create" history); None when created through the API.
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        # a scope of several orgs walks this in name order, filtering on the included columns
        Index("ix_customer_sort_code", "sort_code", "id", postgresql_include=["org_id", "manager_id"]),
        # one org (a teller's sub-branch): its customers in name order, and a capped count
        Index("ix_customer_org_sort", "org_id", "sort_code", "id"),
    )


def phone_last4(phone: Any) -> Any:
    """A phone's last four digits as SQL, one expression on PostgreSQL and SQLite alike:
    what a walk-in gives with their surname (server.search.surname_and_phone), found
    through `ix_customer_phone_last4` (the query must spell the index's expression)."""
    return func.substr(phone, func.length(phone) - 3, 4)


Index("ix_customer_phone_last4", phone_last4(Customer.phone))


class CustomerSearchKey(Base):
    """Search keys maintained by the application (module server.search; TRAPS.md:
    pg_trgm cannot index 1-2 character Chinese fragments). `sort_code` and `org_id` are
    copied from the customer so that one walk of the primary key, in (key, sort_code)
    order and filtered by scope on the included org, yields the first page and a capped
    count without touching the customer table. About 10 rows per customer: the columns
    are in the order that packs the row tightest (the bigint first)."""

    __tablename__ = "customer_search_key"

    sort_code: Mapped[int] = mapped_column(BigInteger)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column()
    key: Mapped[str] = mapped_column(BinaryString)

    __table_args__ = (
        PrimaryKeyConstraint("key", "sort_code", "customer_id", postgresql_include=["org_id"]),
    )
