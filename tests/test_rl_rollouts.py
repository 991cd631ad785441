import gymnasium as gym
import numpy as np
import pytest

from utils.rl.gridworlds import GridWorld
from utils.rl.rollouts import collect_episodes


def test_cartpole_episodes_are_whole_and_padded():
    env = gym.make_vec("CartPole-v1", num_envs=4, vectorization_mode="vector_entry_point")
    ep = collect_episodes(env, lambda o: (o[:, 2] > 0).astype(int), n_episodes=6, seed=3)
    assert ep.obs.shape[1:] == (6, 4) and ep.mask.shape == ep.rewards.shape
    assert (ep.returns == ep.lengths).all() and (ep.lengths > 20).all()   # +1 per step
    assert ep.terminated.sum(0).max() <= 1
    assert not ep.mask[ep.lengths.max():].any() if ep.lengths.max() < len(ep.mask) else True
    o, a, r = ep.flat()
    assert len(o) == len(a) == len(r) == ep.lengths.sum()
    again = collect_episodes(env, lambda o: (o[:, 2] > 0).astype(int), n_episodes=6, seed=3)
    assert (again.lengths == ep.lengths).all()                            # seeded


def test_custom_env_through_sync_vector_env():
    env = gym.vector.SyncVectorEnv([lambda: GridWorld(["S.G"], max_steps=10)] * 2)
    ep = collect_episodes(env, lambda o: np.ones(len(o), dtype=int), n_episodes=3)
    assert (ep.lengths == 2).all() and np.allclose(ep.returns, 1.0)
    assert ep.terminated[1].all()


def test_bad_arguments():
    env = gym.make_vec("CartPole-v1", num_envs=2, vectorization_mode="vector_entry_point")
    with pytest.raises(ValueError, match="env"):
        collect_episodes(gym.make("CartPole-v1"), lambda o: 0, 1)
    with pytest.raises(ValueError, match="policy"):
        collect_episodes(env, None, 1)
    with pytest.raises(ValueError, match="n_episodes"):
        collect_episodes(env, lambda o: np.zeros(2, int), 0)
    with pytest.raises(ValueError, match="max_steps"):
        collect_episodes(env, lambda o: np.zeros(2, int), 1, max_steps=0)
