"""``provision_tenant`` without Kubernetes: what ``make up`` will call."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import httpx
import pytest
from mosaico_devstack.postgres import APP_ROLE, LocalPostgres
from mosaico_operator.models import FirstAdminSpec, Limits, PlanSpec, TenantSpec
from mosaico_operator.provisioning.errors import Rejected
from mosaico_operator.provisioning.onboarding import ModuleTarget
from mosaico_operator.provisioning.tenant import Services, TenantOutcome, provision_tenant
from mosaico_shared.auth import CallerCredentials

from tests.fixtures.callers import caller_tokens_dir
from tests.fixtures.tenants import valid_cnpj, valid_cpf

pytestmark = pytest.mark.slow

PLAN = PlanSpec(
    display_name="Empresa",
    price=Decimal("299.90"),
    billing_cycle="monthly",
    limits=Limits(max_users=20),
    modules=["identity", "crm", "finance"],
)


def spec(**changes: object) -> TenantSpec:
    values: dict[str, object] = {
        "display_name": "Padaria Pão Quente LTDA",
        "cnpj": valid_cnpj(90_001),
        "plan": "empresa",
        "modules": ["crm"],
        "first_admin": FirstAdminSpec(
            full_name="João Padeiro", cpf=valid_cpf(90_001), email="joao@padaria.com.br"
        ),
        **changes,
    }
    return TenantSpec.model_validate(values)


def targets(postgres: LocalPostgres, identity: str, modules: str) -> dict[str, ModuleTarget]:
    def target(module: str, url: str, owner: str) -> ModuleTarget:
        return ModuleTarget(
            module=module, admin_dsn=postgres.operator_dsn(), owner=owner, service_url=url
        )

    # identity runs as its own role; the stand-in crm as the test modules' one.
    return {
        "identity": target("identity", identity, "identity"),
        "crm": target("crm", modules, APP_ROLE),
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
    postgres: LocalPostgres, identity_server: str, module_services: str
) -> None:
    slug = f"local-{uuid.uuid4().hex[:6]}"
    where = targets(postgres, identity_server, module_services)

    first = provision(slug, spec(), where, identity_server)
    again = provision(slug, spec(), where, identity_server)

    assert sorted(first.created_databases) == sorted(
        [f"identity_{slug.replace('-', '_')}", f"crm_{slug.replace('-', '_')}"]
    )
    assert again.created_databases == []
    assert first.modules["crm"].schema_version == again.modules["crm"].schema_version == "0001"
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
    postgres: LocalPostgres, identity_server: str, module_services: str
) -> None:
    where = targets(postgres, identity_server, module_services)
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
