"""The benchmarks' tenant: provisioned through the internal APIs the way the operator
does it, with a first admin who logs in."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from mosaico_devstack.postgres import LocalPostgres
from mosaico_shared.tenancy.names import database_name

from tests.fixtures.callers import caller_headers

TENANT = "bench"
ADMIN = {"full_name": "Bench Admin", "cpf": "52998224725", "email": "admin@bench.dev",
         "password": "bench-password-1"}  # fmt: skip


@dataclass(frozen=True)
class BenchTenant:
    token: str
    user_id: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def provision(postgres: LocalPostgres, identity_url: str, modules: dict[str, str]) -> BenchTenant:
    """The tenant with identity and ``modules`` (name -> service URL), each onboarded,
    and its admin logged in."""
    names = ["identity", *modules]
    for module in names:
        postgres.create_database(database_name(module, TENANT), owner=module)
    with httpx.Client(headers=caller_headers("operator"), timeout=120) as http:
        http.put(f"{identity_url}/identity/internal/tenants/{TENANT}", json={
            "display_name": "Bench LTDA", "cnpj": "11222333000181", "plan": "empresa",
            "modules": names}).raise_for_status()  # fmt: skip
        http.post(f"{identity_url}/identity/internal/tenants/{TENANT}/onboard").raise_for_status()
        for module, url in modules.items():
            http.post(f"{url}/{module}/internal/tenants/{TENANT}/onboard").raise_for_status()
        http.put(f"{identity_url}/identity/internal/tenants/{TENANT}/admin", json=ADMIN
                 ).raise_for_status()  # fmt: skip
    token = login(identity_url)
    me = httpx.get(f"{identity_url}/identity/v1/me", headers={"Authorization": f"Bearer {token}"})
    me.raise_for_status()
    return BenchTenant(token, str(me.json()["id"]))


def login(identity_url: str) -> str:
    response = httpx.post(f"{identity_url}/identity/v1/auth/login", timeout=30, json={
        "tenant": TENANT, "login": ADMIN["email"], "password": ADMIN["password"]})  # fmt: skip
    response.raise_for_status()
    return str(response.json()["access_token"])
