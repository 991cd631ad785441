"""Vector environments for on-policy and off-policy training loops.

    envs = make_vec_env("CartPole-v1", num_envs=8)           # SyncVectorEnv, same-step autoreset
    obs, reward, terminated, truncated, info = envs.step(actions)
    last = final_observations(info, terminated | truncated)  # true last observations of finished episodes
    returns = evaluate_vec("CartPole-v1", act, n_episodes=20) # act(obs_batch) -> actions

With *same-step* autoreset an environment whose episode ends in ``step`` is reset at
once: the returned observation is already the first one of the next episode and the
real last observation is in ``info["final_obs"]`` (needed to bootstrap a truncated
episode from its value).
"""
from __future__ import annotations

from typing import Callable

import numpy as np


def make_vec_env(env_id: str, num_envs: int, **make_kwargs):
    """A ``SyncVectorEnv`` of ``num_envs`` copies of ``env_id`` with same-step autoreset."""
    import gymnasium as gym

    if not isinstance(env_id, str) or env_id not in gym.envs.registry:
        raise ValueError(f"env_id must be a registered gymnasium id, got {env_id!r}")
    if not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
        raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}")
    return gym.make_vec(env_id, num_envs=int(num_envs), vectorization_mode="sync",
                        vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP}, **make_kwargs)


def final_observations(info: dict, done, obs_shape: tuple | None = None) -> np.ndarray:
    """Stack ``info["final_obs"]`` of the environments flagged in ``done`` (in their order).

    The result has shape ``(done.sum(), *obs_shape)``. When no environment is done the
    info carries no observation to read the shape from: pass ``obs_shape`` (e.g.
    ``envs.single_observation_space.shape``) to get an empty ``(0, *obs_shape)`` array
    that a network accepts; without it the empty result has shape ``(0,)``.
    """
    done = np.asarray(done, dtype=bool)
    if done.ndim != 1:
        raise ValueError(f"done must be a 1-D boolean array, got shape {done.shape}")
    if obs_shape is not None:
        if not isinstance(obs_shape, (tuple, list)) or not all(isinstance(n, (int, np.integer)) and n >= 0
                                                               for n in obs_shape):
            raise ValueError(f"obs_shape must be a tuple of non-negative integers, got {obs_shape!r}")
        obs_shape = tuple(int(n) for n in obs_shape)
    if not done.any():
        return np.zeros((0,) + (obs_shape or ()), dtype=np.float32)
    if "final_obs" not in info:
        raise ValueError("info has no 'final_obs': use an environment from make_vec_env (same-step autoreset)")
    last = np.stack([np.asarray(info["final_obs"][i], dtype=np.float32) for i in np.flatnonzero(done)])
    if obs_shape is not None and last.shape[1:] != obs_shape:
        raise ValueError(f"final observations have shape {last.shape[1:]}, not obs_shape={obs_shape}")
    return last


def evaluate_vec(env_id: str, act: Callable[[np.ndarray], np.ndarray], n_episodes: int = 20,
                 seed: int = 0, max_steps: int = 100_000, **make_kwargs) -> np.ndarray:
    """Returns of ``n_episodes`` episodes played side by side, one per sub-environment
    of a fresh :func:`make_vec_env` (the episodes are those of
    :func:`utils.rl.collect_episodes`, which does the playing).

    ``act(obs_batch) -> actions`` sees the observations of all sub-environments; those
    whose episode has ended idle until the last one ends and their rewards are not counted.
    """
    from .rollouts import collect_episodes

    if not isinstance(n_episodes, (int, np.integer)) or n_episodes < 1:
        raise ValueError(f"n_episodes must be a positive integer, got {n_episodes!r}")
    if not callable(act):
        raise ValueError("act must be callable: act(obs_batch) -> actions")
    envs = make_vec_env(env_id, int(n_episodes), **make_kwargs)
    try:
        return collect_episodes(envs, act, int(n_episodes), seed=seed, max_steps=max_steps).returns
    finally:
        envs.close()


def bootstrap_truncated(reward, terminated, truncated, info: dict, value_fn, gamma: float) -> np.ndarray:
    """Add ``gamma * V(final_obs)`` to the reward of the steps a time limit cut off
    (truncated and not terminated), in place, and return the reward.

    ``value_fn(obs_batch) -> values`` is the critic (a torch module or function of a float
    tensor); it is called without gradients. Mark those steps done as well when computing
    returns or GAE (see :func:`utils.rl.gae`). ``06-01`` teaches it and asserts that its
    inline version equals this one.
    """
    import torch

    reward = np.asarray(reward)
    terminated, truncated = np.asarray(terminated, dtype=bool), np.asarray(truncated, dtype=bool)
    if not (reward.shape == terminated.shape == truncated.shape) or reward.ndim != 1:
        raise ValueError(f"reward, terminated and truncated must be 1-D arrays of one shape, got "
                         f"{reward.shape}, {terminated.shape}, {truncated.shape}")
    if not callable(value_fn):
        raise ValueError("value_fn must be callable: value_fn(obs_batch) -> values")
    if not 0.0 <= float(gamma) <= 1.0:
        raise ValueError(f"gamma must lie in [0, 1], got {gamma!r}")
    cut = truncated & ~terminated
    if cut.any():
        with torch.no_grad():
            v = value_fn(torch.as_tensor(final_observations(info, cut)))
        reward[cut] += gamma * np.asarray(v, dtype=np.float64).reshape(-1).astype(reward.dtype)
    return reward
