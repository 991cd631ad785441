import numpy as np
import pytest

from utils.rl.returns import discounted_returns


def test_matches_forward_definition():
    rng = np.random.default_rng(0)
    r = rng.normal(size=12)
    forward = np.array([sum(0.9 ** k * r[t + k] for k in range(len(r) - t)) for t in range(len(r))])
    assert np.allclose(discounted_returns(r, 0.9), forward)


def test_batch_and_episode_boundaries():
    r = np.array([[1.0, 1.0], [1.0, 2.0], [1.0, 0.0]])
    d = np.array([[False, False], [True, False], [False, True]])
    G = discounted_returns(r, 0.5, d)
    assert np.allclose(G[:, 0], [1.5, 1.0, 1.0])      # episode ends at t=1, a new one starts at t=2
    assert np.allclose(G[:, 1], [2.0, 2.0, 0.0])
    assert np.allclose(discounted_returns(np.ones(3), 1.0), [3, 2, 1])


@pytest.mark.parametrize("args, word", [
    ((np.zeros((2, 2, 2)), 0.9), "rewards"),
    ((np.zeros(3), 1.5), "gamma"),
    ((np.zeros(3), 0.9, np.zeros(2)), "dones"),
])
def test_bad_arguments(args, word):
    with pytest.raises(ValueError, match=word):
        discounted_returns(*args)
