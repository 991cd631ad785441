"""Each notebook states how long it runs: a "Running time" paragraph at the end of its
first cell, written from times that were measured, never typed by hand.

    python tools/test_notebooks.py chapters --jobs 2 --times quick.json      # quick, as make test runs it
    BOOK_PROFILE=full python tools/test_notebooks.py chapters/05-rl-basics --jobs 2 --budget 900 --times full.json
    python tools/running_times.py --quick quick.json [--full full.json]

The measured seconds go into the notebook's metadata (``book.time``), and the paragraph is
rendered from them (``tests/test_book.py`` checks that the two agree). A notebook is
*CPU-only* when ``book.time.cpu_only`` is true: it computes on the CPU whatever the machine
has, so its ``full`` time measured on two CPU cores holds on a GPU runtime too (Colab's
included). For the other notebooks ``full`` is meant for a GPU; without a ``full`` time
measured on one, the paragraph says what ``full`` does and states no time.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
MARK = "**Running time.**"


def minutes(seconds: float) -> str:
    """A measured time as a reader wants it: 'under a minute', 'about 2 min', 'about 1 h 10 min'."""
    if seconds < 0:
        raise ValueError(f"seconds must be >= 0, got {seconds!r}")
    if seconds < 60:
        return "under a minute"
    m = max(1, round(seconds / 60))
    return f"about {m} min" if m < 60 else f"about {m // 60} h {m % 60:02d} min"


def paragraph(time: dict) -> str:
    """The 'Running time' paragraph for a notebook's ``book.time`` metadata."""
    quick, full, cpu_only = time.get("quick_s"), time.get("full_s"), bool(time.get("cpu_only"))
    if quick is None:
        raise ValueError("book.time has no quick_s: run the notebook in the quick profile first")
    said = minutes(quick)
    text = f"{MARK} {said[0].upper()}{said[1:]} in the `quick` profile"
    if cpu_only and full is not None:
        return (text + f" and {minutes(full)} in `full`, measured on two CPU cores running two pages at a "
                "time. This page computes on the CPU only, so a GPU runtime (Colab's too) takes about as long.")
    if full is not None:
        return text + f" (two CPU cores) and {minutes(full)} in `full` on one GPU ({time.get('full_on', 'GPU')})."
    return (text + ", measured on two CPU cores running two pages at a time. The `full` profile (larger "
            "models, longer runs) is meant for a GPU.")


def write(nb_path: Path, time: dict) -> bool:
    """Store ``time`` in the notebook's metadata and rewrite its paragraph; True if anything changed."""
    nb = nbformat.read(str(nb_path), as_version=4)
    first = nb.cells[0]
    if first.cell_type != "markdown":
        raise ValueError(f"{nb_path}: the first cell is not the markdown introduction")
    lines = first.source.rstrip("\n").split("\n\n")
    kept = [p for p in lines if not p.startswith(MARK)]
    source = "\n\n".join(kept + [paragraph(time)])
    book = nb.metadata.setdefault("book", {})
    if first.source == source and book.get("time") == time:
        return False
    first.source, book["time"] = source, time
    nbformat.write(nb, str(nb_path))
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", type=Path, help="times of a quick run (test_notebooks.py --times)")
    ap.add_argument("--full", type=Path, help="times of a full run (test_notebooks.py --times)")
    ap.add_argument("--full-on", default=None, help="the GPU a full run of GPU pages was timed on, e.g. 'T4'")
    args = ap.parse_args()
    if not (args.quick or args.full):
        ap.error("give --quick and/or --full")
    runs = {k: json.loads(p.read_text()) for k, p in (("quick_s", args.quick), ("full_s", args.full)) if p}
    names = sorted(set().union(*runs.values()))
    changed = 0
    for name in names:
        path = ROOT / name
        if not path.exists():
            print(f"error: {name} (named in the times) does not exist", file=sys.stderr)
            return 1
        time = dict(nbformat.read(str(path), as_version=4).metadata.get("book", {}).get("time", {}))
        for key, times in runs.items():
            if name in times:
                time[key] = round(float(times[name]))
        if name in runs.get("full_s", {}) and not time.get("cpu_only"):
            if not args.full_on:
                print(f"error: {name} computes on the GPU in `full`: give --full-on with the GPU "
                      "its full time was measured on", file=sys.stderr)
                return 1
            time["full_on"] = args.full_on
        changed += write(path, time)
    print(f"{changed} of {len(names)} notebooks updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
