"""``provision_tenant`` without Kubernetes: what ``make up`` will call."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import psycopg
import pytest
from mosaico_devstack.postgres import APP_ROLE, LocalPostgres
from mosaico_finance.categories.service import DEFAULT_CATEGORIES
from mosaico_operator.models import PlanSpec, TenantSpec
from mosaico_operator.provisioning.errors import Rejected
from mosaico_operator.provisioning.onboarding import ModuleTarget
from mosaico_operator.provisioning.tenant import Services, TenantOutcome, provision_tenant
from mosaico_shared.auth import CallerCredentials

from tests.fixtures.callers import caller_tokens_dir
from tests.fixtures.tenants import valid_cnpj, valid_cpf
from tests.operator.objects import schema_version

pytestmark = pytest.mark.slow

PLAN = PlanSpec.model_validate(
    {
        "displayName": "Empresa",
        "price": "299.90",
        "billingCycle": "monthly",
        "limits": {"maxUsers": 20},
        "modules": ["identity", "crm", "finance"],
    }
)


def spec(**changes: object) -> TenantSpec:
    """A Tenant's spec, as the object has it (camelCase)."""
    values: dict[str, object] = {
        "displayName": "Padaria Pão Quente LTDA",
        "cnpj": valid_cnpj(90_001),
        "plan": "empresa",
        "modules": ["crm"],
        "firstAdmin": {
            "fullName": "João Padeiro",
            "cpf": valid_cpf(90_001),
            "email": "joao@padaria.com.br",
        },
        **changes,
    }
    return TenantSpec.model_validate(values)


def targets(
    postgres: LocalPostgres, identity: str, modules: str, finance: str
) -> dict[str, ModuleTarget]:
    def target(module: str, url: str, owner: str) -> ModuleTarget:
        return ModuleTarget(
            module=module, admin_dsn=postgres.operator_dsn(), owner=owner, service_url=url
        )

    # identity and finance are the real services, each with its own role; the stand-in
    # crm runs as the test modules' one.
    return {
        "identity": target("identity", identity, "identity"),
        "crm": target("crm", modules, APP_ROLE),
        "finance": target("finance", finance, "finance"),
    }


def provision(
    slug: str, tenant: TenantSpec, where: dict[str, ModuleTarget], identity: str
) -> TenantOutcome:
    async def run() -> TenantOutcome:
        services = Services.connect(
            identity, credentials=CallerCredentials(caller_tokens_dir("operator"))
        )
        try:
            return await provision_tenant(
                slug=slug, spec=tenant, plan=PLAN, modules=where, services=services,
                admin_password="padaria-senha-1",
            )  # fmt: skip
        finally:
            await services.aclose()

    return asyncio.run(run())


def test_a_tenant_is_provisioned_without_kubernetes_and_again_without_changes(
    postgres: LocalPostgres, identity_server: str, module_services: str, finance_service: str
) -> None:
    slug = f"local-{uuid.uuid4().hex[:6]}"
    where = targets(postgres, identity_server, module_services, finance_service)
    tenant = spec(modules=["crm", "finance"])

    first = provision(slug, tenant, where, identity_server)
    again = provision(slug, tenant, where, identity_server)

    databases = {m: f"{m}_{slug.replace('-', '_')}" for m in ("identity", "crm", "finance")}
    assert sorted(first.created_databases) == sorted(databases.values())
    assert again.created_databases == []
    assert first.modules["crm"].schema_version == again.modules["crm"].schema_version == "0001"
    # Real finance: its migrations to their head, its default categories seeded once.
    finance_version = schema_version(postgres, databases["finance"])
    assert first.modules["finance"].schema_version == finance_version
    assert again.modules["finance"].schema_version == finance_version
    with psycopg.connect(postgres.dsn(databases["finance"])) as conn:
        categories = conn.execute("SELECT type, name FROM categories").fetchall()
    assert sorted(categories) == sorted(
        (kind, name) for kind, names in DEFAULT_CATEGORIES.items() for name in names
    )
    assert first.first_admin is not None
    assert first.first_admin.created
    assert again.first_admin is not None
    assert not again.first_admin.created
    login = httpx.post(
        f"{identity_server}/identity/v1/auth/login",
        json={"tenant": slug, "login": "joao@padaria.com.br", "password": "padaria-senha-1"},
    )
    assert login.status_code == 200, login.text


def test_a_module_outside_the_plan_is_rejected_before_anything_is_created(
    postgres: LocalPostgres, identity_server: str, module_services: str, finance_service: str
) -> None:
    where = targets(postgres, identity_server, module_services, finance_service)
    where["payments"] = ModuleTarget(
        module="payments",
        admin_dsn=postgres.operator_dsn(),
        owner=APP_ROLE,
        service_url=module_services,
    )

    with pytest.raises(Rejected) as rejected:
        provision(
            f"local-{uuid.uuid4().hex[:6]}", spec(modules=["payments"]), where, identity_server
        )

    assert rejected.value.reason == "ModuleNotAllowed"
    assert not rejected.value.retryable
