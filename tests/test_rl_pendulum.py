import gymnasium as gym
import numpy as np
import pytest

from utils.rl import pendulum_returns, visited_states
from utils.rl.pendulum import observation, pendulum_step


def test_step_matches_gymnasium():
    env = gym.make("Pendulum-v1")
    obs, _ = env.reset(seed=0)
    th, thdot = np.arctan2(obs[1], obs[0]), obs[2]
    rng = np.random.default_rng(0)
    for _ in range(50):
        u = rng.uniform(-3, 3)                       # outside the limits too: both clip
        obs, r, *_ = env.step(np.array([u], dtype=np.float32))
        th, thdot, r_ours = pendulum_step(th, thdot, u)
        np.testing.assert_allclose(observation(th, thdot), obs, atol=1e-4)
        assert abs(r_ours - r) < 1e-4


def test_returns_match_a_gymnasium_rollout():
    env = gym.make("Pendulum-v1", max_episode_steps=100)
    obs, _ = env.reset(seed=3)
    policy = lambda o: -2.0 * o[:, 2:3]              # a damping controller
    G, disc = 0.0, 1.0
    o = obs
    for _ in range(100):
        o, r, *_ = env.step(policy(o[None])[0].astype(np.float32))
        G += disc * r
        disc *= 0.9
    ours = pendulum_returns(obs[None], policy, gamma=0.9, horizon=100)
    assert ours.shape == (1,) and abs(ours[0] - G) < 1e-3


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="obs"):
        pendulum_returns(np.zeros((2, 2)), lambda o: 0)
    with pytest.raises(ValueError, match="gamma"):
        pendulum_returns(np.zeros((2, 3)), lambda o: 0, gamma=1.0)
    with pytest.raises(ValueError, match="horizon"):
        pendulum_returns(np.zeros((2, 3)), lambda o: 0, horizon=0)
    with pytest.raises(ValueError, match="policy"):
        pendulum_returns(np.zeros((2, 3)), None)


def test_visited_states_shape_and_start_distribution():
    obs = visited_states(lambda o: np.zeros((len(o), 1)), n_starts=10, steps=50, every=10,
                         rng=np.random.default_rng(0))
    assert obs.shape == (50, 3)
    np.testing.assert_allclose(obs[:, 0] ** 2 + obs[:, 1] ** 2, 1.0, atol=1e-5)
    assert np.abs(obs[:10, 2]).max() <= 1.0                  # start speeds are drawn in [-1, 1]
    with pytest.raises(ValueError, match="every"):
        visited_states(lambda o: 0, every=0)
