"""Rendering the charts with the built helm, offline: no cluster, no chart repository."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.fixtures.kube import REPO_ROOT

CHARTS = REPO_ROOT / "charts"
#: Every module chart (a chart with templates/module.yaml), identity first: a new module's
#: chart is rendered, linted and installed the day it exists.
MODULE_CHARTS = tuple(
    sorted(
        (p.parent.parent.name for p in CHARTS.glob("*/templates/module.yaml")),
        key=lambda name: (name != "identity", name),
    )
)
# Order matters: a chart's file:// dependencies are built before the chart itself.
ALL_CHARTS = ("mosaico-lib", *MODULE_CHARTS, "mosaico-operator", "mosaico")
PROJECT_CRDS = REPO_ROOT / "manifests" / "crds"
THIRD_PARTY_CRDS = Path(__file__).parent / "third_party_crds"
VALUES = Path(__file__).parent / "values"
#: Every Secret the charts would generate, named as made beforehand: offline, helm cannot
#: read generated values back, and the charts refuse to invent new ones.
EXISTING_SECRETS = VALUES / "existing-secrets.yaml"

# API groups the full render needs that a bare cluster does not serve.
MONITORING = "monitoring.coreos.com/v1"
CNPG = "postgresql.cnpg.io/v1"


def project_crd_files() -> list[Path]:
    return sorted([*PROJECT_CRDS.glob("*.yaml"), *PROJECT_CRDS.glob("*.yml")])


@dataclass(frozen=True)
class Helm:
    """The built helm with its state in a temporary directory, and a copy of charts/
    whose dependencies are built (so tests never write into the working tree)."""

    binary: Path
    env: dict[str, str]
    charts: Path

    def run(
        self, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.binary), *args], input=input, capture_output=True, text=True,
            env=self.env, timeout=300,
        )  # fmt: skip
        if check and result.returncode != 0:
            raise AssertionError(f"helm {' '.join(args)} failed:\n{result.stderr}")
        return result

    def chart(self, name: str) -> str:
        return str(self.charts / name)

    def template(
        self,
        chart: str = "mosaico",
        *,
        values: Iterable[Path] = (),
        set_values: Sequence[str] = (),
        api_versions: Sequence[str] = (),
        namespace: str = "mosaico",
        release: str = "mosaico",
        existing_secrets: bool = True,
    ) -> list[dict[str, Any]]:
        """`helm template` as a list of objects."""
        return parse(self.template_text(chart, values=values, set_values=set_values,
                                        api_versions=api_versions, namespace=namespace,
                                        release=release, existing_secrets=existing_secrets))  # fmt: skip

    def template_text(
        self,
        chart: str = "mosaico",
        *,
        values: Iterable[Path] = (),
        set_values: Sequence[str] = (),
        api_versions: Sequence[str] = (),
        namespace: str = "mosaico",
        release: str = "mosaico",
        existing_secrets: bool = True,
    ) -> str:
        """`helm template`, naming EXISTING_SECRETS first unless ``existing_secrets`` is off."""
        args = ["template", release, self.chart(chart), "--namespace", namespace]
        for path in [*([EXISTING_SECRETS] if existing_secrets else []), *values]:
            args += ["--values", str(path)]
        for value in set_values:
            args += ["--set", value]
        for version in api_versions:
            args += ["--api-versions", version]
        return self.run(*args).stdout


def parse(text: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def copy_charts(destination: Path) -> Path:
    """A copy of charts/ without what `helm dependency build` wrote into it."""
    shutil.copytree(CHARTS, destination, ignore=shutil.ignore_patterns("charts", "Chart.lock"))
    return destination


def build_dependencies(helm: Helm) -> None:
    for name in ALL_CHARTS:
        if (helm.charts / name / "Chart.yaml").read_text().find("dependencies:") >= 0:
            helm.run("dependency", "build", "--skip-refresh", helm.chart(name))


def of_kind(objects: Iterable[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o.get("kind") == kind]


def named(objects: Iterable[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [o for o in of_kind(objects, kind) if o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]
