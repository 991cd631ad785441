import numpy as np
import pytest

import utils
from utils.plotting import CYCLE, PALETTE, plot_curves, smooth, training_panels


def test_palette_is_the_reference_colours():
    assert PALETTE == {"light_blue": "#71CCF5", "light_yellow": "#FFE699",
                       "blue_purple": "#C0BFDE", "pink": "#F0ADB7"}


def test_smooth():
    assert np.allclose(smooth([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5])
    assert len(smooth([], 3)) == 0
    with pytest.raises(ValueError, match="window"):
        smooth([1, 2], 0)
    with pytest.raises(ValueError, match="one-dimensional"):
        smooth([[1, 2]], 2)


def test_plot_curves():
    utils.use_book_style()
    ax = plot_curves({"a": [1, 2, 3], "b": ([0, 2, 4], [3, 2, 1])}, smooth_window=2, logy=True)
    assert len(ax.lines) == 2
    with pytest.raises(ValueError, match="curves"):
        plot_curves({})
    with pytest.raises(ValueError, match="'x'"):
        plot_curves({"x": ([0, 1], [1, 2, 3])})


def test_training_panels_draw_each_run_raw_and_smoothed_per_key():
    import matplotlib.pyplot as plt

    logs = {"a": {"loss": [3.0, 2.0, 1.0], "KL": [0, 1, 2]}, "b": {"loss": [1.0, 1.0, 1.0], "KL": [0, 0, 0]}}
    fig = training_panels(logs, ["loss", "KL"], window=2, titles={"KL": "sequence KL"})
    ax = fig.axes
    assert [a.get_title() for a in ax] == ["loss", "sequence KL"]
    lines = ax[0].get_lines()
    assert len(lines) == 4 and lines[0].get_color() == lines[1].get_color() == CYCLE[0]
    assert np.allclose(lines[1].get_ydata(), smooth([3.0, 2.0, 1.0], 2)) and list(lines[1].get_xdata()) == [1, 2, 3]
    plt.close(fig)
    with pytest.raises(ValueError, match="'b' has no 'value loss'"):
        training_panels({"a": {"value loss": [1]}, "b": {}}, ["value loss"])
    with pytest.raises(ValueError, match="keys"):
        training_panels(logs, "loss")


def test_fit_records_losses_and_evals():
    calls = []
    h = utils.fit(lambda step: 10.0 - step, 5, eval_fn=lambda: {"m": len(calls)}, eval_every=2,
                  progress=False)
    calls.append(1)
    assert h.losses == [10, 9, 8, 7, 6]
    steps, _ = h.metric("m")
    assert steps == [0, 2, 4, 5]
    with pytest.raises(KeyError, match="no metric"):
        h.metric("z")


def test_fit_errors():
    with pytest.raises(ValueError, match="n_steps"):
        utils.fit(lambda s: 0.0, 0)
    with pytest.raises(ValueError, match="step_fn"):
        utils.fit(None, 3)
    with pytest.raises(ValueError, match="eval_every"):
        utils.fit(lambda s: 0.0, 3, eval_every=-1)
    with pytest.raises(FloatingPointError, match="step 1"):
        utils.fit(lambda s: float("nan") if s == 1 else 1.0, 3, progress=False)


def test_evaluate_policy():
    from utils.rl import evaluate_policy

    r = evaluate_policy("CartPole-v1", lambda obs: 0, n_episodes=3, seed=0)
    assert r.shape == (3,) and (r > 0).all()
    with pytest.raises(ValueError, match="n_episodes"):
        evaluate_policy("CartPole-v1", lambda obs: 0, n_episodes=0)
    with pytest.raises(ValueError, match="env"):
        evaluate_policy(42, lambda obs: 0)


def test_warmup_cosine_rises_then_falls_to_its_floor():
    import math

    import pytest

    from utils import warmup_cosine

    assert warmup_cosine(0, 100) == pytest.approx(0.1 * (0.1 + 0.9 * 0.5 * (1 + math.cos(0))))
    assert warmup_cosine(9, 100) == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 9 / 100)))
    assert warmup_cosine(100, 100) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="total"):
        warmup_cosine(0, 0)
