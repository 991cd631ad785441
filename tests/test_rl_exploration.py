import numpy as np
import pytest

from utils.rl.exploration import epsilon_greedy, linear_schedule


def test_greedy_and_uniform_limits():
    rng = np.random.default_rng(0)
    q = np.tile([0.0, 1.0, 0.5], (5000, 1))
    assert (epsilon_greedy(q, 0.0, rng) == 1).all()
    counts = np.bincount(epsilon_greedy(q, 1.0, rng), minlength=3) / 5000
    assert np.abs(counts - 1 / 3).max() < 0.03
    frac_greedy = (epsilon_greedy(q, 0.3, rng) == 1).mean()    # 0.7 + 0.3 / 3
    assert abs(frac_greedy - 0.8) < 0.03


def test_ties_are_broken_at_random_and_per_row_epsilon():
    rng = np.random.default_rng(1)
    a = epsilon_greedy(np.zeros((3000, 4)), 0.0, rng)
    assert np.abs(np.bincount(a, minlength=4) / 3000 - 0.25).max() < 0.04
    eps = np.array([0.0, 1.0] * 1000)
    a = epsilon_greedy(np.tile([5.0, 0.0], (2000, 1)), eps, rng)
    assert (a[::2] == 0).all() and 0.35 < (a[1::2] == 1).mean() < 0.65


def test_linear_schedule():
    f = linear_schedule(1.0, 0.1, 10)
    assert f(0) == 1.0 and np.isclose(f(5), 0.55) and np.isclose(f(10), 0.1) and np.isclose(f(99), 0.1)
    assert np.allclose(f(np.array([0, 10])), [1.0, 0.1])


def test_bad_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="q_values"):
        epsilon_greedy(np.float64(1.0), 0.1, rng)
    with pytest.raises(ValueError, match="epsilon"):
        epsilon_greedy(np.zeros((2, 2)), 1.5, rng)
    with pytest.raises(ValueError, match="duration"):
        linear_schedule(1.0, 0.1, 0)
    with pytest.raises(ValueError, match="end"):
        linear_schedule(1.0, -0.1, 5)
