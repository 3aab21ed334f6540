"""The tenant registry's internal API (identity) and module onboarding bodies."""

from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field

from mosaico_shared.brazil import CNPJ, CPF, PhoneBR
from mosaico_shared.schemas import RequestBody
from mosaico_shared.tenancy.names import TENANT_SLUG_PATTERN

MODULES = ("identity", "crm", "commerce", "finance", "payments", "notifications")


class PlanLimits(RequestBody):
    """What a plan allows; ``None`` means unlimited."""

    max_users: int | None = Field(default=None, ge=0)
    max_products: int | None = Field(default=None, ge=0)
    max_transactions: int | None = Field(default=None, ge=0, description="per month")


class TenantUpsert(RequestBody):
    """What the operator tells identity about a tenant (PUT, idempotent)."""

    display_name: str = Field(min_length=1, max_length=200, examples=["Acme Comércio LTDA"])
    cnpj: CNPJ
    plan: str = Field(min_length=1, max_length=63, examples=["empresa"])
    limits: PlanLimits = PlanLimits()
    modules: list[str] = Field(default_factory=list, examples=[["identity", "crm"]])
    suspended: bool = False


class TenantRecord(TenantUpsert):
    """A tenant as identity's registry holds it."""

    slug: str = Field(pattern=TENANT_SLUG_PATTERN, examples=["acme"])
    users_not_before: dict[str, int] = Field(
        default_factory=dict,
        description=(
            "User id -> time (Unix seconds): that user's access tokens issued (``iat``) "
            "earlier are refused (the user was deactivated or their roles changed). Only "
            "users changed within the last access-token lifetime are listed: any token "
            "issued before an older change has expired anyway."
        ),
        examples=[{"0b5c3f5e-8a1d-4d7e-9a55-3c0f3f0b6e21": 1767225600}],
    )


class FirstAdmin(RequestBody):
    """The tenant's first administrator, created once by the operator."""

    full_name: str = Field(min_length=1, max_length=100, examples=["Maria Souza"])
    cpf: CPF
    email: EmailStr
    whatsapp: PhoneBR | None = None
    password: str | None = Field(
        default=None,
        min_length=8,
        max_length=128,
        description="Initial password; when absent an invite token is issued instead.",
    )


class FirstAdminResult(BaseModel):
    """Whether the first admin was created now, and the invite token when one was issued."""

    user_id: str | None = Field(description="None while the admin's invite is pending")
    created: bool
    restored: bool = Field(
        default=False,
        description=(
            "The tenant had no active admin: the first admin was reactivated and given "
            "the admin role again"
        ),
    )
    invite_token: str | None = None


class OnboardingResult(BaseModel):
    """A module's answer once a tenant database is migrated and seeded."""

    module: str
    tenant: str
    database: str
    schema_version: str | None
