"""Every PromQL expression the charts ship runs on a real Prometheus, and every
dashboard panel shows data once a real service has served some traffic."""

from __future__ import annotations

from typing import Any

import pytest

from tests.observability.conftest import Prometheus
from tests.observability.promql import (
    NEEDS_A_CLUSTER,
    Query,
    dashboards,
    panel_queries,
    rule_queries,
    variable_queries,
)

pytestmark = pytest.mark.slow


def every_query(rendered: list[dict[str, Any]]) -> list[Query]:
    queries = rule_queries(rendered)
    for dashboard in dashboards(rendered):
        queries += panel_queries(dashboard) + variable_queries(dashboard)
    return queries


def test_every_expression_parses_and_runs(
    prometheus: Prometheus, rendered: list[dict[str, Any]]
) -> None:
    queries = every_query(rendered)
    assert len(queries) > 50
    failures = {}
    for query in queries:
        reply = prometheus.query(query.promql)
        if reply["status"] != "success":
            failures[query.source] = (
                f"{reply.get('errorType')}: {reply.get('error')}\n  {query.promql}"
            )
    assert not failures, "\n".join(f"{source}: {error}" for source, error in failures.items())


def test_every_dashboard_panel_shows_data_after_traffic(
    prometheus: Prometheus, rendered: list[dict[str, Any]]
) -> None:
    checked, empty = 0, []
    for dashboard in dashboards(rendered):
        for query in panel_queries(dashboard) + variable_queries(dashboard):
            if (query.dashboard, query.panel) in NEEDS_A_CLUSTER:
                continue
            checked += 1
            if not prometheus.query(query.promql)["data"]["result"]:
                empty.append(f"{query.source}: {query.promql}")
    assert not empty, "panels without data:\n" + "\n".join(empty)
    assert checked >= 55


def test_the_tenant_panels_rank_real_tenants(prometheus: Prometheus) -> None:
    reply = prometheus.query(
        'topk(10, sum by (tenant) (rate(mosaico_tenant_requests_total{module="identity", namespace=~"mosaico"}[1m])))'
    )
    tenants = {r["metric"]["tenant"] for r in reply["data"]["result"]}
    assert len(tenants) == 3
    errors = prometheus.query(
        'sum by (tenant, status) (mosaico_tenant_requests_total{status="4xx"})'
    )
    assert {r["metric"]["tenant"] for r in errors["data"]["result"]} == tenants


def test_prometheus_loads_and_evaluates_every_rule(
    prometheus: Prometheus, rendered: list[dict[str, Any]]
) -> None:
    groups = prometheus.client.get("/api/v1/rules").json()["data"]["groups"]
    loaded = {rule["name"]: rule for group in groups for rule in group["rules"]}
    assert set(loaded) == {q.source.rsplit("/", 1)[1] for q in rule_queries(rendered)}
    assert all(rule["health"] == "ok" for rule in loaded.values()), {
        name: rule.get("lastError") for name, rule in loaded.items() if rule["health"] != "ok"}  # fmt: skip
    # identity is scraped and healthy: its down and error alerts stay quiet.
    firing = {(a["labels"]["alertname"], a["labels"].get("module")) for a in
              prometheus.client.get("/api/v1/alerts").json()["data"]["alerts"]}  # fmt: skip
    assert ("MosaicoModuleDown", "identity") not in firing
    assert ("MosaicoModuleHighErrorRate", "identity") not in firing


def test_the_cluster_only_list_stays_small(rendered: list[dict[str, Any]]) -> None:
    panels = [(d["title"], p["title"]) for d in dashboards(rendered) for p in d["panels"]]
    assert set(panels) >= NEEDS_A_CLUSTER
    assert len(NEEDS_A_CLUSTER) <= len(panels) // 8


def test_every_module_reports_identity_reachable(prometheus: Prometheus) -> None:
    reply = prometheus.query('mosaico_dependency_up{dependency="identity"}')
    seen = {r["metric"]["module"]: r["value"][1] for r in reply["data"]["result"]}
    assert seen == {"crm": "1", "finance": "1", "notifications": "1"}
    firing = {a["labels"]["alertname"] for a in
              prometheus.client.get("/api/v1/alerts").json()["data"]["alerts"]}  # fmt: skip
    assert "MosaicoIdentityUnreachable" not in firing


def test_the_event_panels_show_the_events_that_happened(prometheus: Prometheus) -> None:
    """identity published the invites after their commits; finance retried a payment it
    could not book and dead-lettered it; every module is connected to NATS."""
    assert (
        prometheus.value('sum(mosaico_events_published_total{job="identity", path="commit"})') or 0
    ) >= 3
    assert prometheus.value('max(mosaico_outbox_backlog{job="identity"})') is not None
    assert (
        prometheus.value(
            'sum(mosaico_events_redeliveries_total{job="finance", consumer="finance-payment-income"})'
        )
        or 0
    ) >= 2
    assert (prometheus.value('max(mosaico_events_dead_letter_depth{job="finance"})') or 0) >= 1
    assert (prometheus.value('sum(mosaico_events_dead_letters_total{job="finance"})') or 0) >= 1
    lag = prometheus.query('mosaico_events_consumer_pending{job="finance"}')["data"]["result"]
    assert {r["metric"]["consumer"] for r in lag} == {"finance-payment-income"}
    connected = prometheus.query("mosaico_events_nats_connected")["data"]["result"]
    assert {r["metric"]["job"]: r["value"][1] for r in connected} == {
        "identity": "1", "crm": "1", "finance": "1", "notifications": "1"}  # fmt: skip
    # The dead letter is an alert (pending for its minute, then firing); NATS is not.
    alerts = {(a["labels"]["alertname"], a["labels"].get("module")) for a in
              prometheus.client.get("/api/v1/alerts").json()["data"]["alerts"]}  # fmt: skip
    assert ("MosaicoEventDeadLetters", "finance") in alerts
    assert not {name for name, _ in alerts} & {"MosaicoEventsNatsAway", "MosaicoOutboxEventsStuck"}
