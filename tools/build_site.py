"""Build the site. ``--strict``: without executing notebooks, with warnings as errors
(-W -n), so a broken cross-reference, citation or TOC entry fails the build."""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--strict", action="store_true")
    args = ap.parse_args()
    jb = str(Path(sys.executable).with_name("jupyter-book"))
    cmd = [jb, "build", str(ROOT), "--builder", "html"]
    if args.strict:
        config = yaml.safe_load((ROOT / "_config.yml").read_text())
        config.setdefault("execute", {})["execute_notebooks"] = "off"
        out = ROOT / "_build" / "_config.strict.yml"
        out.parent.mkdir(exist_ok=True)
        out.write_text(yaml.safe_dump(config, sort_keys=False))
        cmd += ["--config", str(out), "-W", "-n", "--keep-going"]
    print(" ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main())
