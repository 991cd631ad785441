"""Run every notebook under the given folders with ``pytest --nbval-lax``, one at a
time in a fresh kernel, keep each executed notebook, check that its figures are
there, and print each notebook's wall time against the budget.

    python tools/test_notebooks.py chapters [--budget 180] [--executed _build/executed]
    python tools/test_notebooks.py chapters/06-policy-optimisation --seeds 0-4
    python tools/test_notebooks.py chapters --jobs 2 --times _build/notebook-times.json

The executed notebooks (outputs included) are written under ``--executed``; the
strict site build renders those, so the site shows what this run computed. A cell that
calls ``plt.show()`` or the book's explorer must come out with an image.

``--seeds`` runs each notebook once per ``BOOK_SEED`` (a list such as ``0,2`` or a
range such as ``0-4``), to set thresholds that hold for any seed; the first seed's executed
notebooks go to ``--executed``, the others' to ``<executed>-seed<N>`` beside it.

``--times`` writes each notebook's seconds to a JSON file, from which
``tools/running_times.py`` writes the "Running time" paragraph every notebook opens with.

Fails if a notebook fails, if pytest collects nothing from one (exit code 5), if a
drawing cell has no image, or if no notebook is found at all.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from notebook_figures import drawing_cells, missing_figures  # noqa: E402


def parse_seeds(text: str) -> list[int]:
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        lo, sep, hi = part.partition("-")
        if not lo.isdigit() or (sep and not hi.isdigit()):
            raise argparse.ArgumentTypeError(f"--seeds: expected e.g. '0,1,2' or '0-4', got {text!r}")
        seeds.extend(range(int(lo), int(hi) + 1) if sep else [int(lo)])
    if not seeds:
        raise argparse.ArgumentTypeError("--seeds: no seed given")
    return seeds


def run_one(nb: Path, seed: int | None, executed: Path | None, threads: int | None = None,
            cell_timeout: int = 600):
    """Run one notebook under nbval; return the finished process and each code cell's seconds."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])))
    env.pop("MPLBACKEND", None)           # kernels draw inline; utils.setup also insists
    if seed is not None:
        env["BOOK_SEED"] = str(seed)
    if threads is not None:               # notebooks run side by side share the cores
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(threads)
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "cells.xml"
        cmd = [sys.executable, "-m", "pytest", "-q", "--nbval-lax", "-p", "no:cacheprovider", "-p", "nbval_keep",
               f"--nbval-cell-timeout={cell_timeout}", f"--junitxml={report}", str(nb)]
        if executed is not None:
            cmd[-1:-1] = ["--executed-dir", str(executed)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
        cells = []
        if report.exists():
            cells = [float(case.get("time", 0.0)) for case in ET.parse(report).iter("testcase")]
    return proc, cells


def where_the_time_went(cells: list[float]) -> str:
    """The setup cell (kernel warm-up and imports) and the slowest other cell."""
    if not cells:
        return ""
    rest = cells[1:]
    k = max(range(len(rest)), key=rest.__getitem__) if rest else None
    return (f"setup {cells[0]:.1f} s" + (f", slowest cell {k + 1} {rest[k]:.1f} s" if k is not None else ""))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("folders", nargs="+", help="folders of notebooks, or notebook files")
    ap.add_argument("--budget", type=float, default=180.0,
                    help="seconds allowed per notebook (a cell may run for this long, and for at least 600 s)")
    ap.add_argument("--executed", default=str(ROOT / "_build" / "executed"),
                    help="folder for the executed notebooks ('' keeps none and skips the figure check)")
    ap.add_argument("--seeds", type=parse_seeds, default=None, help="run under these BOOK_SEEDs, e.g. 0-4")
    ap.add_argument("--times", default="",
                    help="write each notebook's seconds (first seed) to this JSON file, for tools/running_times.py")
    ap.add_argument("--jobs", type=int, default=1,
                    help="notebooks run side by side, each with cores/jobs threads (default 1: one at a time)")
    args = ap.parse_args()
    if args.jobs < 1:
        ap.error("--jobs must be at least 1")
    notebooks = sorted({p.resolve() for f in map(Path, args.folders)
                        for p in ([f] if f.suffix == ".ipynb" else f.rglob("*.ipynb"))
                        if p.exists() and ".ipynb_checkpoints" not in p.parts})
    if not notebooks:
        print(f"error: no notebooks found under {args.folders}", file=sys.stderr)
        return 1
    executed = Path(args.executed).resolve() if args.executed else None
    seeds = args.seeds or [None]
    threads = max(1, (os.cpu_count() or 1) // args.jobs) if args.jobs > 1 else None
    runs = [(nb, k, seed) for nb in notebooks for k, seed in enumerate(seeds)]

    def one(job):
        nb, k, seed = job
        keep = executed if k == 0 or executed is None else executed.parent / f"{executed.name}-seed{seed}"
        start = time.perf_counter()                                          # other seeds: kept apart
        proc, cells = run_one(nb, seed, keep, threads, max(600, int(args.budget)))
        return job, keep, proc, cells, time.perf_counter() - start

    rows, failed = [], []
    wall = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for (nb, k, seed), keep, proc, cells, seconds in pool.map(one, runs):
            rel = nb.relative_to(ROOT) if nb.is_relative_to(ROOT) else nb
            problem = ""
            if proc.returncode == 5:
                status = "NO TESTS COLLECTED"
            elif proc.returncode:
                status = "FAILED"
            else:
                status = "ok" if seconds <= args.budget else "ok (OVER BUDGET)"
                if keep is not None:
                    out = keep / rel
                    if not out.exists():
                        status, problem = "FAILED", f"no executed notebook written to {out}"
                    else:
                        lost = missing_figures(nbformat.read(str(out), as_version=4))
                        if lost:
                            status = "FAILED (NO FIGURE)"
                            problem = (f"code cell(s) {lost} call plt.show() or explore() but have no image output "
                                       "(is the kernel's matplotlib backend non-interactive?)")
            if status.startswith("FAILED") or proc.returncode:
                failed.append(f"{rel}" + (f" (seed {seed})" if seed is not None else ""))
                print(proc.stdout[-6000:], proc.stderr[-3000:], problem, sep="\n")
            label = f"seed {seed}" if seed is not None else ""
            rows.append((str(rel), label, seconds, status, where_the_time_went(cells), cells[0] if cells else 0.0))
            print(f"{seconds:7.1f} s  {status:18s} {label:8s} {rel}  ({rows[-1][4]})", flush=True)
    wall = time.perf_counter() - wall
    total = sum(r[2] for r in rows)
    setup = sum(r[5] for r in rows)
    print(f"\n{len(rows)} notebook runs: {total:.0f} s of notebook time ({setup:.0f} s of it in setup cells: "
          f"kernel start and imports), {wall:.0f} s wall clock with {args.jobs} at a time "
          f"(budget {args.budget:.0f} s each)")
    for name, label, seconds, status, where, _ in rows:
        print(f"  {seconds:7.1f} s  {status:18s} {label:8s} {name}  ({where})")
    if executed is not None:
        figs = sum(drawing_cells(nbformat.read(str(executed / Path(n)), as_version=4))
                   for n in {r[0] for r in rows if r[3].startswith("ok")} if (executed / Path(n)).exists())
        print(f"executed notebooks in {executed} ({figs} drawing cells, each with its image)")
    if args.times:
        first = {name: round(seconds, 1) for name, label, seconds, status, _, _ in rows
                 if status.startswith("ok") and label in ("", f"seed {seeds[0]}")}
        Path(args.times).parent.mkdir(parents=True, exist_ok=True)
        Path(args.times).write_text(json.dumps(first, indent=1, sort_keys=True) + "\n")
        print(f"times of {len(first)} notebooks written to {args.times}")
    if failed:
        print(f"error: {len(failed)} notebook run(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
