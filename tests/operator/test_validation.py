"""What admission cannot check is reported in status and Events, never a crash loop;
a dependency that is down is waited for, with a clear condition."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from kubernetes import client
from mosaico_devstack.postgres import LocalPostgres
from mosaico_operator.models import GROUP, VERSION

from tests.fixtures.kube import KubeCluster
from tests.operator.objects import (
    NAMESPACE,
    RunningOperator,
    Tenants,
    apply,
    database_exists,
    eventually,
    module_object,
    plan_object,
    tenant_name,
    tenant_object,
)

pytestmark = pytest.mark.slow


def failed_with(tenants: Tenants, name: str, reason: str) -> dict[str, Any]:
    tenants.wait_phase(name, "Failed")
    ready = tenants.condition(name, "Ready")
    assert (ready["status"], ready["reason"]) == ("False", reason), ready
    return ready


def test_a_cnpj_with_wrong_check_digits_is_reported_and_nothing_is_created(
    operator: RunningOperator, tenants: Tenants, postgres: LocalPostgres
) -> None:
    name = tenant_name()
    body = tenant_object(name)
    body["spec"]["cnpj"] = "11.222.333/0001-82"  # the right shape, the wrong last digit
    tenants.create(body)

    ready = failed_with(tenants, name, "InvalidCNPJ")

    assert "check digits" in ready["message"]
    assert not database_exists(postgres, f"identity_{name.replace('-', '_')}")
    eventually(lambda: tenants.has_event(name, "InvalidCNPJ"), what="an InvalidCNPJ Event")
    events = [(kind, reason) for kind, reason, _ in tenants.events(name)]
    assert ("Warning", "InvalidCNPJ") in events
    metrics = httpx.get(operator.metrics_url, timeout=10).text
    assert 'mosaico_operator_reconcile_failures_total{reason="InvalidCNPJ"}' in metrics


def test_a_first_admin_cpf_with_wrong_check_digits_is_reported(
    operator: RunningOperator, tenants: Tenants
) -> None:
    name = tenant_name()
    body = tenant_object(name)
    body["spec"]["firstAdmin"]["cpf"] = "529.982.247-24"
    tenants.create(body)

    failed_with(tenants, name, "InvalidCPF")


def test_fixing_an_invalid_spec_provisions_the_tenant(
    operator: RunningOperator, tenants: Tenants
) -> None:
    name = tenant_name()
    body = tenant_object(name, modules=["finance"])
    good_cnpj = body["spec"]["cnpj"]
    body["spec"]["cnpj"] = good_cnpj[:-1] + str((int(good_cnpj[-1]) + 1) % 10)
    tenants.create(body)
    failed_with(tenants, name, "InvalidCNPJ")

    tenants.patch_spec(name, cnpj=good_cnpj)

    tenants.wait_phase(name, "Ready")


def test_an_unknown_plan_is_reported_and_picked_up_once_the_plan_exists(
    operator: RunningOperator, tenants: Tenants, kube: KubeCluster
) -> None:
    name = tenant_name()
    plan = f"plan-{name}"
    tenants.create(tenant_object(name, modules=["finance"], plan=plan))

    ready = failed_with(tenants, name, "PlanNotFound")
    assert plan in ready["message"]

    apply(kube, plan_object(plan, ["identity", "finance"], maxUsers=5))
    # The drift timer re-examines failed tenants: no edit of the Tenant is needed.
    tenants.wait_phase(name, "Ready")


def test_a_module_outside_the_plan_is_reported(operator: RunningOperator, tenants: Tenants) -> None:
    name = tenant_name()
    tenants.create(tenant_object(name, modules=["crm", "finance"], plan="lojista"))

    ready = failed_with(tenants, name, "ModuleNotAllowed")

    assert "crm" in ready["message"]
    assert "lojista" in ready["message"]


def test_a_module_that_is_down_is_waited_for_with_a_clear_condition(
    operator: RunningOperator,
    tenants: Tenants,
    kube: KubeCluster,
    objects: client.CustomObjectsApi,
    platform: dict[str, str],
) -> None:
    # Its own module name would be better, but Module names are the known modules:
    # point payments at a port where nothing listens, then fix it.
    apply(kube, module_object("payments", "http://127.0.0.1:9"))
    try:
        name = tenant_name()
        tenants.create(tenant_object(name, modules=["payments"]))

        def waiting() -> dict[str, Any] | None:
            condition = tenants.condition(name, "ModulesReady")
            return condition if condition.get("reason") == "ModuleUnavailable" else None

        condition = eventually(waiting, what="a ModuleUnavailable condition")
        assert condition["status"] == "False"
        assert "payments" in condition["message"]
        status = tenants.status(name)
        assert status["phase"] == "Provisioning"
        assert status["modules"]["payments"]["state"] == "Waiting"
    finally:
        apply(kube, module_object("payments", platform["modules"]))

    tenants.wait_phase(name, "Ready")
    assert objects.get_cluster_custom_object(GROUP, VERSION, "modules", "payments")


def test_an_admin_secret_that_is_no_dsn_is_waited_for_and_never_quoted(
    operator: RunningOperator,
    tenants: Tenants,
    kube: KubeCluster,
    platform: dict[str, str],
) -> None:
    # A garbled Secret (a password pasted where the DSN goes): libpq's own error would
    # quote the word it stumbled on, here the password.
    garbled = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "payments-garbled", "namespace": NAMESPACE},
        "stringData": {"dsn": "host=127.0.0.1 user=postgres pasted-password-123"},
    }
    apply(kube, garbled, module_object("payments", platform["modules"], secret="payments-garbled"))
    try:
        name = tenant_name()
        tenants.create(tenant_object(name, modules=["payments"]))

        def waiting() -> dict[str, Any] | None:
            condition = tenants.condition(name, "Ready")
            return condition if condition.get("reason") == "InvalidDatabaseDsn" else None

        condition = eventually(waiting, what="an InvalidDatabaseDsn condition")
        assert "payments-garbled" in condition["message"]
        everything = str(tenants.get(name)) + str(tenants.events(name))
        assert "pasted-password-123" not in everything
        assert "pasted-password-123" not in operator.log.read_text()
    finally:
        apply(kube, module_object("payments", platform["modules"]))

    tenants.wait_phase(name, "Ready")
