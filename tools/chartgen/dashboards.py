"""Mosaico's Grafana dashboards, built with Grafana's Foundation SDK and written as JSON
into the charts that ship them (as ConfigMaps for the kube-prometheus-stack sidecar).

Every dashboard has the same variables: the Prometheus data source, the namespace, and
constants the chart sets when it renders (`job`: the Prometheus job of what the
dashboard shows, `top`: how many tenants the top-N panels list). The JSON holds their
defaults for an install with default values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from grafana_foundation_sdk.builders import common, dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import (
    LegendDisplayMode,
    LegendPlacement,
    SortOrder,
    TooltipDisplayMode,
    VisibilityMode,
)
from grafana_foundation_sdk.models.dashboard import DataSourceRef, VariableHide, VariableRefresh

DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
RATE = "[$__rate_interval]"
TOP_TENANTS = 10


@dataclass(frozen=True)
class Target:
    expr: str
    legend: str = "__auto"


@dataclass(frozen=True)
class Panel:
    title: str
    unit: str
    targets: Sequence[Target]
    kind: str = "timeseries"
    width: int = 12
    description: str = ""


def _target(ref: str, target: Target) -> prometheus.Dataquery:
    return (
        prometheus.Dataquery()
        .ref_id(ref)
        .datasource(DATASOURCE)
        .expr(target.expr)
        .legend_format(target.legend)
    )


def _panel(spec: Panel) -> Any:
    if spec.kind == "stat":
        built: Any = stat.Panel().reduce_options(
            common.ReduceDataOptions().calcs(["lastNotNull"]).values(False)
        )
    else:
        built = (
            timeseries.Panel()
            .line_width(1)
            .fill_opacity(10)
            .show_points(VisibilityMode.NEVER)
            .legend(
                common.VizLegendOptions()
                .show_legend(True)
                .display_mode(LegendDisplayMode.LIST)
                .placement(LegendPlacement.BOTTOM)
            )
            .tooltip(
                common.VizTooltipOptions().mode(TooltipDisplayMode.MULTI).sort(SortOrder.DESCENDING)
            )
        )
    built = built.title(spec.title).unit(spec.unit).datasource(DATASOURCE)
    built = built.span(spec.width).height(8)
    if spec.description:
        built = built.description(spec.description)
    for ref, target in zip("ABCDE", spec.targets, strict=False):
        built = built.with_target(_target(ref, target))
    return built


def _dashboard(
    *, title: str, uid: str, description: str, tags: list[str], job: str, panels: list[Panel]
) -> dict[str, Any]:
    built = (
        dashboard.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(tags)
        .editable()
        .refresh("30s")
        .time("now-6h", "now")
        .timezone("utc")
        .with_variable(
            dashboard.DatasourceVariable("datasource").label("Data source").type("prometheus")
        )
        .with_variable(
            dashboard.QueryVariable("namespace")
            .label("Namespace")
            .datasource(DATASOURCE)
            .query('label_values(up{job=~"$job"}, namespace)')
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        )
        .with_variable(dashboard.ConstantVariable("job").value(job))
        .with_variable(dashboard.ConstantVariable("top").value(str(TOP_TENANTS)))
    )
    for spec in panels:
        built = built.with_panel(_panel(spec))
    document: dict[str, Any] = json.loads(
        JSONEncoder(sort_keys=True, indent=2).encode(built.build())
    )
    document["editable"] = False
    for number, panel in enumerate(document["panels"], start=1):
        panel["id"] = number
    for variable in document["templating"]["list"]:
        variable.pop("id", None)  # the SDK's placeholder; Grafana identifies them by name
        if variable["type"] == "constant":
            variable["hide"] = VariableHide.HIDE_VARIABLE.value
    return document


def module_dashboard(module: str) -> dict[str, Any]:
    """RED metrics, per-tenant traffic and the event backbone of one module; the same
    for every module."""
    sel = 'job="$job", namespace=~"$namespace"'
    tenants = f'module="{module}", namespace=~"$namespace"'
    requests = f"sum(rate(http_requests_total{{{sel}}}{RATE}))"

    def share(status: str) -> str:
        return f'(sum(rate(http_requests_total{{{sel}, status="{status}"}}{RATE})) or vector(0)) / {requests}'

    def quantile(q: str, by: str = "le") -> str:
        return f"histogram_quantile({q}, sum by ({by}) (rate(http_request_duration_seconds_bucket{{{sel}}}{RATE})))"

    panels = [
        Panel("Requests per second by status", "reqps",
              [Target(f"sum by (status) (rate(http_requests_total{{{sel}}}{RATE}))", "{{status}}")]),
        Panel("Error ratio (5xx share of requests)", "percentunit",
              [Target(share("5xx"), "5xx"), Target(share("4xx"), "4xx")]),
        Panel("Latency (p50, p90, p99)", "s",
              [Target(quantile(q), f"p{q[2:].ljust(2, '0')}") for q in ("0.5", "0.9", "0.99")]),
        Panel("Slowest handlers (p99)", "s",
              [Target(f"topk(5, {quantile('0.99', 'le, handler')})", "{{handler}}")]),
        Panel("Top $top tenants by requests", "reqps",
              [Target(f"topk($top, sum by (tenant) (rate(mosaico_tenant_requests_total{{{tenants}}}{RATE})))", "{{tenant}}")]),
        Panel("Top $top tenants by errors (4xx and 5xx)", "reqps",
              [Target(f'topk($top, sum by (tenant, status) (rate(mosaico_tenant_requests_total{{{tenants}, status=~"4xx|5xx"}}{RATE})))', "{{tenant}} {{status}}")]),
        Panel("Replicas scraped", "short", [Target(f"sum(up{{{sel}}})", "up")], "stat", 6),
        Panel("Replicas ready / desired", "short", [
            Target('sum(kube_deployment_status_replicas_ready{deployment="$job", namespace=~"$namespace"})', "ready"),
            Target('sum(kube_deployment_spec_replicas{deployment="$job", namespace=~"$namespace"})', "desired"),
        ], "stat", 6, "From kube-state-metrics."),
        Panel("CPU per pod", "percentunit",
              [Target(f"sum by (pod) (rate(process_cpu_seconds_total{{{sel}}}{RATE}))", "{{pod}}")], width=6),
        Panel("Memory per pod", "bytes",
              [Target(f"sum by (pod) (process_resident_memory_bytes{{{sel}}})", "{{pod}}")], width=6),
        *event_panels(sel),
    ]  # fmt: skip
    return _dashboard(
        title=f"Mosaico / {module}",
        uid=f"mosaico-{module}"[:40],
        description=f"RED metrics and per-tenant traffic of the {module} module.",
        tags=["mosaico", "module", module],
        job=module,
        panels=panels,
    )


def event_panels(sel: str) -> list[Panel]:
    """The event backbone of one module: outbox relay, consumers, dead letters. Every
    replica reports the module's whole backlog and consumer state, so those are read
    with max; a module without consumers shows 0 for them."""
    none = " or on() vector(0)"
    panels = [
        Panel("Events published per second (after commit, by the sweeper)", "ops", [Target(
            f"sum by (path) (rate(mosaico_events_published_total{{{sel}}}{RATE}))", "{{path}}")]),
        Panel("Event publish failures per second", "ops", [Target(
            f"sum(rate(mosaico_events_publish_failures_total{{{sel}}}{RATE}))", "failures")],
            description="Publishes JetStream did not acknowledge; the sweeper retries them."),
        Panel("Outbox backlog", "short", [Target(
            f"max(mosaico_outbox_backlog{{{sel}}})", "waiting")],
            description="Events not yet published, over every tenant database (last sweep)."),
        Panel("Oldest unpublished event", "s", [Target(
            f"max(mosaico_outbox_oldest_unpublished_age_seconds{{{sel}}})", "age")]),
        Panel("Consumer lag (events not yet delivered)", "short", [
            Target(f"max by (consumer) (mosaico_events_consumer_pending{{{sel}}}){none}", "{{consumer}}"),
            Target(f"max by (consumer) (mosaico_events_consumer_ack_pending{{{sel}}}){none}",
                   "{{consumer}} in hand"),
        ]),
        Panel("Redeliveries per second", "ops", [Target(
            f"sum by (consumer) (rate(mosaico_events_redeliveries_total{{{sel}}}{RATE})){none}",
            "{{consumer}}")]),
        Panel("Dead letters", "short", [
            Target(f"max(mosaico_events_dead_letter_depth{{{sel}}})", "waiting"),
            Target(f"sum(increase(mosaico_events_dead_letters_total{{{sel}}}{RATE})){none}", "new"),
        ], description="Waiting in the dead-letter stream, and newly dead-lettered."),
        Panel("Replicas connected to NATS", "short", [
            Target(f"sum(mosaico_events_nats_connected{{{sel}}})", "connected"),
            Target(f"count(mosaico_events_nats_connected{{{sel}}})", "replicas"),
        ], "stat"),
    ]  # fmt: skip
    return panels


def overview_dashboard(modules: Sequence[str]) -> dict[str, Any]:
    """Every module side by side: traffic, errors, latency, tenants, the operator."""
    sel = 'job=~"$job", namespace=~"$namespace"'
    ns = 'namespace=~"$namespace"'
    panels = [
        Panel("Requests per second by module", "reqps",
              [Target(f"sum by (job) (rate(http_requests_total{{{sel}}}{RATE}))", "{{job}}")]),
        Panel("5xx ratio by module", "percentunit", [Target(
            f'(sum by (job) (rate(http_requests_total{{{sel}, status="5xx"}}{RATE})) or sum by (job) (rate(http_requests_total{{{sel}}}{RATE})) * 0) / sum by (job) (rate(http_requests_total{{{sel}}}{RATE}))',
            "{{job}}")]),
        Panel("p99 latency by module", "s", [Target(
            f"histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket{{{sel}}}{RATE})))", "{{job}}")]),
        Panel("Top $top tenants by requests (all modules)", "reqps", [Target(
            f"topk($top, sum by (tenant) (rate(mosaico_tenant_requests_total{{{ns}}}{RATE})))", "{{tenant}}")]),
        Panel("Outbox backlog by module", "short", [Target(
            f"max by (job) (mosaico_outbox_backlog{{{sel}}})", "{{job}}")]),
        Panel("Dead letters waiting by module", "short", [Target(
            f"max by (job) (mosaico_events_dead_letter_depth{{{sel}}})", "{{job}}")]),
        Panel("Active tenants per module (last hour)", "short", [Target(
            f"count by (module) (sum by (module, tenant) (increase(mosaico_tenant_requests_total{{{ns}}}[1h])) > 0)", "{{module}}")], "stat", 8),
        Panel("Replicas scraped by module", "short",
              [Target(f"sum by (job) (up{{{sel}}})", "{{job}}")], "stat", 8),
        Panel("Firing Mosaico alerts", "short", [Target(
            'count(ALERTS{alertstate="firing", alertname=~"Mosaico.*"}) or vector(0)', "alerts")], "stat", 8),
        Panel("Tenants by phase", "short",
              [Target(f"sum by (phase) (mosaico_operator_tenants{{{ns}}})", "{{phase}}")],
              width=24, description="From the operator."),
    ]  # fmt: skip
    return _dashboard(
        title="Mosaico / platform overview",
        uid="mosaico-overview",
        description="Every Mosaico module side by side: traffic, errors, latency, tenants.",
        tags=["mosaico", "overview"],
        job="|".join(modules),
        panels=panels,
    )


def operator_dashboard() -> dict[str, Any]:
    """Tenants by phase, reconcile rate, durations and errors."""
    sel = 'job="$job", namespace=~"$namespace"'
    duration = f"mosaico_operator_reconcile_duration_seconds_bucket{{{sel}}}{RATE}"
    panels = [
        Panel("Tenants by phase", "short",
              [Target(f"sum by (phase) (mosaico_operator_tenants{{{sel}}})", "{{phase}}")]),
        Panel("Reconciles per second by outcome", "ops", [Target(
            f"sum by (outcome) (rate(mosaico_operator_reconciles_total{{{sel}}}{RATE}))", "{{outcome}}")]),
        Panel("Reconcile duration (p50, p99)", "s", [
            Target(f"histogram_quantile(0.5, sum by (le) (rate({duration})))", "p50"),
            Target(f"histogram_quantile(0.99, sum by (le) (rate({duration})))", "p99"),
        ]),
        Panel("Reconcile errors and failures by reason", "short", [
            Target(f'sum(increase(mosaico_operator_reconciles_total{{{sel}, outcome!="ok"}}{RATE}))', "failed or retrying"),
            Target(f"sum by (reason) (increase(mosaico_operator_reconcile_failures_total{{{sel}}}{RATE}))", "{{reason}}"),
        ]),
    ]  # fmt: skip
    return _dashboard(
        title="Mosaico / operator",
        uid="mosaico-operator",
        description="Tenants by phase, reconcile rate, durations and errors.",
        tags=["mosaico", "operator"],
        job="mosaico-operator-metrics",
        panels=panels,
    )


def dashboard_text(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
