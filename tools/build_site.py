"""Build the site.

    python tools/build_site.py            # execute the notebooks while building (``make book``)
    python tools/build_site.py --strict   # render the notebooks executed by the test run

``--strict`` renders the executed notebooks that ``tools/test_notebooks.py`` kept
(``--executed``, default ``_build/executed``) with execution off and warnings as errors
(-W -n), so a broken cross-reference, citation or TOC entry fails the build and the
pages show the figures and numbers of the run that tested them. Each notebook is run
once. The executed copies are assembled with the front matter and the configuration in
``_build/site-src``: each notebook's current text with the outputs of its executed copy
(so an edit of the prose needs no rerun); a notebook whose code changed since it was
executed is refused.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _code(path: Path) -> list[str]:
    return [c.source for c in nbformat.read(str(path), as_version=4).cells if c.cell_type == "code"]


def with_outputs(source: Path, run: Path):
    """The source notebook (its current text) with the outputs of the executed copy's code cells."""
    nb = nbformat.read(str(source), as_version=4)
    ran = [c for c in nbformat.read(str(run), as_version=4).cells if c.cell_type == "code"]
    for cell, done in zip((c for c in nb.cells if c.cell_type == "code"), ran):
        cell.outputs, cell.execution_count = done.outputs, done.execution_count
    return nb


def stage(executed: Path, dest: Path) -> list[str]:
    """Assemble the book's sources with the executed notebooks in ``dest``; return problems."""
    problems = []
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(ROOT / name, dest / name)
    shutil.copytree(ROOT / "book", dest / "book")
    for source in sorted((ROOT / "chapters").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in source.parts:
            continue
        rel = source.relative_to(ROOT)
        run = executed / rel
        if not run.exists():
            problems.append(f"{rel}: no executed copy in {executed} (run `make notebooks` first)")
            continue
        if _code(run) != _code(source):
            problems.append(f"{rel}: its code changed since it was executed (run `make notebooks` again)")
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(with_outputs(source, run), str(dest / rel))
    for other in (ROOT / "chapters").rglob("*"):      # figures or markdown beside the notebooks
        if other.is_file() and other.suffix != ".ipynb" and ".ipynb_checkpoints" not in other.parts:
            target = dest / other.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(other, target)
    return problems


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--executed", default=str(ROOT / "_build" / "executed"))
    args = ap.parse_args()
    jb = str(Path(sys.executable).with_name("jupyter-book"))
    source = ROOT
    cmd = [jb, "build", str(ROOT), "--builder", "html"]
    if args.strict:
        source = ROOT / "_build" / "site-src"
        problems = stage(Path(args.executed).resolve(), source)
        for p in problems:
            print(f"build_site: {p}", file=sys.stderr)
        if problems:
            return 1
        config = yaml.safe_load((ROOT / "_config.yml").read_text())
        config.setdefault("execute", {})["execute_notebooks"] = "off"
        out = source / "_config.yml"
        out.write_text(yaml.safe_dump(config, sort_keys=False))
        html = ROOT / "_build" / "html"
        if html.exists():
            shutil.rmtree(html)
        cmd = [jb, "build", str(source), "--builder", "html", "--path-output", str(ROOT),
               "-W", "-n", "--keep-going"]
    print(" ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=source).returncode


if __name__ == "__main__":
    sys.exit(main())
