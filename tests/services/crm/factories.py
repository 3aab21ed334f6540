"""Small builders for CRM tests: lead bodies, callers, and a look into the database."""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from mosaico_devstack.postgres import LocalPostgres
from mosaico_shared.tenancy.names import database_name

from tests.fixtures.tenants import TestTenant

_n = itertools.count(1)

LEADS = "/crm/v1/leads"
STAGES = "/crm/v1/pipeline/stages"
SUMMARY = "/crm/v1/pipeline/summary"


def lead_body(**overrides: Any) -> dict[str, Any]:
    n = next(_n)
    return {
        "name": f"Cliente {n}",
        "company": f"Empresa {n} LTDA",
        "email": f"cliente{n}@example.com.br",
        "phone": "(11) 98765-4321",
        "source": "site",
        "estimated_value": "1000.00",
        "tags": ["varejo"],
        **overrides,
    }


def user_id_of(headers: dict[str, str]) -> str:
    """The ``sub`` of a bearer token (read, not verified: the services verify)."""
    token = headers["Authorization"].split()[1]
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


@dataclass
class Caller:
    """One user of a tenant talking to the CRM."""

    crm: TestClient
    headers: dict[str, str]

    @property
    def user_id(self) -> str:
        return user_id_of(self.headers)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.crm.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def create_lead(self, **overrides: Any) -> dict[str, Any]:
        response = self.post(LEADS, json=lead_body(**overrides))
        assert response.status_code == 201, response.text
        return dict(response.json())

    def stages(self) -> dict[str, dict[str, Any]]:
        """Active stages by name."""
        response = self.get(STAGES)
        assert response.status_code == 200, response.text
        return {s["name"]: s for s in response.json()}

    def move(self, lead_id: str, stage_id: str, **extra: Any) -> Any:
        return self.post(f"{LEADS}/{lead_id}/move", json={"stage_id": stage_id, **extra})


def admin(crm: TestClient, tenant: TestTenant) -> Caller:
    return Caller(crm, tenant.auth())


def member(crm: TestClient, tenant: TestTenant, role: str) -> Caller:
    cpf, password = tenant.add_user(roles=[role])
    return Caller(crm, tenant.auth(cpf, password))


@contextmanager
def crm_database(postgres: LocalPostgres, tenant: TestTenant) -> Iterator[psycopg.Connection]:
    """A direct connection to the tenant's CRM database, to check what was stored."""
    with psycopg.connect(postgres.dsn(database_name("crm", tenant.slug)), autocommit=True) as conn:
        yield conn


def problem(response: Any, status: int) -> dict[str, Any]:
    """The response is a problem+json with ``status``, not a stack trace."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = dict(response.json())
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body
