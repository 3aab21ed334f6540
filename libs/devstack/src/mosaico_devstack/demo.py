"""The demo tenant ``make up`` provisions, through the operator's own provisioning code."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from mosaico_operator.models import PlanSpec, TenantSpec
from mosaico_operator.provisioning.onboarding import ModuleTarget
from mosaico_operator.provisioning.tenant import Services, provision_tenant
from mosaico_shared.auth import CallerCredentials

from mosaico_devstack.postgres import LocalPostgres, module_role

DEMO_TENANT = "demo"
DEMO_ADMIN = {
    "full_name": "Maria Demonstração",
    "cpf": "529.982.247-25",
    "email": "admin@demo.mosaico.dev",
    "password": "demo-password-2026",
}
#: Written as the Plan object's spec would be (the models take the objects' field names).
DEMO_PLAN = PlanSpec.model_validate(
    {
        "displayName": "Empresa",
        "price": "299.90",
        "billingCycle": "monthly",
        "limits": {"maxUsers": 20, "maxProducts": 500, "maxTransactions": 2000},
        "modules": ["identity", "crm", "commerce", "finance", "payments", "notifications"],
    }
)


def provision_demo_tenant(
    postgres: LocalPostgres, urls: dict[str, str], *, operator_tokens: Path
) -> None:
    """The demo tenant, with every running module enabled."""
    spec = TenantSpec.model_validate(
        {
            "displayName": "Demo Comércio LTDA",
            "cnpj": "11.222.333/0001-81",
            "plan": "empresa",
            "modules": [m for m in urls if m != "identity"],
            "firstAdmin": {
                "fullName": DEMO_ADMIN["full_name"],
                "cpf": DEMO_ADMIN["cpf"],
                "email": DEMO_ADMIN["email"],
            },
        }
    )
    provision_local_tenant(
        postgres,
        urls,
        slug=DEMO_TENANT,
        spec=spec,
        plan=DEMO_PLAN,
        admin_password=DEMO_ADMIN["password"],
        operator_tokens=operator_tokens,
    )


def provision_local_tenant(
    postgres: LocalPostgres,
    urls: dict[str, str],
    *,
    slug: str,
    spec: TenantSpec,
    plan: PlanSpec,
    admin_password: str,
    operator_tokens: Path,
) -> None:
    """Databases, registry entry, onboarding of every enabled module that runs here and
    the first admin: exactly what the operator does for a ``Tenant``, without Kubernetes,
    with the operator's local credentials from ``operator_tokens``."""
    missing = [m for m in spec.modules if m not in urls]
    if missing:
        raise ValueError(f"modules not running here: {', '.join(missing)}")
    targets = {
        module: ModuleTarget(
            module=module,
            admin_dsn=postgres.operator_dsn(),
            owner=module_role(module),
            service_url=url,
        )
        for module, url in urls.items()
        if module == "identity" or module in spec.modules
    }

    async def run() -> None:
        services = Services.connect(
            urls["identity"], credentials=CallerCredentials(operator_tokens)
        )
        try:
            await provision_tenant(
                slug=slug,
                spec=spec,
                plan=plan,
                modules=targets,
                services=services,
                admin_password=admin_password,
            )
        finally:
            await services.aclose()

    asyncio.run(run())


def check_demo_login(urls: dict[str, str]) -> None:
    """Log in as the demo admin and call every module once, so ``make up`` only says
    it is running when a newcomer's first request will work."""
    with httpx.Client(timeout=30) as http:
        login = http.post(
            f"{urls['identity']}/identity/v1/auth/login",
            json={"tenant": DEMO_TENANT, "login": DEMO_ADMIN["email"],
                  "password": DEMO_ADMIN["password"]},
        )  # fmt: skip
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        http.get(f"{urls['identity']}/identity/v1/me", headers=headers).raise_for_status()
        for module, url in urls.items():
            if module != "identity":
                http.get(f"{url}/{module}/openapi.json", headers=headers).raise_for_status()
