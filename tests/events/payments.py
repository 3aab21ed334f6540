"""A producer like the coming payments module: a ``payments_<tenant>`` database with an
outbox, and ``PaymentSucceeded`` events written the way that module will write them
(in the transaction of the change, published by the backbone's relay)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

from mosaico_devstack.postgres import LocalPostgres
from mosaico_shared.contracts.payments import PaymentSucceeded
from mosaico_shared.outbox import OutboxMixin, record_event
from mosaico_shared.tenancy.engines import TenantDatabases
from mosaico_shared.tenancy.names import database_name
from mosaico_shared.tenancy.session import open_tenant_session
from sqlalchemy import Numeric, String, create_engine, pool
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

MODULE = "payments"


class PaymentsBase(DeclarativeBase):
    pass


class Payment(PaymentsBase):
    __tablename__ = "payments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(15, 2))


class PaymentsOutbox(OutboxMixin, PaymentsBase):
    __tablename__ = "outbox"


def create_payments_database(postgres: LocalPostgres, tenant: str) -> None:
    """The tenant's payments database with its tables."""
    name = database_name(MODULE, tenant)
    postgres.create_database(name)
    engine = create_engine(postgres.url(name, user="mosaico"), poolclass=pool.NullPool)
    try:
        PaymentsBase.metadata.create_all(engine)
    finally:
        engine.dispose()


async def confirm_payment(
    databases: TenantDatabases,
    tenant: str,
    *,
    amount: str = "10.00",
    paid_at: datetime | None = None,
) -> uuid.UUID:
    """Record a confirmed payment and its ``PaymentSucceeded`` in one transaction;
    returns the event id."""
    payment_id = f"pay_{uuid.uuid4().hex[:16]}"
    session = await open_tenant_session(databases, tenant)
    async with session:
        session.add(Payment(id=payment_id, amount=Decimal(amount)))
        row = record_event(
            session,
            PaymentsOutbox,
            tenant=tenant,
            module=MODULE,
            event=PaymentSucceeded(
                payment_id=payment_id,
                amount=Decimal(amount),
                method="pix",
                paid_at=paid_at or datetime.now(UTC),
                description=f"Pix {payment_id}",
            ),
        )
        await session.commit()
    return row.id
