"""Small builders for notifications tests: callers, message bodies, templates, and a
look into the tenant's database."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from mosaico_devstack.postgres import LocalPostgres
from mosaico_shared.tenancy.names import database_name

from tests.fixtures.polling import eventually
from tests.fixtures.tenants import TestTenant

MESSAGES = "/notifications/v1/messages"
TEMPLATES = "/notifications/v1/templates"
PROVIDERS = "/notifications/v1/providers"
SUBSCRIPTIONS = "/notifications/v1/subscriptions"

_n = itertools.count(1)


def new_address(tenant: TestTenant, name: str = "cliente") -> str:
    """An address nobody else in the session receives at."""
    return f"{name}{next(_n)}@{tenant.slug}.example.com.br"


def welcome_template(**overrides: Any) -> dict[str, Any]:
    return {
        "description": "Boas-vindas",
        "subject": "Bem-vindo(a), {{ nome }}!",
        "html": "<p>Olá, {{ nome }}!</p>\n<p>Seu pedido {{ pedido }} foi recebido.</p>\n",
        "text": "Olá, {{ nome }}!\nSeu pedido {{ pedido }} foi recebido.\n",
        **overrides,
    }


@dataclass
class Caller:
    """One user of a tenant talking to notifications."""

    client: TestClient
    headers: dict[str, str]

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def templates(self) -> dict[str, dict[str, Any]]:
        """The tenant's templates by key."""
        response = self.get(TEMPLATES)
        assert response.status_code == 200, response.text
        return {t["key"]: t for t in response.json()}

    def save_template(self, key: str, **overrides: Any) -> dict[str, Any]:
        """Create the template ``key``, or replace its parts when it exists."""
        existing = self.templates().get(key)
        if existing is None:
            response = self.post(TEMPLATES, json={"key": key, **welcome_template(**overrides)})
            assert response.status_code == 201, response.text
        else:
            response = self.put(f"{TEMPLATES}/{existing['id']}", json=welcome_template(**overrides))
            assert response.status_code == 200, response.text
        return dict(response.json())

    def subscriptions(self, event: str) -> list[dict[str, Any]]:
        """The tenant's subscriptions to ``event``."""
        response = self.get(SUBSCRIPTIONS)
        assert response.status_code == 200, response.text
        return [s for s in response.json() if s["event"] == event]

    def subscribe(self, event: str, **body: Any) -> dict[str, Any]:
        response = self.post(SUBSCRIPTIONS, json={"event": event, **body})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def send(self, body: dict[str, Any], key: str | None = None) -> Any:
        return self.post(MESSAGES, json=body, headers={"Idempotency-Key": key or str(uuid.uuid4())})

    def send_ok(self, body: dict[str, Any], key: str | None = None) -> dict[str, Any]:
        response = self.send(body, key)
        assert response.status_code == 202, response.text
        return dict(response.json())

    def message(self, message_id: str) -> dict[str, Any]:
        response = self.get(f"{MESSAGES}/{message_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def settled(self, message_id: str, status: str = "sent") -> dict[str, Any]:
        """The message once it reached ``status`` (``sent`` or ``failed``)."""
        return eventually(
            lambda: (m := self.message(message_id))["status"] == status and m,
            what=f"message {message_id} {status}",
            timeout=60,
        )


def admin(client: TestClient, tenant: TestTenant) -> Caller:
    return Caller(client, tenant.auth())


def member(client: TestClient, tenant: TestTenant, role: str) -> Caller:
    cpf, password = tenant.add_user(roles=[role])
    return Caller(client, tenant.auth(cpf, password))


@contextmanager
def notifications_database(
    postgres: LocalPostgres, tenant: TestTenant
) -> Iterator[psycopg.Connection]:
    """A direct connection to the tenant's notifications database."""
    name = database_name("notifications", tenant.slug)
    with psycopg.connect(postgres.dsn(name), autocommit=True) as connection:
        yield connection


def problem(response: Any, status: int) -> dict[str, Any]:
    """The response is a problem+json with ``status``, not a stack trace."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = dict(response.json())
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body
