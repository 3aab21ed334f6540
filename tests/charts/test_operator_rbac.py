"""The operator's RBAC is written twice: in its chart, and in manifests/operator-rbac.yaml,
the RBAC the operator tests run the operator under (tests/operator/conftest.py). Proven
enough there, it is least privilege in the chart only if both grant the same."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.charts.helm import Helm
from tests.fixtures.kube import REPO_ROOT

MANIFEST = REPO_ROOT / "manifests" / "operator-rbac.yaml"
ROLE_KINDS = ("ClusterRole", "Role")
RELEASE = NAMESPACE = "mosaico"

Rule = tuple[tuple[str, ...], ...]


def normalised(rule: dict[str, Any]) -> Rule:
    """A rule with each list sorted, so the order things are written in does not count."""
    fields = ("apiGroups", "resources", "verbs", "resourceNames", "nonResourceURLs")
    return tuple(tuple(sorted(rule.get(field) or ())) for field in fields)


def grants(objects: list[dict[str, Any]], *, release: str = "") -> dict[tuple[str, ...], Any]:
    """(kind, name, namespace) of each ClusterRole and Role -> its sorted rules; names lose
    the chart's release prefix."""
    found = {}
    for role in objects:
        if role.get("kind") not in ROLE_KINDS:
            continue
        name = role["metadata"]["name"].removeprefix(f"{release}-" if release else "")
        key = (role["kind"], name, role["metadata"].get("namespace", ""))
        found[key] = sorted(normalised(rule) for rule in role["rules"])
    return found


@pytest.fixture(scope="module")
def chart_grants(helm: Helm) -> dict[tuple[str, ...], Any]:
    """The operator chart with its defaults (peering on, Secrets of its namespace only),
    as installed by the umbrella chart's release in namespace mosaico."""
    rendered = helm.template("mosaico-operator", release=RELEASE, namespace=NAMESPACE)
    return grants(rendered, release=RELEASE)


def test_the_chart_and_the_manifest_grant_the_operator_the_same_rules(
    chart_grants: dict[tuple[str, ...], Any],
) -> None:
    manifest = grants([doc for doc in yaml.safe_load_all(MANIFEST.read_text()) if doc])

    assert sorted(chart_grants) == sorted(manifest)
    for role, rules in manifest.items():
        assert chart_grants[role] == rules, role


def test_the_roles_are_the_operators_and_in_its_namespace(
    chart_grants: dict[tuple[str, ...], Any],
) -> None:
    assert sorted(chart_grants) == [
        ("ClusterRole", "mosaico-operator", ""),
        ("ClusterRole", "mosaico-operator-kopf", ""),
        ("Role", "mosaico-operator", NAMESPACE),
    ]
