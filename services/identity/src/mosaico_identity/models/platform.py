"""``identity_platform``: the tenant registry and the token signing keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class PlatformBase(DeclarativeBase):
    pass


class TenantRow(PlatformBase):
    __tablename__ = "tenants"

    slug: Mapped[str] = mapped_column(String(40), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    cnpj: Mapped[str] = mapped_column(String(14))
    plan: Mapped[str] = mapped_column(String(63))
    limits: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    modules: Mapped[list[str]] = mapped_column(JSONB, default=list)
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class SigningKeyRow(PlatformBase):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    #: Set when a newer key takes over; the key stays published until its tokens expire.
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TokenCutoffRow(PlatformBase):
    """A user's "not before": their access tokens issued earlier are refused by every
    service (published in the tenant's record). Kept for one access-token lifetime."""

    __tablename__ = "token_cutoffs"

    tenant: Mapped[str] = mapped_column(
        String(40), ForeignKey("tenants.slug", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    #: Unix seconds.
    not_before: Mapped[int] = mapped_column(Integer)


class AddressThrottle(PlatformBase):
    """Failed logins per client address, across every tenant."""

    __tablename__ = "address_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
