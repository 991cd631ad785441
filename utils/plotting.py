"""The book's palette and a few plotting helpers, so every figure looks alike."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

#: The reference's four light colours, used for fills, boxes and bars.
PALETTE = {
    "light_blue": "#71CCF5",
    "light_yellow": "#FFE699",
    "blue_purple": "#C0BFDE",
    "pink": "#F0ADB7",
}
#: Darker companions of the same hues, for lines and text that must read on white.
INK = {
    "blue": "#1F7FB0",
    "gold": "#C99A06",
    "purple": "#5E5BA6",
    "rose": "#C2475B",
    "grey": "#4A4A4A",
}
#: Colour cycle for line plots: dark hues first, then the light ones.
CYCLE = [INK["blue"], INK["rose"], INK["purple"], INK["gold"], INK["grey"],
         PALETTE["light_blue"], PALETTE["pink"], PALETTE["blue_purple"], PALETTE["light_yellow"]]


def use_book_style() -> None:
    """Apply the book's matplotlib style (palette cycle, light grid, no top/right spines)."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update({
        "axes.prop_cycle": cycler(color=CYCLE),
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "figure.figsize": (7.0, 3.8),
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "font.size": 10,
        "legend.frameon": False,
    })


def smooth(values: Sequence[float], window: int = 10) -> np.ndarray:
    """Trailing moving average (same length as the input; the first points average fewer values)."""
    if not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    v = np.asarray(values, dtype=float)
    if v.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {v.shape}")
    if len(v) == 0:
        return v
    c = np.cumsum(np.insert(v, 0, 0.0))
    idx = np.arange(1, len(v) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def training_panels(logs: Mapping[str, Mapping[str, Sequence[float]]], keys: Sequence[str], *, window: int = 4,
                    titles: Mapping[str, str] | None = None):
    """One panel per key of a training log, one colour per run: each run's values per
    iteration (faint) and their trailing mean over ``window`` iterations (thick).

    ``logs`` maps a run's name to its log (key -> one value per iteration). Returns the figure."""
    import matplotlib.pyplot as plt

    if not isinstance(logs, Mapping) or not logs:
        raise ValueError("logs must be a non-empty mapping of run name -> log")
    if isinstance(keys, str) or not keys:
        raise ValueError(f"keys must be a non-empty sequence of log keys, got {keys!r}")
    for name, lg in logs.items():
        missing = [k for k in keys if k not in lg]
        if missing:
            raise ValueError(f"log {name!r} has no {', '.join(map(repr, missing))}")
    titles = titles or {}
    fig, ax = plt.subplots(1, len(keys), figsize=(15, 3), squeeze=False)
    for (name, lg), col in zip(logs.items(), CYCLE):
        for a, k in zip(ax[0], keys):
            x = np.arange(1, len(lg[k]) + 1)
            a.plot(x, lg[k], color=col, alpha=0.35, lw=1)
            a.plot(x, smooth(lg[k], window), color=col, lw=2, label=name)
            a.set_title(titles.get(k, k), fontsize=9)
            a.set_xlabel("iteration")
    ax[0, 0].legend(fontsize=8)
    plt.tight_layout()
    return fig


def plot_curves(curves: Mapping[str, Sequence[float] | tuple[Sequence[float], Sequence[float]]],
                *, ax=None, xlabel: str = "step", ylabel: str = "", title: str = "",
                smooth_window: int = 1, logy: bool = False):
    """Plot named curves on one axis.

    ``curves`` maps a label to either a sequence of y values (x = 0, 1, ...) or an
    ``(x, y)`` pair. Returns the axis.
    """
    import matplotlib.pyplot as plt

    if not isinstance(curves, Mapping) or not curves:
        raise ValueError("curves must be a non-empty mapping of label -> values")
    if ax is None:
        _, ax = plt.subplots()
    for label, data in curves.items():
        if isinstance(data, tuple) and len(data) == 2:
            x, y = np.asarray(data[0]), np.asarray(data[1], dtype=float)
        else:
            y = np.asarray(data, dtype=float)
            x = np.arange(len(y))
        if len(x) != len(y):
            raise ValueError(f"curve {label!r}: x has {len(x)} points but y has {len(y)}")
        ax.plot(x, smooth(y, smooth_window) if smooth_window > 1 else y, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if logy:
        ax.set_yscale("log")
    if len(curves) > 1:
        ax.legend()
    return ax


def explore(draw, *, manual: bool = False, **controls):
    """An explorer whose figure is part of the notebook: ``explore(draw, lam=FloatSlider(...))``.

    ``draw(**values)`` makes one matplotlib figure from the controls' values and returns
    it (without calling ``plt.show()``). The figure for the initial values is displayed as
    an ordinary cell output, so a rendered page (or a notebook opened without a kernel)
    shows it; moving a control redraws that same output in place. With ``manual=True``
    (for a ``draw`` that trains something) it redraws when the "Run" button is pressed.
    Returns the box of controls.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from IPython.display import display
    from matplotlib.figure import Figure

    if not callable(draw):
        raise ValueError(f"draw must be a function of the controls' values, got {draw!r}")
    if not controls:
        raise ValueError("explore needs at least one control, e.g. lam=widgets.FloatSlider(...)")
    for name, control in controls.items():
        if not isinstance(control, widgets.ValueWidget):
            raise ValueError(f"control {name!r} must be an ipywidgets value widget, got {type(control).__name__}")

    def render() -> Figure:
        fig = draw(**{name: c.value for name, c in controls.items()})
        if not isinstance(fig, Figure):
            raise ValueError(f"draw must return a matplotlib Figure, got {type(fig).__name__}")
        plt.close(fig)          # displayed through the handle below, not again by the backend
        return fig

    items = list(controls.values())
    button = widgets.Button(description="Run", button_style="primary") if manual else None
    box = widgets.HBox(items + ([button] if button else []), layout=widgets.Layout(flex_flow="row wrap"))
    first = render()
    display(box)
    handle = display(first, display_id=True)

    def redraw(_change=None) -> None:
        handle.update(render())

    if button is not None:
        button.on_click(redraw)
    else:
        for control in items:
            control.observe(redraw, names="value")
    return box
