"""A pytest plugin for nbval: keep what each cell printed and drew, and write the
executed notebook, so the site is built from the very run that tested it.

    pytest --nbval-lax -p nbval_keep --executed-dir _build/executed chapters/x.ipynb

The notebook is written to ``<executed-dir>/<its path relative to the rootdir>``,
with its outputs and execution counts. Widget views are left out: they need a live
kernel (the book's explorers also display their figure as an ordinary output).
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_output

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def pytest_addoption(parser):
    parser.addoption("--executed-dir", default=None,
                     help="write each executed notebook (with its outputs) under this folder")


def _outputs(outs, count):
    kept = []
    for out in outs or []:
        kind = out.get("output_type")
        if kind == "stream":
            kept.append(new_output("stream", name=out["name"], text=out["text"]))
        elif kind in ("display_data", "execute_result"):
            data = dict(out.get("data", {}))
            if WIDGET_VIEW in data:
                continue
            if kind == "execute_result":
                kept.append(new_output("execute_result", data=data, metadata=out.get("metadata", {}),
                                       execution_count=count))
            else:
                kept.append(new_output("display_data", data=data, metadata=out.get("metadata", {})))
        elif kind == "error":
            kept.append(new_output("error", ename=out["ename"], evalue=out["evalue"],
                                   traceback=out["traceback"]))
    return kept


class _Keeper:
    def __init__(self, folder: Path, rootdir: Path):
        self.folder, self.rootdir = folder, rootdir
        self.files = {}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        yield
        if call.when != "call" or not hasattr(item, "cell") or not hasattr(item, "test_outputs"):
            return
        parent = item.parent
        count = self.files.setdefault(parent, 0) + 1
        self.files[parent] = count
        item.cell.execution_count = count
        item.cell.outputs = _outputs(item.test_outputs, count)

    def pytest_sessionfinish(self, session):
        for parent in self.files:
            path = Path(str(parent.fspath)).resolve()
            try:
                rel = path.relative_to(self.rootdir)
            except ValueError:
                rel = Path(path.name)
            out = self.folder / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(parent.nb, str(out))


def pytest_configure(config):
    folder = config.getoption("--executed-dir")
    if folder:
        config.pluginmanager.register(_Keeper(Path(folder).resolve(), Path(str(config.rootpath)).resolve()),
                                      "nbval-keep")
