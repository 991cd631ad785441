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


def test_a_truncated_episode_bootstraps_once_from_its_final_observation():
    """Fold gamma * V(final_obs) into the reward and mark the step done: the advantages
    equal GAE run on each episode on its own, the first bootstrapped from V(final_obs)."""
    rng = np.random.default_rng(3)
    gamma, lam, cut = 0.9, 0.8, 4
    r = rng.normal(size=9)
    v = rng.normal(size=10)              # v[cut + 1] is the next episode's first state (same-step reset)
    v_final = 1.7                        # the value of the observation the time limit cut off
    r_folded = r.copy()
    r_folded[cut] += gamma * v_final
    d = np.zeros(9, bool)
    d[cut] = True
    got = gae(r_folded, v, d, gamma=gamma, lam=lam)
    first = loop_gae(r[:cut + 1], np.append(v[:cut + 1], v_final), gamma, lam)
    second = loop_gae(r[cut + 1:], v[cut + 1:], gamma, lam)
    np.testing.assert_allclose(got, np.concatenate([first, second]))
    wrong = gae(r_folded, v, np.zeros(9, bool), gamma=gamma, lam=lam)   # bootstraps twice, crosses over
    assert not np.allclose(wrong[:cut + 1], first)
