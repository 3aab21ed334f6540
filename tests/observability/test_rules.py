"""The alert rules the charts ship are valid and fire when they should."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.observability.promql import rule_groups


def test_promtool_accepts_every_rule(
    promtool: str, rules_file: Path, rendered: list[dict[str, Any]]
) -> None:
    groups = rule_groups(rendered)
    assert {g["name"] for g in groups} == {
        "mosaico-identity",
        "mosaico-crm",
        "mosaico-finance",
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
                "exp_alerts": [down("identity"), down("finance")],
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


def test_the_alerts_fire_on_the_series_they_watch(
    promtool: str, rules_file: Path, tmp_path: Path
) -> None:
    tests = tmp_path / "tests.yaml"
    tests.write_text(
        yaml.safe_dump(
            {"rule_files": [str(rules_file)], "evaluation_interval": "1m", "tests": UNIT_TESTS}
        )
    )
    result = subprocess.run([promtool, "test", "rules", str(tests)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
