"""The book's conventions, checked on every notebook and on the site configuration."""
import json
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from running_times import MARK, minutes, paragraph  # noqa: E402

NOTEBOOKS = sorted(p for p in (ROOT / "chapters").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPO_URL = CONFIG["repository"]["url"]


def _toc_files():
    files = set()

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.add(node["file"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(yaml.safe_load((ROOT / "_toc.yml").read_text()))
    return files


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks under chapters/"


def test_repository_url_is_written_once_in_the_config():
    assert REPO_URL.startswith("https://")
    assert "launch_buttons" in CONFIG and CONFIG["launch_buttons"]["colab_url"]


def test_toc_entries_exist_and_list_every_notebook():
    toc = _toc_files()
    for entry in toc:
        assert any((ROOT / (entry + ext)).exists() for ext in (".md", ".ipynb")), f"_toc.yml names missing {entry}"
    for nb in NOTEBOOKS:
        assert str(nb.relative_to(ROOT).with_suffix("")) in toc, f"{nb} is not in _toc.yml"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_conventions(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and not c.get("execution_count") for c in code), "committed with outputs"
    setup = "".join(code[0]["source"])
    assert "google.colab" in setup and f"git+{REPO_URL}" in setup, "first code cell is not the Colab-aware setup"
    assert "utils.setup(" in setup
    topics = nb["metadata"].get("book", {}).get("topics", [])
    assert topics and all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", t) for t in topics)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    sources = "\n".join("".join(c["source"]) for c in code)
    assert re.search(r"^\s*assert\b", sources, re.M), "the notebook asserts nothing"
    for forbidden in (r"(?<![\w.])eval\(", r"(?<![\w.])exec\(", "trust_remote_code=True"):
        assert not re.search(forbidden, sources), f"unsafe call {forbidden}"
    assert not re.search(r"torch\.load\((?![^)]*weights_only=True)", sources), "torch.load without weights_only=True"
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown" and "".join(first["source"]).lstrip().startswith("# ")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_headings_carry_no_math(path):
    """The page's table of contents repeats every heading outside the text MathJax typesets,
    so a formula in a heading shows as raw TeX there (and the site check counts it untypeset)."""
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                assert not (line.startswith("#") and "$" in line), f"{path.name}: math in heading {line!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_python_domain_roles(path):
    """The site documents no Python API (no autodoc), so a {mod}/{func}/{class} role has no
    target and fails the strict build (-n): name the code with a plain literal instead."""
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            found = re.findall(r"\{(?:py:)?(?:mod|func|class|meth|attr|obj)\}`[^`]*`", "".join(cell["source"]))
            assert not found, f"{path.name}: Python-domain roles without a target: {found}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_running_time_is_stated_from_a_measurement(path):
    """Every page opens by saying how long it runs, rendered by tools/running_times.py from the
    seconds a run measured (kept in the metadata), so the sentence cannot drift from them."""
    nb = json.loads(path.read_text())
    time = nb["metadata"].get("book", {}).get("time")
    assert time and isinstance(time.get("quick_s"), int), "no measured quick time: run tools/running_times.py"
    intro = "".join(nb["cells"][0]["source"])
    assert intro.count(MARK) == 1 and intro.rstrip().endswith(paragraph(time)), \
        "the intro's running-time paragraph differs from its metadata: run tools/running_times.py"


def test_running_time_wording():
    assert [minutes(s) for s in (0, 59, 60, 89, 91, 3599, 3600, 4200)] == [
        "under a minute", "under a minute", "about 1 min", "about 1 min", "about 2 min", "about 1 h 00 min",
        "about 1 h 00 min", "about 1 h 10 min"]
    cpu = paragraph({"quick_s": 70, "full_s": 500, "cpu_only": True})
    assert "About 1 min in the `quick` profile and about 8 min in `full`" in cpu and "CPU only" in cpu
    gpu = paragraph({"quick_s": 70})
    assert "meant for a GPU" in gpu and "in `full`" not in gpu
    with pytest.raises(ValueError, match="quick_s"):
        paragraph({"full_s": 10})
