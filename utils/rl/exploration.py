"""Epsilon-greedy action choice and exploration schedules, vectorised over a batch.

Chapter 5 (``03-monte-carlo-and-td``) teaches epsilon-greedy and its decaying
schedule and checks its inline version against these; later notebooks import them.
"""
from __future__ import annotations

import numpy as np


def epsilon_greedy(q_values, epsilon, rng: np.random.Generator) -> np.ndarray:
    """For each row of ``q_values`` (shape ``(..., n_actions)``): a uniformly random action
    with probability ``epsilon`` (a scalar or one per row), else the greedy one (ties
    broken at random)."""
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
    q = np.asarray(q_values, dtype=float)
    if q.ndim < 1 or q.shape[-1] < 1:
        raise ValueError(f"q_values must have a last axis of actions, got shape {q.shape}")
    eps = np.asarray(epsilon, dtype=float)
    if (eps < 0).any() or (eps > 1).any():
        raise ValueError(f"epsilon must lie in [0, 1], got {epsilon!r}")
    noise = rng.random(q.shape) * 1e-9 * (np.abs(q).max() + 1.0)     # random tie-breaking
    greedy = (q + noise).argmax(-1)
    explore = rng.random(q.shape[:-1]) < eps
    return np.where(explore, rng.integers(0, q.shape[-1], size=q.shape[:-1]), greedy)


def linear_schedule(start: float, end: float, duration: int):
    """``f(t)`` going linearly from ``start`` at ``t = 0`` to ``end`` at ``t = duration``, flat after."""
    if not isinstance(duration, (int, np.integer)) or duration < 1:
        raise ValueError(f"duration must be a positive integer, got {duration!r}")
    for name, v in (("start", start), ("end", end)):
        if not 0.0 <= float(v) <= 1.0:
            raise ValueError(f"{name} must lie in [0, 1], got {v!r}")

    def f(t):
        frac = np.clip(np.asarray(t, dtype=float) / duration, 0.0, 1.0)
        return start + frac * (end - start)

    return f
