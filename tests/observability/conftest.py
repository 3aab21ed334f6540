"""Fixtures for the observability tests: the charts' rules and dashboards as rendered,
promtool, and a real Prometheus scraping a real identity server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
import yaml
from mosaico_devstack.nats import LocalNats
from mosaico_devstack.ports import free_port, wait_for_http
from mosaico_devstack.postgres import LocalPostgres
from mosaico_shared.contracts.payments import PaymentSucceeded
from mosaico_shared.events.envelope import new_envelope

from tests.charts.conftest import helm, k8s_bin  # noqa: F401
from tests.charts.helm import MONITORING, Helm
from tests.fixtures.callers import internal_auth_env
from tests.fixtures.kube import KubeCluster
from tests.fixtures.polling import eventually
from tests.fixtures.tenants import EVENT_SEALING_KEYS, TestTenant, make_tenant_factory
from tests.observability.operator import apply_tenants, running_operator
from tests.observability.promql import rule_groups

SCRAPE_INTERVAL = "1s"
NAMESPACE = "mosaico"


def debian_binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed: run tools/test-packages (Debian's prometheus package)"
        )
    return path


@pytest.fixture(scope="session")
def rendered(helm: Helm) -> list[dict[str, Any]]:  # noqa: F811
    """The umbrella chart as a cluster with the Prometheus Operator and NATS gets it."""
    return helm.template(
        api_versions=[MONITORING], namespace=NAMESPACE, set_values=["global.nats.enabled=true"]
    )


@pytest.fixture(scope="session")
def rules_file(rendered: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every PrometheusRule's groups in one Prometheus rule file."""
    path = tmp_path_factory.mktemp("rules") / "mosaico.rules.yaml"
    path.write_text(yaml.safe_dump({"groups": rule_groups(rendered)}, sort_keys=False))
    return path


@pytest.fixture(scope="session")
def promtool() -> str:
    return debian_binary("promtool")


class Prometheus:
    """A running Prometheus: its URL and a query helper."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.client = httpx.Client(base_url=url, timeout=10)

    def query(self, promql: str) -> dict[str, Any]:
        reply = self.client.get("/api/v1/query", params={"query": promql})
        body: dict[str, Any] = reply.json()
        return body

    def value(self, promql: str) -> float | None:
        """The single value ``promql`` yields now, or None when it yields nothing."""
        result = self.query(promql).get("data", {}).get("result", [])
        return float(result[0]["value"][1]) if result else None

    def wait_for_scrapes(self, count: int = 1, *, of: str = "") -> None:
        """Wait until every target (or those matching ``of``, a label matcher) has
        been scraped ``count`` times from now on: what a fixed sleep used to guess."""
        for _ in range(count):
            since = time.time()
            eventually(
                lambda since=since: (self.value(f"min(timestamp(up{{{of}}}))") or 0) > since,
                what=f"a scrape of up{{{of}}} after {since}",
            )


MODULES = ("crm", "finance", "notifications")
#: What a module needs besides what every module gets: notifications opens identity's
#: sealed tokens with the same keys and seals provider secrets with a key of its own.
MODULE_ENV = {
    "notifications": {
        "MOSAICO_EVENT_SEALING_KEYS": EVENT_SEALING_KEYS,
        "MOSAICO_PROVIDER_SECRETS_KEY": "observability-provider-secrets-key",
    },
}


@contextlib.contextmanager
def module_server(
    module: str, postgres: LocalPostgres, identity_url: str, nats_url: str, log: Path
) -> Iterator[str]:
    """A module as a real uvicorn process, like identity_server, on the session's NATS,
    with retries and statistics fast enough for a test; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "MOSAICO_DATABASE_URL": postgres.module_url(module),
        **internal_auth_env(module),
        "MOSAICO_IDENTITY_URL": identity_url,
        "MOSAICO_NATS_URL": nats_url,
        "MOSAICO_EVENTS_MAX_DELIVER": "3",
        "MOSAICO_EVENTS_BACKOFF_SECONDS": "[0.1]",
        "MOSAICO_EVENTS_STATS_INTERVAL_SECONDS": "1",
        "MOSAICO_EVENTS_SWEEP_INTERVAL_SECONDS": "1",
        **MODULE_ENV.get(module, {}),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", f"mosaico_{module}.main:app",
             "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base}/{module}/readyz", timeout=180, alive=process)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def generate_traffic(
    postgres: LocalPostgres,
    identity_url: str,
    module_urls: dict[str, str],
    *,
    between_rounds: Callable[[], None],
    rounds: int = 2,
) -> list[TestTenant]:
    """Real requests: tenants made as the operator makes them (databases, registry,
    onboarding in every module), then rounds of logins, authenticated reads (200), missing
    objects (404) and a bad login (401), with ``between_rounds`` (scrapes) between them,
    as live traffic is spread (a counter seen only once has no increase)."""
    clients = {
        module: httpx.Client(base_url=url, timeout=30) for module, url in module_urls.items()
    }
    reads = {"crm": "/crm/v1/pipeline/stages", "finance": "/finance/v1/accounts",
             "notifications": "/notifications/v1/templates"}  # fmt: skip
    missing = {"crm": "/crm/v1/leads/{id}", "finance": "/finance/v1/accounts/{id}",
               "notifications": "/notifications/v1/messages/{id}"}  # fmt: skip
    with (
        httpx.Client(base_url=identity_url, timeout=30) as identity,
        contextlib.ExitStack() as stack,
    ):
        for client in clients.values():
            stack.enter_context(client)
        make_tenant = make_tenant_factory(postgres, identity, clients)
        tenants = [make_tenant(modules=tuple(clients)) for _ in range(3)]
        for round_ in range(rounds):
            if round_:
                between_rounds()
            for tenant in tenants:
                headers = tenant.auth()
                for _ in range(5):
                    assert identity.get("/identity/v1/me", headers=headers).status_code == 200
                    absent = identity.get(f"/identity/v1/users/{uuid.uuid4()}", headers=headers)
                    assert absent.status_code == 404, absent.text
                    for module, client in clients.items():
                        read = client.get(reads[module], headers=headers)
                        assert read.status_code == 200, read.text
                        absent = client.get(
                            missing[module].format(id=uuid.uuid4()), headers=headers
                        )
                        assert absent.status_code == 404, absent.text
                bad = identity.post(
                    "/identity/v1/auth/login",
                    json={
                        "tenant": tenant.slug,
                        "login": tenant.admin_cpf,
                        "password": "wrong-password-0",
                    },
                )
                assert bad.status_code in (401, 403), bad.text
    return tenants


def generate_events(identity_url: str, nats_url: str, tenants: list[TestTenant]) -> None:
    """Real events: identity publishes an invite per tenant, and finance receives a
    payment it cannot book (the tenant has no bank account), retries it and gives up on
    it: redeliveries and a dead letter."""
    with httpx.Client(base_url=identity_url, timeout=30) as identity:
        for tenant in tenants:
            tenant.identity = identity
            invited = identity.post(
                "/identity/v1/invites",
                headers=tenant.auth(),
                json={"email": f"convite@{tenant.slug}.com.br"},
            )
            assert invited.status_code == 201, invited.text
    payment = PaymentSucceeded(
        payment_id=f"pay_{uuid.uuid4().hex[:12]}",
        amount=Decimal("10.00"),
        method="pix",
        paid_at=datetime.now(UTC),
    )
    envelope = new_envelope(tenants[0].slug, payment, occurred_at=datetime.now(UTC))

    async def publish() -> None:
        nc = await nats.connect(nats_url)
        try:
            js = nc.jetstream()
            await js.publish(envelope.subject, envelope.encode(), headers=envelope.headers())
        finally:
            await nc.close()

    asyncio.run(publish())


def scrape_job(job: str, target: str, path: str, pod: str) -> dict[str, Any]:
    """A static scrape job with the target labels a ServiceMonitor would give."""
    labels = {"namespace": NAMESPACE, "service": job, "pod": pod}
    return {
        "job_name": job,
        "metrics_path": path,
        "static_configs": [{"targets": [target], "labels": labels}],
    }


@pytest.fixture(scope="module")
def prometheus(
    identity_server: str,
    postgres: LocalPostgres,
    nats_server: LocalNats,
    kube: KubeCluster,
    helm: Helm,  # noqa: F811
    rules_file: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Prometheus]:
    """Debian's Prometheus scraping, every second, identity, crm, finance and notifications (real
    uvicorn processes) and the real operator (on the test API server, with the chart's
    RBAC), with the charts' rules loaded. Yields once the modules have served traffic,
    the operator has made one tenant Ready and failed another, and Prometheus has
    scraped after that.

    Module-scoped: the operator stops before any other module's tests, so it never
    reconciles the operator tests' Tenants."""
    binary = debian_binary("prometheus")
    workdir = tmp_path_factory.mktemp("prometheus")
    with contextlib.ExitStack() as services:
        operator = services.enter_context(
            running_operator(kube, helm, postgres, identity_server, workdir)
        )
        module_urls = {
            module: services.enter_context(
                module_server(
                    module, postgres, identity_server, nats_server.url, workdir / f"{module}.log"
                )
            )
            for module in MODULES
        }
        config = {
            "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
            "rule_files": [str(rules_file)],
            "scrape_configs": [
                scrape_job("identity", identity_server.removeprefix("http://"), "/identity/metrics", "identity-0"),
                *(scrape_job(m, url.removeprefix("http://"), f"/{m}/metrics", f"{m}-0") for m, url in module_urls.items()),
                scrape_job("mosaico-operator-metrics", f"127.0.0.1:{operator.metrics_port}", "/metrics",
                           "mosaico-operator-0"),
            ],
        }  # fmt: skip
        (workdir / "prometheus.yml").write_text(yaml.safe_dump(config))
        port = free_port()
        log = (workdir / "prometheus.log").open("wb")
        process = subprocess.Popen(
            [binary, f"--config.file={workdir / 'prometheus.yml'}", f"--storage.tsdb.path={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        server = Prometheus(f"http://127.0.0.1:{port}")
        try:
            wait_for_http(f"{server.url}/-/ready", timeout=180, alive=process)
            # A first scrape of the operator before it reconciles anything.
            server.wait_for_scrapes(of='job="mosaico-operator-metrics"')
            apply_tenants(kube, operator)
            tenants = generate_traffic(
                postgres,
                identity_server,
                module_urls,
                between_rounds=lambda: server.wait_for_scrapes(2),
            )
            generate_events(identity_server, nats_server.url, tenants)
            eventually(
                lambda: server.value(
                    'max(mosaico_events_dead_letter_depth{job="finance"})'
                    ' * on() max(mosaico_events_published_total{job="identity", path="commit"})'
                ),
                what="the dead letter and the invites seen by Prometheus",
            )
            # Two scrapes after the traffic, so every rate() over 1m has its two samples.
            server.wait_for_scrapes(2)
            yield server
        finally:
            server.client.close()
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            if process.poll() is None:
                process.kill()
            log.close()
