"""``make tenant FILE=tenant.yaml``: provision a Tenant from its YAML into the stack
``make up`` is running, with the operator's own provisioning code.

The Tenant's plan is looked up by name in the Plans file (the samples by default). The
first admin gets a generated password, printed once, as the operator keeps one in a
Secret in a cluster.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from pathlib import Path
from typing import Any

import yaml
from mosaico_operator.models import PlanSpec, TenantSpec

from mosaico_devstack.callers import OPERATOR, LocalCallers
from mosaico_devstack.demo import provision_local_tenant
from mosaico_devstack.postgres import LocalPostgres
from mosaico_devstack.up import STACK_FILE


def _documents(path: Path, kind: str) -> list[dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
    return [d for d in docs if d.get("kind") == kind]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path, help="a YAML file holding one Tenant")
    parser.add_argument("--plans", type=Path, default=Path("manifests/samples/plans.yaml"))
    parser.add_argument("--state", type=Path, default=Path(".cache/devstack"))
    args = parser.parse_args(argv)
    stack_file = args.state / STACK_FILE
    if not stack_file.exists():
        print(f"make tenant: no stack is running from {args.state}: run make up first",
              file=sys.stderr)  # fmt: skip
        return 1
    stack = json.loads(stack_file.read_text())
    tenants = _documents(args.file, "Tenant")
    if len(tenants) != 1:
        print(f"make tenant: {args.file} holds {len(tenants)} Tenants, not one", file=sys.stderr)
        return 1
    tenant = tenants[0]
    slug = tenant["metadata"]["name"]
    spec = TenantSpec.model_validate(tenant["spec"])
    plans = {p["metadata"]["name"]: p for p in _documents(args.plans, "Plan")}
    if spec.plan not in plans:
        print(f"make tenant: no Plan {spec.plan!r} in {args.plans}", file=sys.stderr)
        return 1
    plan = PlanSpec.model_validate(plans[spec.plan]["spec"])
    password = secrets.token_urlsafe(12)
    postgres = LocalPostgres(
        args.state.resolve() / "postgres", port=stack["postgres_port"]
    ).attach()
    provision_local_tenant(
        postgres,
        stack["urls"],
        slug=slug,
        spec=spec,
        plan=plan,
        admin_password=password,
        operator_tokens=LocalCallers.ensure(
            args.state.resolve() / "callers", list(stack["urls"])
        ).tokens_dir(OPERATOR),
    )
    login = spec.first_admin.email
    print(
        f"Tenant {slug!r} is provisioned ({', '.join(spec.modules)}).\n"
        f"  curl -s {stack['urls']['identity']}/identity/v1/auth/login "
        f"-H 'content-type: application/json' \\\n"
        f'       -d \'{{"tenant": "{slug}", "login": "{login}", "password": "{password}"}}\''
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
