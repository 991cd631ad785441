"""The figure checks behind the notebook runner and the site check, and the explorer."""
import sys
from pathlib import Path

import matplotlib
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

import utils

matplotlib.use("Agg")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from notebook_figures import draws, explorer_cells, missing_figures  # noqa: E402

PNG = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}


@pytest.mark.parametrize("source, expected", [
    ("plt.plot([1, 2]); plt.show()", True),
    ("fig, ax = plt.subplots()\nfor a in range(3):\n    ax.plot([a])\nplt.show()", True),
    ("utils.explore(draw, lam=widgets.FloatSlider())", True),
    ("def draw(x):\n    plt.plot([x]); plt.show()\n", False),      # defined, not called
    ("print(1)", False),
    ("if FULL:\n    plt.plot([1]); plt.show()\nelse:\n    print('skipped')", False),   # conditional figure
    ("%matplotlib inline", False),                                # not Python: nothing to say
])
def test_which_cells_draw(source, expected):
    assert draws(source) is expected


def test_a_drawing_cell_without_an_image_is_reported():
    nb = new_notebook(cells=[
        new_code_cell("import utils"),
        new_code_cell("plt.plot([1]); plt.show()", outputs=[new_output("display_data", data=PNG)]),
        new_code_cell("plt.plot([2]); plt.show()", outputs=[new_output("stream", name="stdout", text="hi")]),
        new_code_cell("utils.explore(draw, x=s)", outputs=[]),
    ])
    assert missing_figures(nb) == [2, 3]
    assert explorer_cells(nb) == [3]


def test_explore_checks_its_arguments():
    import ipywidgets as widgets

    with pytest.raises(ValueError, match="draw"):
        utils.explore(42, x=widgets.IntSlider())
    with pytest.raises(ValueError, match="at least one control"):
        utils.explore(lambda: None)
    with pytest.raises(ValueError, match="control 'x'"):
        utils.explore(lambda x: None, x=3)
    with pytest.raises(ValueError, match="must return a matplotlib Figure"):
        utils.explore(lambda x: None, x=widgets.IntSlider())


def test_explore_draws_the_initial_values_and_redraws_on_change(monkeypatch):
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    import IPython.display

    shown, updates, seen = [], [], []

    class Handle:
        def update(self, obj):
            updates.append(obj)

    def fake_display(obj, display_id=None):
        shown.append(obj)
        return Handle() if display_id else None

    monkeypatch.setattr(IPython.display, "display", fake_display)

    def draw(n):
        seen.append(n)
        fig, ax = plt.subplots()
        ax.plot(range(n))
        return fig

    slider = widgets.IntSlider(value=3, min=1, max=9)
    utils.explore(draw, n=slider)
    assert seen == [3] and isinstance(shown[-1], matplotlib.figure.Figure)
    slider.value = 5
    assert seen == [3, 5] and len(updates) == 1
    assert not plt.get_fignums(), "the explorer's figures are closed after display"
