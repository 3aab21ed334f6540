"""The demo tenant ``make up`` provisions, through the operator's own provisioning code."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
from mosaico_operator.models import FirstAdminSpec, Limits, PlanSpec, TenantSpec
from mosaico_operator.provisioning.onboarding import ModuleTarget
from mosaico_operator.provisioning.tenant import Services, provision_tenant

from mosaico_devstack.postgres import APP_ROLE, LocalPostgres

DEMO_TENANT = "demo"
DEMO_ADMIN = {
    "full_name": "Maria Demonstração",
    "cpf": "529.982.247-25",
    "email": "admin@demo.mosaico.dev",
    "password": "demo-password-2026",
}
DEMO_PLAN = PlanSpec(
    display_name="Empresa",
    price=Decimal("299.90"),
    billing_cycle="monthly",
    limits=Limits(max_users=20, max_products=500, max_transactions=2000),
    modules=["identity", "crm", "commerce", "finance", "payments", "notifications"],
)


def provision_demo_tenant(
    postgres: LocalPostgres, urls: dict[str, str], *, internal_token: str
) -> None:
    """Databases, registry entry, onboarding of every running module and the admin:
    exactly what the operator does for a ``Tenant``, without Kubernetes."""
    spec = TenantSpec.model_validate(
        {
            "display_name": "Demo Comércio LTDA",
            "cnpj": "11.222.333/0001-81",
            "plan": "empresa",
            "modules": [m for m in urls if m != "identity"],
            "first_admin": FirstAdminSpec(
                full_name=DEMO_ADMIN["full_name"], cpf=DEMO_ADMIN["cpf"], email=DEMO_ADMIN["email"]
            ),
        }
    )
    targets = {
        module: ModuleTarget(
            module=module, admin_dsn=postgres.dsn(), owner=APP_ROLE, service_url=url
        )
        for module, url in urls.items()
    }

    async def run() -> None:
        services = Services.connect(urls["identity"], token=internal_token)
        try:
            await provision_tenant(
                slug=DEMO_TENANT,
                spec=spec,
                plan=DEMO_PLAN,
                modules=targets,
                services=services,
                admin_password=DEMO_ADMIN["password"],
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
