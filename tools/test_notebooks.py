"""Run every notebook under the given folders with ``pytest --nbval-lax``, one at a
time in a fresh kernel, and print each notebook's wall time against the budget.

    python tools/test_notebooks.py chapters [--budget 180]

Fails if a notebook fails, if pytest collects nothing from one (exit code 5), or if
no notebook is found at all.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--budget", type=float, default=180.0, help="seconds allowed per notebook")
    args = ap.parse_args()
    notebooks = sorted(p for f in args.folders for p in Path(f).rglob("*.ipynb")
                       if ".ipynb_checkpoints" not in p.parts)
    if not notebooks:
        print(f"error: no notebooks found under {args.folders}", file=sys.stderr)
        return 1
    rows, failed = [], []
    for nb in notebooks:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "--nbval-lax", "-p", "no:cacheprovider",
                               "--nbval-cell-timeout=600", str(nb)], capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if proc.returncode == 5:
            status = "NO TESTS COLLECTED"
        elif proc.returncode:
            status = "FAILED"
        else:
            status = "ok" if seconds <= args.budget else "ok (OVER BUDGET)"
        if proc.returncode:
            failed.append(nb)
            print(proc.stdout[-6000:], proc.stderr[-3000:], sep="\n")
        rows.append((str(nb), seconds, status))
        print(f"{seconds:7.1f} s  {status:18s} {nb}", flush=True)
    total = sum(s for _, s, _ in rows)
    print(f"\n{len(rows)} notebooks in {total:.0f} s (budget {args.budget:.0f} s each)")
    for name, seconds, status in rows:
        print(f"  {seconds:7.1f} s  {status:18s} {name}")
    if failed:
        print(f"error: {len(failed)} notebook(s) failed: {', '.join(map(str, failed))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
