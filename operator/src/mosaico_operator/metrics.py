"""The operator's Prometheus metrics, served on their own port."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server


class OperatorMetrics:
    """Reconciles, their durations and failures, and tenants by phase."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.reconciles = Counter(
            "mosaico_operator_reconciles_total",
            "Tenant reconciles by trigger and outcome.",
            ["trigger", "outcome"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "mosaico_operator_reconcile_duration_seconds",
            "Time to reconcile one tenant.",
            ["trigger"],
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
            registry=self.registry,
        )
        self.failures = Counter(
            "mosaico_operator_reconcile_failures_total",
            "Failed reconciles by reason (DatabaseUnavailable, InvalidCNPJ, ...).",
            ["reason"],
            registry=self.registry,
        )
        self.tenants = Gauge(
            "mosaico_operator_tenants", "Tenants by phase.", ["phase"], registry=self.registry
        )
        self.drift_repairs = Counter(
            "mosaico_operator_drift_repairs_total",
            "Databases recreated by the drift timer.",
            ["module"],
            registry=self.registry,
        )
        self.identity_requests = Counter(
            "mosaico_operator_identity_requests_total",
            "Requests sent to identity's internal tenant API by request and outcome (a "
            "drift tick with nothing to tell identity sends none).",
            ["request", "outcome"],
            registry=self.registry,
        )
        self._phases: dict[str, str] = {}

    def count_identity_request(self, request: str, outcome: str) -> None:
        self.identity_requests.labels(request, outcome).inc()

    def set_phase(self, tenant: str, phase: str | None) -> None:
        """Record the tenant's phase (None when it is gone) and refresh the gauge."""
        if phase is None:
            self._phases.pop(tenant, None)
        else:
            self._phases[tenant] = phase
        counts: dict[str, int] = {}
        for value in self._phases.values():
            counts[value] = counts.get(value, 0) + 1
        for known in ("Pending", "Provisioning", "Ready", "Suspended", "Failed", "Deleting"):
            self.tenants.labels(known).set(counts.get(known, 0))

    def serve(self, port: int) -> None:
        start_http_server(port, registry=self.registry)
