"""``finance_<tenant>``: bank accounts, categories, transactions, their audit trail,
processed events, consumed events and the outbox of one tenant."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from mosaico_shared.events.processed import ConsumedEventMixin
from mosaico_shared.outbox import OutboxMixin
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: ``numeric(15, 2)``: BRL with cents, summed by PostgreSQL without rounding.
MONEY = Numeric(15, 2, asdecimal=True)


class FinanceBase(DeclarativeBase):
    pass


class BankAccount(FinanceBase):
    """An account at a bank. Its balance is derived (opening balance plus its live
    transactions) and never stored, so it cannot drift from the transactions."""

    __tablename__ = "bank_accounts"
    __table_args__ = (
        CheckConstraint("account_type IN ('checking', 'savings')", name="account_type_known"),
        CheckConstraint("bank_code ~ '^[0-9]{3}$'", name="bank_code_three_digits"),
        UniqueConstraint("bank_code", "agency", "account_number", name="uq_bank_account_number"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100))
    bank_code: Mapped[str] = mapped_column(String(3))
    agency: Mapped[str] = mapped_column(String(10))
    account_number: Mapped[str] = mapped_column(String(20))
    account_type: Mapped[str] = mapped_column(String(16))
    opening_balance: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0.00"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Category(FinanceBase):
    """An income or expense category; archived ones keep their history but take no
    new transactions."""

    __tablename__ = "categories"
    __table_args__ = (
        CheckConstraint("type IN ('income', 'expense')", name="category_type_known"),
        UniqueConstraint("type", "name", name="uq_category_type_name"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(50))
    type: Mapped[str] = mapped_column(String(16))
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class FinancialTransaction(FinanceBase):
    """Money in or out of a bank account. Deleting is soft (``deleted_at``)."""

    __tablename__ = "financial_transactions"
    __table_args__ = (
        CheckConstraint("type IN ('income', 'expense')", name="transaction_type_known"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("code ~ '^LC[0-9]{8}[A-Z]$'", name="code_shape"),
        Index(
            "ix_live_transactions_by_date",
            "transaction_date",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index(
            "ix_live_transactions_by_account_date",
            "bank_account_id",
            "transaction_date",
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_transactions_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(11), unique=True)
    description: Mapped[str] = mapped_column(Text)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    type: Mapped[str] = mapped_column(String(16))
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("categories.id"), index=True)
    bank_account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bank_accounts.id"))
    transaction_date: Mapped[date] = mapped_column(Date)
    #: ``manual`` (through the API) or ``payment`` (recorded from a payment event).
    source: Mapped[str] = mapped_column(String(16), default="manual")
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class _Totals:
    """Sums of the live transactions of one account, category and type over a period,
    kept by triggers (migration 0003) in the same transaction as every write."""

    bank_account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("bank_accounts.id"), primary_key=True
    )
    category_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("categories.id"), primary_key=True)
    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    total: Mapped[Decimal] = mapped_column(Numeric(20, 2, asdecimal=True))
    count: Mapped[int]


class DailyTotal(_Totals, FinanceBase):
    __tablename__ = "daily_totals"

    day: Mapped[date] = mapped_column(Date, primary_key=True)


class MonthlyTotal(_Totals, FinanceBase):
    __tablename__ = "monthly_totals"

    #: The month's first day.
    month: Mapped[date] = mapped_column(Date, primary_key=True)


class TransactionAudit(FinanceBase):
    """One change of a transaction: who, when, and the transaction before and after."""

    __tablename__ = "transaction_audit"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    transaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("financial_transactions.id"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ProcessedEvent(FinanceBase):
    """An event already applied; its id as primary key makes redelivery a no-op."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    transaction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("financial_transactions.id")
    )
    processed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class OutboxEvent(OutboxMixin, FinanceBase):
    """An event written with the change that caused it; a relay publishes it to NATS."""

    __tablename__ = "outbox"


class ConsumedEvent(ConsumedEventMixin, FinanceBase):
    """An event one of finance's consumers applied, recorded with its effect."""

    __tablename__ = "consumed_events"
