"""notifications in this process, on the session's PostgreSQL and NATS, trusting the
real identity, sending e-mail to a real SMTP server (aiosmtpd) and webhooks to a real
HTTP receiver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from mosaico_devstack.mail import MailSink
from mosaico_devstack.nats import LocalNats
from mosaico_devstack.postgres import LocalPostgres
from mosaico_notifications.main import create_app
from mosaico_notifications.settings import NotificationsSettings

from tests.fixtures.callers import internal_auth_settings
from tests.fixtures.tenants import (
    EVENT_SEALING_KEYS,
    TenantFactory,
    TestTenant,
    make_tenant_factory,
)

PROVIDER_SECRETS_KEY = "test-provider-secrets-key-0123456789"

#: Short waits, so retries and scans happen within a test. The lease and the webhook
#: timeout stay long: on a loaded machine a send that outlived them would be taken up
#: again and sent twice, which the tests (rightly) count as a failure. Tests of expiring
#: leases set their own.
FAST: dict[str, Any] = {
    "delivery_max_attempts": 3,
    "delivery_backoff_base_seconds": 0.05,
    "delivery_backoff_max_seconds": 0.2,
    "delivery_scan_interval_seconds": 0.5,
    "delivery_lease_seconds": 90.0,
    "webhook_timeout_seconds": 60.0,
    "events_ack_wait_seconds": 3.0,
    "events_max_deliver": 3,
    "events_backoff_seconds": [0.1, 0.2],
    "events_reconnect_seconds": 0.2,
}


def notifications_settings(
    postgres: LocalPostgres,
    *,
    identity_url: str,
    mail: MailSink,
    nats_url: str | None = None,
    **overrides: Any,
) -> NotificationsSettings:
    values: dict[str, Any] = {
        "database_url": postgres.module_url("notifications"),
        **internal_auth_settings("notifications"),
        "identity_url": identity_url,
        "tenant_status_ttl_seconds": 0.01,
        "nats_url": nats_url,
        "smtp_host": "127.0.0.1",
        "smtp_port": mail.port,
        "smtp_security": "none",
        "smtp_from": "Mosaico Testes <nao-responda@mosaico.test>",
        "provider_secrets_key": PROVIDER_SECRETS_KEY,
        "event_sealing_keys": EVENT_SEALING_KEYS,
        "allow_private_destinations": True,
        "app_url": "https://app.mosaico.test",
        **FAST,
        **overrides,
    }
    return NotificationsSettings(**values)


@pytest.fixture(scope="session")
def notifications(
    postgres: LocalPostgres, identity_server: str, mail_sink: MailSink, nats_server: LocalNats
) -> Iterator[TestClient]:
    """The notifications app with its delivery worker and its event consumer running."""
    settings = notifications_settings(
        postgres, identity_url=identity_server, mail=mail_sink, nats_url=nats_server.url
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="session")
def identity_http_client(identity_server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=identity_server, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def make_notifications_tenant(
    postgres: LocalPostgres, identity_http_client: httpx.Client, notifications: TestClient
) -> TenantFactory:
    """A fresh tenant with notifications enabled (``modules=()`` for one without it)."""
    factory = make_tenant_factory(
        postgres, identity_http_client, module_clients={"notifications": notifications}
    )

    def make(**kwargs: object) -> TestTenant:
        kwargs.setdefault("modules", ("notifications",))
        return factory(**kwargs)

    return make


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
