"""Household finance (issue 14): balance sheets as dated snapshots, one per customer
and date, every one kept so this year compares with last. Amounts are integers of fen
(exact on PostgreSQL and SQLite alike; `shared.finance` works in Decimal yuan)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, UtcDateTime, utcnow


class BalanceSheet(Base):
    __tablename__ = "balance_sheet"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    lines: Mapped[list[BalanceSheetLine]] = relationship(order_by="BalanceSheetLine.position",
                                                         cascade="all, delete-orphan", passive_deletes=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("customer_id", "as_of", name="uq_balance_sheet_customer_as_of"),)


class BalanceSheetLine(Base):
    __tablename__ = "balance_sheet_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("balance_sheet.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    type: Mapped[str] = mapped_column(String(40))
    label: Mapped[str | None] = mapped_column(String(60))
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class Household(Base):
    """A customer's household: made on its first save (a customer without one has no
    row; its version then reads 0)."""

    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), unique=True)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    members: Mapped[list[HouseholdMember]] = relationship(order_by="HouseholdMember.position",
                                                          cascade="all, delete-orphan", passive_deletes=True)

    __mapper_args__ = {"version_id_col": version}


class HouseholdMember(Base):
    __tablename__ = "household_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(String(50))
    relation: Mapped[str] = mapped_column(String(20))
    birth_date: Mapped[date | None] = mapped_column(Date)
    occupation: Mapped[str | None] = mapped_column(String(60))
    #: the member's own customer record, where the bank has one
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id", ondelete="SET NULL"))


class IncomeStatement(Base):
    """A household's annual income, expense and savings table: one per customer and year."""

    __tablename__ = "income_statement"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    year: Mapped[int] = mapped_column()
    version: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    lines: Mapped[list[IncomeStatementLine]] = relationship(order_by="IncomeStatementLine.position",
                                                            cascade="all, delete-orphan", passive_deletes=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("customer_id", "year", name="uq_income_statement_customer_year"),)


class IncomeStatementLine(Base):
    __tablename__ = "income_statement_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("income_statement.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    type: Mapped[str] = mapped_column(String(40))
    label: Mapped[str | None] = mapped_column(String(60))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    #: the household member whose income it is (a member removed leaves the line unnamed)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("household_member.id", ondelete="SET NULL"))
