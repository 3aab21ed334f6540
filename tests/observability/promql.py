"""The PromQL the charts ship: alert rules and Grafana dashboard panels, as rendered."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# What Grafana substitutes before a query reaches Prometheus, as the test scrape sees it.
GRAFANA_VARIABLES = {
    "$__rate_interval": "1m",
    "$__interval": "15s",
    "$__range": "5m",
    "$namespace": "mosaico",
}

# Panels whose data only a cluster can produce; everything else must show data after
# some traffic to a locally running service.
NEEDS_A_CLUSTER = {
    # kube-state-metrics (Deployment status) exists only in a cluster.
    ("Mosaico / identity", "Replicas ready / desired"),
    ("Mosaico / crm", "Replicas ready / desired"),
    ("Mosaico / finance", "Replicas ready / desired"),
    ("Mosaico / notifications", "Replicas ready / desired"),
}


@dataclass(frozen=True)
class Query:
    source: str  # "rule <group>/<alert>" or "dashboard <title> / <panel>"
    expr: str
    dashboard: str = ""
    panel: str = ""
    constants: tuple[tuple[str, str], ...] = ()  # the dashboard's constant variables

    @property
    def promql(self) -> str:
        expr = self.expr
        # Longest names first: $job before a hypothetical $jo.
        for name, value in sorted(self.constants, key=lambda c: -len(c[0])):
            expr = expr.replace(f"${name}", value)
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        assert "$" not in expr, f"unsubstituted variable in {self.source}: {expr}"
        return expr


def rule_groups(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [g for o in objects if o["kind"] == "PrometheusRule" for g in o["spec"]["groups"]]


def dashboards(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for config_map in (o for o in objects if o["kind"] == "ConfigMap"):
        if config_map["metadata"].get("labels", {}).get("grafana_dashboard") == "1":
            found.extend(json.loads(text) for text in config_map["data"].values())
    return found


def rule_queries(objects: list[dict[str, Any]]) -> list[Query]:
    return [
        Query(f"rule {group['name']}/{rule.get('alert') or rule.get('record')}", rule["expr"])
        for group in rule_groups(objects)
        for rule in group["rules"]
    ]


def constants(dashboard: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The dashboard's constant variables, which Grafana puts into queries as they are."""
    return tuple(
        (variable["name"], str(variable["query"]))
        for variable in dashboard.get("templating", {}).get("list", [])
        if variable.get("type") == "constant"
    )


def panel_queries(dashboard: dict[str, Any]) -> list[Query]:
    return [
        Query(
            f"dashboard {dashboard['title']} / {panel['title']}",
            target["expr"],
            dashboard["title"],
            panel["title"],
            constants(dashboard),
        )
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def variable_queries(dashboard: dict[str, Any]) -> list[Query]:
    """The series selectors inside the dashboard's `label_values(<selector>, label)` variables."""
    queries = []
    for variable in dashboard.get("templating", {}).get("list", []):
        match = re.fullmatch(r"label_values\((.+),\s*\w+\)", str(variable.get("query", "")))
        if match:
            queries.append(
                Query(
                    f"dashboard {dashboard['title']} / ${variable['name']}",
                    match.group(1),
                    constants=constants(dashboard),
                )
            )
    return queries
