import numpy as np
import pytest

from utils.rl import discounted_returns, gae


def loop_gae(r, v, gamma, lam):
    adv, run = np.zeros(len(r)), 0.0
    for t in reversed(range(len(r))):
        run = r[t] + gamma * v[t + 1] - v[t] + gamma * lam * run
        adv[t] = run
    return adv


def test_matches_the_single_trajectory_loop():
    rng = np.random.default_rng(0)
    r, v = rng.normal(size=12), rng.normal(size=13)
    np.testing.assert_allclose(gae(r, v, gamma=0.9, lam=0.8), loop_gae(r, v, 0.9, 0.8))


def test_lambda_zero_is_td_error_and_lambda_one_is_monte_carlo():
    rng = np.random.default_rng(1)
    r, v = rng.normal(size=(10, 3)), rng.normal(size=(11, 3))
    np.testing.assert_allclose(gae(r, v, gamma=0.95, lam=0.0), r + 0.95 * v[1:] - v[:-1])
    d = np.zeros((10, 3), bool)
    d[-1] = True
    np.testing.assert_allclose(gae(r, v, d, gamma=0.95, lam=1.0), discounted_returns(r, 0.95) - v[:-1])


def test_dones_split_episodes_per_column():
    rng = np.random.default_rng(2)
    r, v = rng.normal(size=(8, 2)), rng.normal(size=(9, 2))
    d = np.zeros((8, 2), bool)
    d[3, 0] = True
    a = gae(r, v, d, gamma=0.9, lam=0.7)
    first = loop_gae(r[:4, 0], np.r_[v[:4, 0], 0.0], 0.9, 0.7)
    second = loop_gae(r[4:, 0], v[4:, 0], 0.9, 0.7)
    np.testing.assert_allclose(a[:, 0], np.r_[first, second])
    np.testing.assert_allclose(a[:, 1], loop_gae(r[:, 1], v[:, 1], 0.9, 0.7))


@pytest.mark.parametrize("kwargs, name", [
    (dict(rewards=np.zeros((3, 2, 2)), values=np.zeros((4, 2, 2))), "rewards"),
    (dict(rewards=np.zeros(3), values=np.zeros(3)), "values"),
    (dict(rewards=np.zeros(3), values=np.zeros(4), dones=np.zeros(2)), "dones"),
    (dict(rewards=np.zeros(3), values=np.zeros(4), gamma=1.5), "gamma"),
    (dict(rewards=np.zeros(3), values=np.zeros(4), lam=-0.1), "lam"),
])
def test_bad_arguments_raise(kwargs, name):
    with pytest.raises(ValueError, match=name):
        gae(**kwargs)
