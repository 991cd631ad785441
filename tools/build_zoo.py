"""Build every zoo entry for a profile, one after another, before the notebooks run.

    python tools/build_zoo.py [--profile quick]

`make test` runs notebooks two at a time with one CPU thread each. Built here first, each
entry is built once, with the machine's default threads (as a reader's first notebook
would build it), and no notebook's time includes another notebook's model. Entries that
are already built and current are only checked. Prints each entry's build time.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default=None, help="quick or full (default: BOOK_PROFILE, else the book's default)")
    args = ap.parse_args()
    from utils import zoo
    from utils.profile import PROFILES, get_profile

    profile = args.profile or get_profile()
    if profile not in PROFILES:
        ap.error(f"--profile must be one of {PROFILES}, got {profile!r}")
    total = time.perf_counter()
    for name in zoo.known():
        start = time.perf_counter()
        folder = zoo.path(name, profile)
        print(f"{time.perf_counter() - start:7.1f} s  {name:10s} {folder}", flush=True)
    print(f"zoo ready for profile {profile!r} in {time.perf_counter() - total:.0f} s "
          f"({len(zoo.known())} entries, {zoo.BUILD_THREADS} threads)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
