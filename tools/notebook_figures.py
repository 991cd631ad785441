"""Which cells of a notebook must show a figure, and whether an executed one does.

A code cell *draws* when, outside any function it defines and outside any ``if`` (a
figure drawn only in one profile is not required in the other), it calls ``plt.show()``
or ``explore(...)`` / ``utils.explore(...)`` (the book's explorer, which displays its
figure as a cell output). Such a cell must have an ``image/png`` output once executed;
otherwise the figure is lost on its way to the page (e.g. a non-interactive matplotlib
backend in the kernel).
"""
from __future__ import annotations

import ast

EXPLORER_CALLS = {("utils", "explore"), (None, "explore")}
DRAWING_CALLS = {("plt", "show")} | EXPLORER_CALLS


def _calls_at_top_level(source: str):
    try:
        tree = ast.parse(source)
    except SyntaxError:          # IPython magics: nothing to say about this cell
        return
    stack = list(ast.iter_child_nodes(tree))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.If, ast.IfExp)):
            continue
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                yield (f.value.id, f.attr)
            elif isinstance(f, ast.Name):
                yield (None, f.id)
        stack.extend(ast.iter_child_nodes(node))


def draws(source: str) -> bool:
    """Whether a code cell's source draws a figure at its top level."""
    return any(call in DRAWING_CALLS for call in _calls_at_top_level(source))


def n_images(cell) -> int:
    """The number of PNG/SVG images among a cell's outputs."""
    return sum(1 for out in cell.get("outputs", [])
               if {"image/png", "image/svg+xml"} & set(out.get("data", {})))


def code_cells(nb) -> list:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def missing_figures(nb) -> list[int]:
    """Indices (among code cells, from 0) of drawing cells that have no image output."""
    return [i for i, c in enumerate(code_cells(nb)) if draws(_source(c)) and n_images(c) == 0]


def drawing_cells(nb) -> int:
    return sum(draws(_source(c)) for c in code_cells(nb))


def explorer_cells(nb) -> list[int]:
    """Indices (among code cells) of cells that call the book's explorer."""
    return [i for i, c in enumerate(code_cells(nb))
            if any(call in EXPLORER_CALLS for call in _calls_at_top_level(_source(c)))]
