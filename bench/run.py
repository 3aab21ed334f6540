"""``make bench``: run every benchmark here and record the results in RESULTS.md.

Each benchmark is a module of this folder with a ``main() -> str`` that returns its
markdown section (its tables carry their own date, commit, machine, load generator,
load average and command); a benchmark that fails is recorded as failed and the others
go on. ``--quick`` (``make bench QUICK=1``) shortens every measurement and leaves out
the largest data sets, to finish in under two minutes.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
NOT_BENCHMARKS = {"harness", "lean_app", "run", "tenants"}
#: What ``--quick`` runs (the others need minutes each: a control plane, 500 Tenants).
QUICK = ("crm", "finance", "identity", "growth")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="short runs, smaller data")
    parser.add_argument("--no-record", action="store_true", help="print, leave RESULTS.md alone")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent))
    import harness

    harness.CONFIG.quick = args.quick
    harness.CONFIG.command = (
        "make bench"
        + (" QUICK=1" if args.quick else "")
        + (f" NAMES='{' '.join(args.names)}'" if args.names else "")
    )
    names = args.names or sorted(p.stem for p in HERE.glob("*.py") if p.stem not in NOT_BENCHMARKS)
    started = time.monotonic()
    sections = [
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — commit {harness.commit()}"
        + (" (quick)" if args.quick else "")
    ]
    failed = 0
    for name in names:
        print(f"bench: {name} ...", flush=True)
        try:
            section = importlib.import_module(name).main()
        except Exception:
            failed += 1
            section = f"### {name}\n\nFAILED:\n\n```\n{traceback.format_exc()[-2000:]}\n```"
        print(section, flush=True)
        sections.append(section)
    sections.append(f"All of it took {time.monotonic() - started:.0f} s.")
    if not args.no_record:
        results = HERE / "RESULTS.md"
        old = results.read_text() if results.exists() else ""
        previous = old[old.find("\n## ") + 1 :] if "\n## " in old else ""
        header = (
            "# Benchmark results\n\nNewest first. Each ratio is taken between endpoints "
            "measured side by side in the same run.\n"
        )
        results.write_text(header + "\n" + "\n\n".join(sections) + "\n\n" + previous.lstrip("\n"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
