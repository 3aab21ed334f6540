"""Fixtures for the chart tests: the built helm and kubeconform and a built copy of the
charts. The install tests run on a control plane of their own (test_install.py), made
like the session's `kube` (tests/fixtures/kube.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.charts.helm import Helm, build_dependencies, copy_charts
from tests.fixtures.kube import BIN_DIR, ensure_test_binaries


@pytest.fixture(scope="session")
def k8s_bin() -> Path:
    """helm, kubectl and kubeconform, built once by tools/k8s-test-bins."""
    return ensure_test_binaries()


@pytest.fixture(scope="session")
def helm(k8s_bin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Helm]:
    work = tmp_path_factory.mktemp("helm")
    env = {
        **os.environ,
        "HELM_CACHE_HOME": str(work / "cache"),
        "HELM_CONFIG_HOME": str(work / "config"),
        "HELM_DATA_HOME": str(work / "data"),
        # No cluster: `helm template` and `helm lint` must never reach one.
        "KUBECONFIG": str(work / "no-kubeconfig"),
        "PATH": f"{k8s_bin}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    built = Helm(binary=k8s_bin / "helm", env=env, charts=copy_charts(work / "charts"))
    build_dependencies(built)
    return built


@pytest.fixture(scope="session")
def kubeconform_binary(k8s_bin: Path) -> Path:
    return BIN_DIR / "kubeconform"
