"""Evaluate a policy on a gymnasium environment."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .._validate import check_int


def evaluate_policy(env, policy: Callable[[np.ndarray], object], n_episodes: int = 20,
                    seed: int = 0, max_steps: int = 100_000) -> np.ndarray:
    """Run ``n_episodes`` episodes with ``policy(obs) -> action`` and return their returns.

    ``env`` is a gymnasium ``Env`` or an environment id (``"CartPole-v1"``). Episodes
    are seeded ``seed, seed + 1, ...`` so evaluations are repeatable.
    """
    import gymnasium as gym

    if isinstance(env, str):
        with gym.make(env) as made:          # an environment made here is closed here
            return evaluate_policy(made, policy, n_episodes=n_episodes, seed=seed, max_steps=max_steps)
    if not hasattr(env, "reset") or not hasattr(env, "step"):
        raise ValueError(f"env must be a gymnasium environment or id, got {type(env).__name__}")
    if not callable(policy):
        raise ValueError("policy must be callable: policy(obs) -> action")
    n_episodes = check_int("n_episodes", n_episodes, low=1)
    returns = np.zeros(n_episodes)
    for ep in range(n_episodes):
        obs, _ = env.reset(seed=seed + ep)
        total, done, steps = 0.0, False, 0
        while not done and steps < max_steps:
            obs, reward, terminated, truncated, _ = env.step(policy(obs))
            total += float(reward)
            done = terminated or truncated
            steps += 1
        returns[ep] = total
    return returns
