"""Remove outputs and execution counts from notebooks (they are committed clean)."""
import sys
from pathlib import Path

import nbformat

changed = 0
for folder in sys.argv[1:] or ["chapters"]:
    for path in sorted(Path(folder).rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        dirty = False
        for cell in nb.cells:
            if cell.cell_type == "code" and (cell.outputs or cell.execution_count):
                cell.outputs, cell.execution_count, dirty = [], None, True
        if dirty:
            nbformat.write(nb, path)
            changed += 1
            print(f"stripped {path}")
print(f"{changed} notebook(s) stripped")
