"""Every chart passes `helm lint --strict`, with its defaults and with every option on
(lint cannot see a cluster: the generated Secrets are named as made beforehand)."""

from __future__ import annotations

import pytest

from tests.charts.helm import ALL_CHARTS, EXISTING_SECRETS, VALUES, Helm


@pytest.mark.parametrize("chart", ALL_CHARTS)
def test_every_chart_lints_clean(helm: Helm, chart: str) -> None:
    result = helm.run("lint", "--strict", helm.chart(chart), "--values", str(EXISTING_SECRETS))
    assert "0 chart(s) failed" in result.stdout, result.stdout


def test_the_umbrella_lints_clean_with_every_option_on(helm: Helm) -> None:
    result = helm.run(
        "lint", "--strict", helm.chart("mosaico"),
        "--values", str(EXISTING_SECRETS), "--values", str(VALUES / "full.yaml"),
    )  # fmt: skip
    assert "0 chart(s) failed" in result.stdout, result.stdout
