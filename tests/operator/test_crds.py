"""The CRDs: generated from Python, established on a real API server, and checking at
admission (OpenAPI + CEL) everything that needs no lookup."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from mosaico_operator.crds import all_definitions, render
from mosaico_operator.models import GROUP, VERSION, ModuleSpec, PlanSpec, TenantSpec
from mosaico_operator.service_urls import is_in_cluster

from tests.fixtures.kube import REPO_ROOT, KubeCluster
from tests.operator.objects import (
    CRDS,
    dry_run_write,
    module_object,
    plan_object,
    tenant_name,
    tenant_object,
)

SAMPLES = REPO_ROOT / "manifests" / "samples"


def test_the_crd_files_are_generated_from_the_python_definitions() -> None:
    expected = all_definitions()

    on_disk = {path.name: path.read_text() for path in CRDS.glob("*.yaml")}

    assert sorted(on_disk) == sorted(expected), "run: uv run python -m mosaico_operator.crds"
    for name, crd in expected.items():
        assert on_disk[name] == render(crd), (
            f"{name} is stale: uv run python -m mosaico_operator.crds"
        )


def test_the_samples_parse_as_the_operator_reads_them() -> None:
    kinds = {"Tenant": TenantSpec, "Plan": PlanSpec, "Module": ModuleSpec}
    seen = set()
    for path in SAMPLES.rglob("*.yaml"):
        for document in yaml.safe_load_all(path.read_text()):
            if document["kind"] in kinds:
                kinds[document["kind"]].model_validate(document["spec"])
                seen.add(document["kind"])
    assert seen == set(kinds)


@pytest.mark.slow
def test_the_crds_are_established_with_their_short_names(
    kube: KubeCluster, crds: list[str]
) -> None:
    resources = kube.kubectl("api-resources", f"--api-group={GROUP}", "-o", "wide").stdout

    for plural, short in (("tenants", "tn"), ("plans", "pl"), ("modules", "mod")):
        line = next(row for row in resources.splitlines() if row.startswith(plural + " "))
        assert f" {short} " in f" {line} "
        assert "false" in line.split()  # cluster-scoped: not namespaced
    assert {f"{p}.{GROUP}" for p in ("tenants", "plans", "modules")} <= set(crds)


@pytest.mark.slow
def test_the_samples_are_accepted_by_the_api_server(kube: KubeCluster, crds: list[str]) -> None:
    kube.kubectl("create", "namespace", "mosaico", check=False)

    result = kube.kubectl("apply", "--dry-run=server", "--recursive", "-f", str(SAMPLES))

    assert "tenant.mosaico.dev/acme created (server dry run)" in result.stdout


def _tenant(**changes: Any) -> dict[str, Any]:
    body = tenant_object(tenant_name())
    for path, value in changes.items():
        target = body
        *parents, leaf = path.split("__")
        for key in parents:
            target = target[key]
        target[leaf] = value
    return body


def _rejection(objects: client.CustomObjectsApi, plural: str, body: dict[str, Any]) -> str:
    with pytest.raises(ApiException) as refused:
        objects.create_cluster_custom_object(GROUP, VERSION, plural, body, dry_run="All")
    assert refused.value.status == 422, refused.value.body
    return str(refused.value.body)


TENANT_REJECTIONS = [
    pytest.param({"metadata__name": "a" * 41}, "at most 40 characters", id="name-too-long"),
    pytest.param({"metadata__name": "acme.corp"}, "DNS-safe", id="name-with-a-dot"),
    pytest.param({"spec__cnpj": "1122233300018"}, "cnpj must be 12 digits", id="cnpj-shape"),
    pytest.param({"spec__cnpj": "12ABC34501DEAB"}, "cnpj must be 12 digits", id="cnpj-letter-dv"),
    pytest.param({"spec__cnpj": "12ÁBC34501DE35"}, "cnpj must be 12 digits", id="cnpj-accent"),
    pytest.param({"spec__firstAdmin__cpf": "529.982.247"}, "cpf must be 11 digits", id="cpf-shape"),
    pytest.param({"spec__firstAdmin__email": "maria"}, "email must look like", id="email"),
    pytest.param(
        {"spec__deletionPolicy": "Keep"},
        "spec.deletionPolicy: Unsupported value",
        id="deletion-policy",
    ),
    pytest.param({"spec__modules": []}, "at least one module", id="no-modules"),
    pytest.param(
        {"spec__modules": ["crm", "erp"]}, "every module must be one of", id="unknown-module"
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("changes", "message"), TENANT_REJECTIONS)
def test_admission_refuses_a_tenant_it_can_judge_alone(
    api: client.ApiClient, crds: list[str], changes: dict[str, Any], message: str
) -> None:
    objects = client.CustomObjectsApi(api)

    assert message in _rejection(objects, "tenants", _tenant(**changes))


@pytest.mark.slow
def test_admission_accepts_a_valid_tenant(api: client.ApiClient, crds: list[str]) -> None:
    objects = client.CustomObjectsApi(api)
    body = _tenant()

    created = objects.create_cluster_custom_object(GROUP, VERSION, "tenants", body, dry_run="All")

    assert created["spec"]["deletionPolicy"] == "Retain"  # defaulted by the schema
    assert created["spec"]["suspended"] is False


@pytest.mark.slow
@pytest.mark.parametrize("cnpj", ["12ABC34501DE35", "12.ABC.345/01DE-35", "11.222.333/0001-81"])
def test_admission_accepts_numeric_and_alphanumeric_cnpjs(
    api: client.ApiClient, crds: list[str], cnpj: str
) -> None:
    objects = client.CustomObjectsApi(api)

    created = objects.create_cluster_custom_object(
        GROUP, VERSION, "tenants", _tenant(spec__cnpj=cnpj), dry_run="All"
    )

    assert created["spec"]["cnpj"] == cnpj


@pytest.mark.slow
def test_admission_refuses_plans_and_modules_it_can_judge_alone(
    api: client.ApiClient, crds: list[str]
) -> None:
    objects = client.CustomObjectsApi(api)
    bad_price = plan_object("caro", ["identity"])
    bad_price["spec"]["price"] = "R$ 10"
    bad_cycle = copy.deepcopy(plan_object("caro", ["identity"]))
    bad_cycle["spec"]["billingCycle"] = "weekly"
    unknown_module = module_object("erp", "http://erp.mosaico.svc:8000")

    assert "price must be a decimal" in _rejection(objects, "plans", bad_price)
    assert "weekly" in _rejection(objects, "plans", bad_cycle)
    assert "a Module is named after a known module" in _rejection(
        objects, "modules", unknown_module
    )


def _module_at(url: str) -> dict[str, Any]:
    module = module_object("crm", "http://127.0.0.1:8000")
    module["spec"]["serviceUrl"] = url
    return module


OUTSIDE_THE_CLUSTER = [
    "crm.mosaico.svc",
    "http://127.0.0.1:8000",
    "https://collector.example.com",
    "http://crm.mosaico.svc.example.com",
    "http://crm.mosaico.svc:8000/elsewhere",
    "http://crm.mosaico.svc:8000@example.com",
    "http://user@crm.mosaico.svc",
    "ftp://crm.mosaico.svc",
    "http://crm.svc",
    "http://crm.mosaico.svc.cluster.local.example.com",
    "http://CRM.mosaico.svc",
]
INSIDE_THE_CLUSTER = [
    "http://crm.mosaico.svc",
    "http://crm.mosaico.svc:8000",
    "https://crm-api.tenants-prod.svc.cluster.local:8443",
]


@pytest.mark.parametrize("url", OUTSIDE_THE_CLUSTER)
def test_a_module_url_outside_the_cluster_is_refused_at_admission(
    api: client.ApiClient, crds: list[str], url: str
) -> None:
    objects = client.CustomObjectsApi(api)
    assert "serviceUrl must be a Service inside the cluster" in _rejection(
        objects, "modules", _module_at(url)
    )
    assert not is_in_cluster(url)  # the operator's own check agrees


@pytest.mark.parametrize("url", INSIDE_THE_CLUSTER)
def test_a_service_url_inside_the_cluster_is_admitted(
    api: client.ApiClient, crds: list[str], url: str
) -> None:
    objects = client.CustomObjectsApi(api)
    dry_run_write(objects, "modules", _module_at(url))
    assert is_in_cluster(url)
