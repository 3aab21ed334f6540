"""The alert rules the charts ship are valid and fire when they should."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.observability.promql import dashboards, rule_groups


def test_promtool_accepts_every_rule(
    promtool: str, rules_file: Path, rendered: list[dict[str, Any]]
) -> None:
    groups = rule_groups(rendered)
    assert {g["name"] for g in groups} == {
        "mosaico-identity",
        "mosaico-crm",
        "mosaico-finance",
        "mosaico-notifications",
        "mosaico-operator",
    }
    result = subprocess.run(
        [promtool, "check", "rules", str(rules_file)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rules = sum(len(g["rules"]) for g in groups)
    assert f"SUCCESS: {rules} rules found" in result.stdout


def test_every_alert_says_what_and_how_bad(rendered: list[dict[str, Any]]) -> None:
    for group in rule_groups(rendered):
        for rule in group["rules"]:
            assert rule["alert"].startswith("Mosaico"), rule
            assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
            assert rule["annotations"]["summary"], rule["alert"]
            assert rule["annotations"]["description"], rule["alert"]


def down(module: str) -> dict[str, Any]:
    return {
        "exp_labels": {"severity": "critical", "module": module},
        "exp_annotations": {
            "summary": f"{module}: no replica is scraped",
            "description": f"Prometheus has reached no {module} pod for 5 minutes.",
        },
    }


# promtool unit tests: series in, alerts out. Labels are what a ServiceMonitor gives.
IDENTITY = 'job="identity", namespace="mosaico"'
OPERATOR = 'job="mosaico-operator-metrics", namespace="mosaico"'
UNIT_TESTS: list[dict[str, Any]] = [
    {
        "name": "one request in ten failing with 5xx fires the error-rate alert after 5 minutes",
        "interval": "1m",
        "input_series": [
            {
                "series": f'http_requests_total{{{IDENTITY}, handler="/identity/v1/me", method="GET", status="2xx"}}',
                "values": "0+90x20",
            },
            {
                "series": f'http_requests_total{{{IDENTITY}, handler="/identity/v1/me", method="GET", status="5xx"}}',
                "values": "0+10x20",
            },
        ],
        "alert_rule_test": [
            {"eval_time": "3m", "alertname": "MosaicoModuleHighErrorRate", "exp_alerts": []},
            {
                "eval_time": "15m",
                "alertname": "MosaicoModuleHighErrorRate",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "critical", "module": "identity"},
                        "exp_annotations": {
                            "summary": "identity: more than 5% of requests fail with 5xx",
                            "description": "10% of identity requests answered 5xx over the last 5 minutes.",
                        },
                    }
                ],
            },
        ],
    },
    {
        "name": "a module whose pods stop answering, or that nobody scrapes, is reported down",
        "interval": "1m",
        "input_series": [
            {"series": f'up{{{IDENTITY}, pod="identity-0"}}', "values": "1 1 0x10"},
            {"series": 'up{job="crm", namespace="mosaico", pod="crm-0"}', "values": "1x12"},
        ],
        "alert_rule_test": [
            {"eval_time": "3m", "alertname": "MosaicoModuleDown", "exp_alerts": []},
            {
                "eval_time": "10m",
                "alertname": "MosaicoModuleDown",
                "exp_alerts": [down("identity"), down("finance"), down("notifications")],
            },
        ],
    },
    {
        "name": "a pod that cannot reach identity is an alert, not an unready pod",
        "interval": "1m",
        "input_series": [
            {
                "series": 'mosaico_dependency_up{job="crm", namespace="mosaico", pod="crm-0", module="crm", dependency="identity"}',
                "values": "1 1 0x10",
            },
            {
                "series": 'mosaico_dependency_up{job="crm", namespace="mosaico", pod="crm-1", module="crm", dependency="identity"}',
                "values": "1x12",
            },
        ],
        "alert_rule_test": [
            {"eval_time": "4m", "alertname": "MosaicoIdentityUnreachable", "exp_alerts": []},
            {
                "eval_time": "10m",
                "alertname": "MosaicoIdentityUnreachable",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "warning", "module": "crm"},
                        "exp_annotations": {
                            "summary": "crm: pods cannot reach identity",
                            "description": "1 crm pods have not reached identity's signing keys for 5 minutes; they stay ready and serve from cached keys and tenant status, but new tenants and rotated keys fail there.",
                        },
                    }
                ],
            },
        ],
    },
    {
        "name": "a circuit breaker that stays open alerts with the dependency it guards",
        "interval": "1m",
        "input_series": [
            {
                "series": 'mosaico_circuit_breaker_state{job="finance", namespace="mosaico", pod="finance-0", dependency="identity"}',
                "values": "0 0 2x10",
            },
        ],
        "alert_rule_test": [
            {"eval_time": "4m", "alertname": "MosaicoCircuitBreakerOpen", "exp_alerts": []},
            {
                "eval_time": "10m",
                "alertname": "MosaicoCircuitBreakerOpen",
                "exp_alerts": [
                    {
                        "exp_labels": {
                            "severity": "warning",
                            "module": "finance",
                            "dependency": "identity",
                        },
                        "exp_annotations": {
                            "summary": "finance: calls to a dependency are paused",
                            "description": "The circuit breaker from finance to identity has been open for 5 minutes: requests that need it answer 503.",
                        },
                    }
                ],
            },
        ],
    },
    {
        "name": "a tenant provisioning failure alerts at once, with its reason",
        "interval": "1m",
        "input_series": [
            {
                "series": f'mosaico_operator_reconcile_failures_total{{{OPERATOR}, reason="DatabaseUnavailable"}}',
                "values": "0 0 1 2 2 2",
            },
        ],
        "alert_rule_test": [
            {"eval_time": "1m", "alertname": "MosaicoTenantProvisioningFailed", "exp_alerts": []},
            {
                "eval_time": "4m",
                "alertname": "MosaicoTenantProvisioningFailed",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "warning", "reason": "DatabaseUnavailable"},
                        "exp_annotations": {
                            "summary": "Tenant provisioning is failing (DatabaseUnavailable)",
                            "description": "The operator recorded 2 provisioning failures with reason DatabaseUnavailable in 15 minutes; see the Tenants' status conditions and events.",
                        },
                    }
                ],
            },
        ],
    },
    {
        "name": "reconciles that keep failing fire the operator alert",
        "interval": "1m",
        "input_series": [
            {
                "series": f'mosaico_operator_reconciles_total{{{OPERATOR}, trigger="timer", outcome="ok"}}',
                "values": "0+8x30",
            },
            {
                "series": f'mosaico_operator_reconciles_total{{{OPERATOR}, trigger="timer", outcome="retry"}}',
                "values": "0+2x30",
            },
        ],
        "alert_rule_test": [
            {
                "eval_time": "25m",
                "alertname": "MosaicoOperatorReconcileErrors",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "warning"},
                        "exp_annotations": {
                            "summary": "Operator reconciles keep failing",
                            "description": "20% of reconciles failed or are retrying over 10 minutes.",
                        },
                    }
                ],
            },
        ],
    },
]


def event_alert(name: str, module: str, summary: str, description: str, **labels: str):
    return {
        "exp_labels": {"severity": "warning", "module": module, **labels},
        "exp_annotations": {"summary": summary, "description": description},
    }


FINANCE = 'job="finance", namespace="mosaico"'
CONSUMER = 'consumer="finance-payment-income"'
EVENT_UNIT_TESTS: list[dict[str, Any]] = [
    {
        "name": "a replica away from NATS for 5 minutes alerts; one replica's blip does not",
        "interval": "1m",
        "input_series": [
            {"series": f'mosaico_events_nats_connected{{{IDENTITY}, pod="identity-0", module="identity"}}',
             "values": "1 1 0x10"},
            {"series": f'mosaico_events_nats_connected{{{FINANCE}, pod="finance-0", module="finance"}}',
             "values": "1 0 0 1x10"},
        ],
        "alert_rule_test": [
            {"eval_time": "4m", "alertname": "MosaicoEventsNatsAway", "exp_alerts": []},
            {"eval_time": "10m", "alertname": "MosaicoEventsNatsAway", "exp_alerts": [event_alert(
                "MosaicoEventsNatsAway", "identity",
                "identity: a replica is not connected to NATS JetStream",
                "A identity replica has been away from NATS for 5 minutes: its events wait in the outbox and its consumers stop; it stays ready.",
            )]},
        ],
    },
    {
        "name": "a growing outbox and an old unpublished event alert (read with max: every replica reports the whole backlog)",
        "interval": "1m",
        "input_series": [
            {"series": f'mosaico_outbox_backlog{{{FINANCE}, pod="finance-0", module="finance"}}',
             "values": "0 600x20"},
            {"series": f'mosaico_outbox_backlog{{{FINANCE}, pod="finance-1", module="finance"}}',
             "values": "0 600x20"},
            {"series": f'mosaico_outbox_oldest_unpublished_age_seconds{{{FINANCE}, pod="finance-0", module="finance"}}',
             "values": "0+60x20"},
        ],
        "alert_rule_test": [
            {"eval_time": "15m", "alertname": "MosaicoOutboxBacklog", "exp_alerts": []},
            {"eval_time": "4m", "alertname": "MosaicoOutboxEventsStuck", "exp_alerts": []},
            {"eval_time": "12m", "alertname": "MosaicoOutboxEventsStuck", "exp_alerts": [{
                "exp_labels": {"severity": "critical", "module": "finance"},
                "exp_annotations": {
                    "summary": "finance: an event has waited more than 300s to be published",
                    "description": "The oldest unpublished finance event is 12m 0s old: consumers are not hearing of the module's changes.",
                },
            }]},
        ],
    },
    {
        "name": "a backlog past the threshold for 10 minutes alerts",
        "interval": "1m",
        "input_series": [
            {"series": f'mosaico_outbox_backlog{{{FINANCE}, pod="finance-0", module="finance"}}',
             "values": "0 1500x20"},
        ],
        "alert_rule_test": [
            {"eval_time": "5m", "alertname": "MosaicoOutboxBacklog", "exp_alerts": []},
            {"eval_time": "15m", "alertname": "MosaicoOutboxBacklog", "exp_alerts": [event_alert(
                "MosaicoOutboxBacklog", "finance",
                "finance: more than 1000 events wait in the outbox",
                "1500 finance events have not reached JetStream for 10 minutes (all tenant databases, as of the last sweep).",
            )]},
        ],
    },
    {
        "name": "publishes that keep failing alert",
        "interval": "1m",
        "input_series": [
            {"series": f'mosaico_events_publish_failures_total{{{FINANCE}, pod="finance-0", module="finance"}}',
             "values": "0+60x30"},
        ],
        "alert_rule_test": [
            {"eval_time": "8m", "alertname": "MosaicoEventPublishFailures", "exp_alerts": []},
            {"eval_time": "20m", "alertname": "MosaicoEventPublishFailures", "exp_alerts": [event_alert(
                "MosaicoEventPublishFailures", "finance",
                "finance: publishing events to JetStream keeps failing",
                "finance has failed 1 event publishes per second for 10 minutes; the events stay in the outbox and the sweeper retries them.",
            )]},
        ],
    },
    {
        "name": "a lagging consumer and one that keeps redelivering alert with its name",
        "interval": "1m",
        "input_series": [
            {"series": f'mosaico_events_consumer_pending{{{FINANCE}, pod="finance-0", module="finance", {CONSUMER}}}',
             "values": "0 5000x30"},
            {"series": f'mosaico_events_redeliveries_total{{{FINANCE}, pod="finance-0", module="finance", {CONSUMER}}}',
             "values": "0+60x30"},
        ],
        "alert_rule_test": [
            {"eval_time": "25m", "alertname": "MosaicoEventConsumerLagging", "exp_alerts": [event_alert(
                "MosaicoEventConsumerLagging", "finance",
                "finance: a consumer is more than 1000 events behind",
                "finance-payment-income has 5000 events on the stream not yet delivered to it, for 10 minutes.",
                consumer="finance-payment-income",
            )]},
            {"eval_time": "25m", "alertname": "MosaicoEventRedeliveries", "exp_alerts": [event_alert(
                "MosaicoEventRedeliveries", "finance",
                "finance: a consumer keeps failing and retrying events",
                "finance-payment-income redelivers 1 events per second: its handler fails or does not finish within the ack wait.",
                consumer="finance-payment-income",
            )]},
        ],
    },
    {
        "name": "a dead letter alerts within minutes, and stops once replayed",
        "interval": "1m",
        "input_series": [
            {"series": f'mosaico_events_dead_letter_depth{{{FINANCE}, pod="finance-0", module="finance"}}',
             "values": "0 0 1 1 1 0x30"},
            {"series": f'mosaico_events_dead_letters_total{{{FINANCE}, pod="finance-0", module="finance", {CONSUMER}}}',
             "values": "0 0 1x30"},
        ],
        "alert_rule_test": [
            {"eval_time": "1m", "alertname": "MosaicoEventDeadLetters", "exp_alerts": []},
            {"eval_time": "4m", "alertname": "MosaicoEventDeadLetters", "exp_alerts": [event_alert(
                "MosaicoEventDeadLetters", "finance",
                "finance: events are in the dead-letter stream",
                "1 events finance's consumers gave up on wait in the dead-letter stream: inspect and replay them at /finance/internal/dead-letters.",
            )]},
            {"eval_time": "30m", "alertname": "MosaicoEventDeadLetters", "exp_alerts": []},
        ],
    },
]  # fmt: skip


def test_every_backbone_metric_has_an_alert_and_a_panel(rendered: list[dict[str, Any]]) -> None:
    metrics = (
        "mosaico_outbox_backlog", "mosaico_outbox_oldest_unpublished_age_seconds",
        "mosaico_events_publish_failures_total", "mosaico_events_consumer_pending",
        "mosaico_events_redeliveries_total", "mosaico_events_dead_letter_depth",
        "mosaico_events_nats_connected",
    )  # fmt: skip
    groups = {g["name"]: g for g in rule_groups(rendered)}
    module_dashboards = {d["title"]: d for d in dashboards(rendered)}
    for module in ("identity", "crm", "finance", "notifications"):
        exprs = [rule["expr"] for rule in groups[f"mosaico-{module}"]["rules"]]
        panels = [t["expr"] for p in module_dashboards[f"Mosaico / {module}"]["panels"]
                  for t in p["targets"]]  # fmt: skip
        for metric in metrics:
            assert any(metric in e for e in exprs), (module, metric, "alert")
            assert any(metric in e for e in panels), (module, metric, "panel")


def test_without_nats_the_event_alerts_are_not_rendered(helm) -> None:
    from tests.charts.helm import MONITORING

    plain = helm.template(api_versions=[MONITORING], set_values=["global.nats.enabled=false"])
    names = {rule["alert"] for group in rule_groups(plain) for rule in group["rules"]}
    assert "MosaicoModuleDown" in names
    assert not {n for n in names if "Event" in n or "Outbox" in n}


def test_the_alerts_fire_on_the_series_they_watch(
    promtool: str, rules_file: Path, tmp_path: Path
) -> None:
    tests = tmp_path / "tests.yaml"
    tests.write_text(
        yaml.safe_dump(
            {
                "rule_files": [str(rules_file)],
                "evaluation_interval": "1m",
                "tests": UNIT_TESTS + EVENT_UNIT_TESTS,
            }
        )
    )
    result = subprocess.run([promtool, "test", "rules", str(tests)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
