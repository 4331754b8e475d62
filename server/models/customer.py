from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, BinaryString, UtcDateTime, utcnow


class Customer(Base):
    """A personal or corporate customer; one record per person (resident ID) or
    enterprise (credit code) bank-wide. Names are stored exactly as typed."""

    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_no: Mapped[str] = mapped_column(String(20), unique=True)
    type: Mapped[str] = mapped_column(String(20), default="personal")
    name: Mapped[str] = mapped_column(String(100))
    #: Pinyin of the name then the name: the order Chinese staff expect for "sort by name".
    sort_key: Mapped[str] = mapped_column(BinaryString, index=True)
    gender: Mapped[str | None] = mapped_column(String(10))
    birth_date: Mapped[date | None] = mapped_column(Date)
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    uscc: Mapped[str | None] = mapped_column(String(18), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
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
    core_customer_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    #: The import batch that created this customer (its provenance: a customer created by
    #: an import has no per-field "create" history); None when created through the API.
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_customer_org_sort", "org_id", "sort_key"),)


class CustomerSearchKey(Base):
    """Search keys maintained by the application (module server.search; TRAPS.md:
    pg_trgm cannot index 1-2 character Chinese fragments). `org_id` and `sort_key` are
    copied from the customer so that one index walk, in (key, sort_key) order and
    filtered by scope, yields the first page and a capped count without touching the
    customer table."""

    __tablename__ = "customer_search_key"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(BinaryString, primary_key=True)
    org_id: Mapped[int] = mapped_column()
    sort_key: Mapped[str] = mapped_column(BinaryString)

    __table_args__ = (
        Index("ix_customer_search_key_lookup", "key", "sort_key", "customer_id", postgresql_include=["org_id"]),
    )
