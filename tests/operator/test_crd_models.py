"""The models and the CRDs are one shape: each CRD file's spec and status schemas are
the models' (they are generated from them), and on data the API server and the models
accept and refuse the same specs and statuses, CEL rules included."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from mosaico_operator.crds.openapi import crd_schema
from mosaico_operator.models import (
    GROUP,
    VERSION,
    CamelModel,
    ModuleSpec,
    ObservedStatus,
    PlanSpec,
    TenantSpec,
    TenantStatus,
)
from pydantic import BaseModel, Field, ValidationError

from tests.fixtures.kube import REPO_ROOT
from tests.operator.objects import (
    CRDS,
    dry_run_write,
    module_object,
    plan_object,
    tenant_name,
    tenant_object,
)

KINDS: dict[str, tuple[str, type[BaseModel]]] = {
    "Tenant": ("tenants", TenantSpec),
    "Plan": ("plans", PlanSpec),
    "Module": ("modules", ModuleSpec),
}
DELETE = object()


#: Where the CRDs are installed from: kubectl (manifests/) and the operator chart.
CRD_DIRECTORIES = (CRDS, REPO_ROOT / "charts" / "mosaico-operator" / "crds")


def crd_root(directory: Path, plural: str) -> dict[str, Any]:
    crd = yaml.safe_load((directory / f"{plural}.{GROUP}.yaml").read_text())
    root: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return root


@pytest.mark.parametrize("directory", CRD_DIRECTORIES, ids=["manifests", "chart"])
@pytest.mark.parametrize(
    ("plural", "spec", "status"),
    [
        ("tenants", TenantSpec, TenantStatus),
        ("plans", PlanSpec, ObservedStatus),
        ("modules", ModuleSpec, ObservedStatus),
    ],
)
def test_each_crd_file_holds_its_models_shape_for_spec_and_status(
    directory: Path, plural: str, spec: type[BaseModel], status: type[BaseModel]
) -> None:
    root = crd_root(directory, plural)

    assert root["properties"]["spec"] == crd_schema(spec)
    assert root["properties"]["status"] == crd_schema(status)
    assert root["required"] == ["spec"]


def test_a_model_constraint_the_crd_cannot_say_stops_the_generation() -> None:
    class Patterned(CamelModel):
        code: str = Field(pattern="^[0-9]+$")

    with pytest.raises(ValueError, match="no CRD schema keyword for \\['pattern'\\]"):
        crd_schema(Patterned)


def tenant(**changes: Any) -> dict[str, Any]:
    return changed(tenant_object("shape"), changes)


def plan(**changes: Any) -> dict[str, Any]:
    return changed(plan_object("shape", ["identity", "crm"], maxUsers=5), changes)


def module(**changes: Any) -> dict[str, Any]:
    return changed(module_object("crm", "http://127.0.0.1:8000"), changes)


def changed(body: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``body`` with ``firstAdmin__cpf="..."`` set under spec (DELETE removes the key)."""
    body = copy.deepcopy(body)
    for path, value in changes.items():
        target = body["spec"]
        *parents, leaf = path.split("__")
        for key in parents:
            target = target.setdefault(key, {})
        if value is DELETE:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return body


SECRET = {"name": "shape-admin", "namespace": "mosaico", "key": "password"}

SPECS = [
    # Tenants the API server admits as written.
    pytest.param(tenant(), True, id="tenant"),
    pytest.param(tenant(cnpj="12.ABC.345/01DE-35"), True, id="tenant-alphanumeric-cnpj"),
    pytest.param(tenant(cnpj="11222333000181"), True, id="tenant-cnpj-digits-only"),
    pytest.param(tenant(firstAdmin__cpf="52998224725"), True, id="tenant-cpf-digits-only"),
    pytest.param(tenant(firstAdmin__whatsapp=DELETE), True, id="tenant-without-whatsapp"),
    pytest.param(tenant(firstAdmin__passwordSecretRef=DELETE), True, id="tenant-invited-admin"),
    pytest.param(
        tenant(limits={"maxUsers": 0, "maxProducts": 10, "maxTransactions": 2**40}),
        True,
        id="tenant-every-limit",
    ),
    pytest.param(
        tenant(modules=["identity", "crm", "commerce", "finance", "payments", "notifications"]),
        True,
        id="tenant-every-module",
    ),
    pytest.param(tenant(deletionPolicy="Delete", suspended=True), True, id="tenant-delete"),
    pytest.param(tenant(displayName="Ç" * 200), True, id="tenant-name-200-characters"),
    pytest.param(tenant(nickname="acme"), True, id="tenant-unknown-field-ignored"),
    # Tenants refused by the schema or by a CEL rule, and by the model.
    pytest.param(tenant(cnpj="1122233300018"), False, id="tenant-cnpj-short"),
    pytest.param(tenant(cnpj="11222333000181\n"), False, id="tenant-cnpj-newline"),
    pytest.param(tenant(cnpj="12ABC34501DEAB"), False, id="tenant-cnpj-letter-check-digits"),
    pytest.param(tenant(firstAdmin__cpf="529.982.247"), False, id="tenant-cpf-short"),
    pytest.param(tenant(firstAdmin__cpf="52998224725\n"), False, id="tenant-cpf-newline"),
    pytest.param(tenant(firstAdmin__email="maria"), False, id="tenant-email"),
    pytest.param(tenant(firstAdmin__whatsapp="ligue-me"), False, id="tenant-whatsapp"),
    pytest.param(tenant(firstAdmin__fullName=DELETE), False, id="tenant-admin-without-name"),
    pytest.param(tenant(firstAdmin__fullName=""), False, id="tenant-admin-empty-name"),
    pytest.param(
        tenant(firstAdmin__passwordSecretRef={**SECRET, "key": ""}),
        False,
        id="tenant-password-empty-key",
    ),
    pytest.param(
        tenant(firstAdmin__passwordSecretRef={"name": "x", "namespace": "mosaico"}),
        False,
        id="tenant-password-without-key",
    ),
    pytest.param(tenant(deletionPolicy="Keep"), False, id="tenant-deletion-policy"),
    pytest.param(tenant(modules=[]), False, id="tenant-no-modules"),
    pytest.param(tenant(modules=["crm", "erp"]), False, id="tenant-unknown-module"),
    pytest.param(tenant(modules=["crm", "crm"]), False, id="tenant-module-twice"),
    pytest.param(tenant(modules="crm"), False, id="tenant-modules-not-a-list"),
    pytest.param(tenant(displayName=""), False, id="tenant-empty-name"),
    pytest.param(tenant(displayName="Ç" * 201), False, id="tenant-name-201-characters"),
    pytest.param(tenant(displayName=5), False, id="tenant-name-a-number"),
    pytest.param(tenant(plan="Empresa"), False, id="tenant-plan-uppercase"),
    pytest.param(tenant(limits={"maxUsers": -1}), False, id="tenant-negative-limit"),
    pytest.param(tenant(limits={"maxUsers": "5"}), False, id="tenant-limit-a-string"),
    pytest.param(tenant(limits={"maxUsers": 5.5}), False, id="tenant-limit-a-fraction"),
    pytest.param(tenant(limits={"maxUsers": True}), False, id="tenant-limit-a-boolean"),
    pytest.param(tenant(limits={"maxUsers": 5.0}), True, id="tenant-limit-a-whole-float"),
    pytest.param(tenant(suspended="true"), False, id="tenant-suspended-a-string"),
    pytest.param(tenant(cnpj=DELETE), False, id="tenant-without-cnpj"),
    pytest.param(
        tenant(displayName=DELETE, display_name="Acme"), False, id="tenant-python-field-name"
    ),
    pytest.param(tenant(firstAdmin=DELETE), False, id="tenant-without-first-admin"),
    # Plans.
    pytest.param(plan(), True, id="plan"),
    pytest.param(plan(price="0", features=[], limits={}), True, id="plan-free"),
    pytest.param(plan(price="123456789.99"), True, id="plan-largest-price"),
    pytest.param(plan(price=199.9), False, id="plan-price-a-number"),
    pytest.param(plan(price="R$ 10"), False, id="plan-price-with-currency"),
    pytest.param(plan(price="1.999"), False, id="plan-price-three-decimals"),
    pytest.param(plan(price="1234567890"), False, id="plan-price-ten-digits"),
    pytest.param(plan(billingCycle="weekly"), False, id="plan-weekly"),
    pytest.param(plan(features=["pix", "pix"]), False, id="plan-feature-twice"),
    pytest.param(plan(features=["x" * 65]), False, id="plan-feature-too-long"),
    pytest.param(plan(modules=DELETE), False, id="plan-without-modules"),
    # Modules.
    pytest.param(module(), True, id="module"),
    pytest.param(module(onboardingPath=DELETE), True, id="module-default-onboarding-path"),
    pytest.param(
        module(serviceUrl="https://crm.tenants.svc.cluster.local:8443"), True, id="module-https"
    ),
    pytest.param(module(serviceUrl="http://127.0.0.1:8000"), False, id="module-outside"),
    pytest.param(module(serviceUrl="http://crm.mosaico.svc\n"), False, id="module-url-newline"),
    pytest.param(module(onboardingPath="/crm/onboard"), False, id="module-path-without-tenant"),
    pytest.param(module(onboardingPath="crm/{tenant}"), False, id="module-path-relative"),
    pytest.param(module(version=""), False, id="module-empty-version"),
    pytest.param(module(database__owner=DELETE), False, id="module-without-owner"),
    pytest.param(
        module(database__adminSecretRef__namespace="n" * 64), False, id="module-long-namespace"
    ),
]


def admitted(objects: client.CustomObjectsApi, plural: str, body: dict[str, Any]) -> bool:
    try:
        dry_run_write(objects, plural, body)
    except ApiException as refused:
        answer = (refused.status, refused.body)
    else:
        return True
    assert answer[0] == 422, answer  # refused for what the spec says, nothing else
    return False


def read(model: type[BaseModel], spec: dict[str, Any]) -> bool:
    try:
        model.model_validate(spec)
    except ValidationError:
        return False
    return True


@pytest.mark.slow
@pytest.mark.parametrize(("body", "valid"), SPECS)
def test_the_api_server_and_the_models_accept_and_refuse_the_same_specs(
    api: client.ApiClient, crds: list[str], body: dict[str, Any], valid: bool
) -> None:
    plural, model = KINDS[body["kind"]]
    objects = client.CustomObjectsApi(api)

    assert admitted(objects, plural, body) is valid
    assert read(model, body["spec"]) is valid


READY = {"type": "Ready", "status": "True", "reason": "Provisioned", "message": "ok"}
STATUS = {
    "phase": "Ready",
    "observedGeneration": 2,
    "modulesReady": "1/1",
    "conditions": [
        {**READY, "lastTransitionTime": "2026-12-03T05:50:00Z", "observedGeneration": 2},
        {"type": "DatabasesReady", "status": "Unknown"},
    ],
    "modules": {"crm": {"state": "Ready", "database": "crm_shape", "schemaVersion": "0001"}},
    "firstAdmin": "Created",
    "kopf": {"progress": {"provision": {"retries": 1}}},
}

STATUSES = [
    pytest.param(STATUS, True, id="status"),
    pytest.param({}, True, id="status-empty"),
    pytest.param(
        {"conditions": [{**READY, "lastTransitionTime": "2026-12-03T05:50:00.123+01:00"}]},
        True,
        id="status-offset-timestamp",
    ),
    pytest.param({"conditions": [READY, READY]}, False, id="status-condition-twice"),
    pytest.param({"conditions": [{**READY, "status": "Maybe"}]}, False, id="status-maybe"),
    pytest.param({"conditions": [{"status": "True"}]}, False, id="status-condition-no-type"),
    pytest.param(
        {"conditions": [{**READY, "lastTransitionTime": "yesterday"}]},
        False,
        id="status-timestamp-in-words",
    ),
    pytest.param({"phase": "P" * 33}, False, id="status-phase-too-long"),
    pytest.param({"observedGeneration": -1}, False, id="status-negative-generation"),
    pytest.param({"modules": {"crm": {"schemaVersion": 1}}}, False, id="status-version-number"),
    pytest.param({"modules": {"crm": "Ready"}}, False, id="status-module-a-string"),
]


@pytest.fixture(scope="module")
def status_tenant(objects: client.CustomObjectsApi, crds: list[str]) -> Iterator[str]:
    """A Tenant whose status updates are tried (dry run) against the CRD; its plan does
    not exist, so an operator of the session provisions nothing for it."""
    name = tenant_name("shape")
    body = tenant_object(name, plan="no-such-plan")
    objects.create_cluster_custom_object(GROUP, VERSION, "tenants", body)
    yield name
    objects.delete_cluster_custom_object(GROUP, VERSION, "tenants", name)


def status_admitted(objects: client.CustomObjectsApi, name: str, status: dict[str, Any]) -> bool:
    """Whether the API server takes ``status`` as the Tenant's whole status; an operator
    of the session may be writing the same Tenant's status, so a conflict is retried."""
    while True:
        current = objects.get_cluster_custom_object(GROUP, VERSION, "tenants", name)
        body = {**current, "status": status}
        try:
            objects.replace_cluster_custom_object_status(
                GROUP, VERSION, "tenants", name, body, dry_run="All"
            )
        except ApiException as refused:
            answer = (refused.status, refused.body)
        else:
            return True
        if answer[0] != 409:
            break
    assert answer[0] == 422, answer
    return False


@pytest.mark.slow
@pytest.mark.parametrize(("status", "valid"), STATUSES)
def test_the_api_server_and_the_models_accept_and_refuse_the_same_tenant_statuses(
    objects: client.CustomObjectsApi, status_tenant: str, status: dict[str, Any], valid: bool
) -> None:
    assert status_admitted(objects, status_tenant, status) is valid
    assert read(TenantStatus, status) is valid
