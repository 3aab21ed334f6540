"""The demo tenant ``make up`` provisions."""

from __future__ import annotations

import httpx
from mosaico_shared.tenancy.names import database_name

from mosaico_devstack.postgres import LocalPostgres

DEMO_TENANT = "demo"
DEMO_ADMIN = {
    "full_name": "Maria Demonstração",
    "cpf": "52998224725",
    "email": "admin@demo.mosaico.dev",
    "password": "demo-password-2026",
}


def provision_demo_tenant(
    postgres: LocalPostgres, urls: dict[str, str], *, internal_token: str
) -> None:
    """Create the demo tenant's databases, register it, onboard every module, add its admin."""
    headers = {"Authorization": f"Bearer {internal_token}"}
    modules = list(urls)
    for module in modules:
        postgres.create_database(database_name(module, DEMO_TENANT))
    with httpx.Client(timeout=60, headers=headers) as http:
        http.put(
            f"{urls['identity']}/identity/internal/tenants/{DEMO_TENANT}",
            json={
                "display_name": "Demo Comércio LTDA",
                "cnpj": "11222333000181",
                "plan": "empresa",
                "limits": {"max_users": 20, "max_products": 500, "max_transactions": 2000},
                "modules": modules,
            },
        ).raise_for_status()
        for module, url in urls.items():
            http.post(f"{url}/{module}/internal/tenants/{DEMO_TENANT}/onboard").raise_for_status()
        http.put(
            f"{urls['identity']}/identity/internal/tenants/{DEMO_TENANT}/admin", json=DEMO_ADMIN
        ).raise_for_status()
