"""Provisioning time per Tenant at 10, 100 and 500 Tenants applied at once: the
operator's time to all Ready divided by the Tenants, beside the no-operator floor's,
to show the cost per Tenant stays flat as the platform grows.

Each size is one run of ``tenant_provisioning`` (its own control plane, PostgreSQL and
services). Left out of ``--quick``. Run:
``uv run --group bench python bench/run.py provisioning_growth``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import tenant_provisioning
from harness import CONFIG, Section

SIZES = (10, 100, 500)


def _seconds(section: str, measure: str) -> float:
    found = re.search(rf"\| {re.escape(measure)} \| ([0-9.]+) s \|", section)
    if found is None:
        raise RuntimeError(f"no {measure!r} in:\n{section}")
    return float(found.group(1))


def main() -> str:
    if CONFIG.quick:
        return "### provisioning growth\n\nLeft out of --quick."
    section = Section("provisioning growth: time per Tenant (4 modules each)")
    rows = ["| Tenants | operator: apply -> all Ready | per Tenant | floor per Tenant |",
            "|---:|---:|---:|---:|"]  # fmt: skip
    for tenants in SIZES:
        print(f"provisioning growth: {tenants} Tenants ...", flush=True)
        result = tenant_provisioning.main(tenants=tenants, timeout=3600)
        operator = _seconds(result, "operator: apply -> all Ready")
        floor = _seconds(result, "floor: create + migrate, no operator")
        rows.append(f"| {tenants} | {operator:.1f} s | {operator / tenants * 1000:.0f} ms | "
                    f"{floor / tenants * 1000:.0f} ms |")  # fmt: skip
    return section.render(*rows)


if __name__ == "__main__":
    CONFIG.command = "uv run --group bench python bench/provisioning_growth.py"
    print(main())
