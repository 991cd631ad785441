"""Collect whole episodes from a gymnasium vector environment, as padded arrays.

    env = gym.make_vec("CartPole-v1", num_envs=16, vectorization_mode="vector_entry_point")
    ep = collect_episodes(env, policy, n_episodes=32, seed=0)
    ep.obs.shape      # (T, 32, 4)   padded with the last observation
    ep.mask           # (T, 32)      True while the episode is running
    ep.returns        # (32,)        undiscounted return of each episode

``policy(obs_batch) -> actions`` sees a batch of observations, one per sub-environment.
Each sub-environment plays one episode per round (finished ones idle until the round
ends), so episode ``i`` of round ``k`` is seeded ``seed + k`` through the vector
environment's reset.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Episodes:
    obs: np.ndarray        # (T, n, *obs_shape)
    actions: np.ndarray    # (T, n, *action_shape)
    rewards: np.ndarray    # (T, n), zero after the end
    mask: np.ndarray       # (T, n), True on real steps
    terminated: np.ndarray  # (T, n), True on the step that ended the episode by termination

    @property
    def lengths(self) -> np.ndarray:
        return self.mask.sum(0)

    @property
    def returns(self) -> np.ndarray:
        return self.rewards.sum(0)

    def flat(self):
        """The real steps only: ``(obs, actions, rewards)`` with the time and episode axes merged."""
        m = self.mask
        return self.obs[m], self.actions[m], self.rewards[m]


def collect_episodes(env, policy, n_episodes: int, seed: int = 0, max_steps: int = 10_000) -> Episodes:
    if not hasattr(env, "num_envs") or not hasattr(env, "step"):
        raise ValueError("env must be a gymnasium vector environment (gym.make_vec or gym.vector.*)")
    if not callable(policy):
        raise ValueError("policy must be callable: policy(obs_batch) -> actions")
    if not isinstance(n_episodes, (int, np.integer)) or n_episodes < 1:
        raise ValueError(f"n_episodes must be a positive integer, got {n_episodes!r}")
    if not isinstance(max_steps, (int, np.integer)) or max_steps < 1:
        raise ValueError(f"max_steps must be a positive integer, got {max_steps!r}")
    n_env = env.num_envs
    rounds = []
    for k in range(-(-n_episodes // n_env)):
        obs, _ = env.reset(seed=seed + k)
        alive = np.ones(n_env, dtype=bool)
        O, A, R, M, D = [], [], [], [], []
        for _ in range(max_steps):
            action = np.asarray(policy(obs))
            nxt, reward, term, trunc, _ = env.step(action)
            O.append(obs), A.append(action), M.append(alive.copy())
            R.append(np.where(alive, reward, 0.0)), D.append(alive & term)
            alive = alive & ~(term | trunc)
            obs = np.where(alive.reshape((-1,) + (1,) * (np.ndim(nxt) - 1)), nxt, obs)
            if not alive.any():
                break
        rounds.append([np.stack(x) for x in (O, A, R, M, D)])
    T = max(r[0].shape[0] for r in rounds)

    def pad(x, last):  # pad the time axis to T
        extra = T - x.shape[0]
        if extra == 0:
            return x
        fill = np.repeat(x[-1:], extra, axis=0) if last else np.zeros((extra,) + x.shape[1:], x.dtype)
        return np.concatenate([x, fill])

    parts = [np.concatenate([pad(r[i], i < 2) for r in rounds], axis=1)[:, :n_episodes] for i in range(5)]
    return Episodes(*parts)
