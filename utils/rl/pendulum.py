"""Pendulum-v1's dynamics in NumPy, batched, to measure true values from many states at once.

Chapter 6 (``06-deterministic-policies-ddpg-td3``) compares a critic's estimate
``Q(s, mu(s))`` with the discounted return actually obtained from ``s`` by the policy
``mu``. The return is computed here by rolling out the same physics as gymnasium's
``Pendulum-v1`` (checked against it in ``tests/test_rl_pendulum.py``) for a whole
batch of start states in parallel:

    G = pendulum_returns(obs, policy, gamma=0.99, horizon=400)   # obs: (n, 3) observations
    obs = visited_states(policy, n_starts=64, steps=200, every=25, rng=rng)  # states the policy visits
"""
from __future__ import annotations

from typing import Callable

import numpy as np

G_ACCEL, MASS, LENGTH, DT, MAX_SPEED, MAX_TORQUE = 10.0, 1.0, 1.0, 0.05, 8.0, 2.0


def pendulum_step(theta, theta_dot, torque):
    """One step of Pendulum-v1 for arrays of states: returns (theta, theta_dot, reward)."""
    u = np.clip(np.asarray(torque, dtype=np.float64), -MAX_TORQUE, MAX_TORQUE)
    th, thdot = np.asarray(theta, dtype=np.float64), np.asarray(theta_dot, dtype=np.float64)
    norm = ((th + np.pi) % (2 * np.pi)) - np.pi
    reward = -(norm ** 2 + 0.1 * thdot ** 2 + 0.001 * u ** 2)
    new_thdot = np.clip(thdot + (3 * G_ACCEL / (2 * LENGTH) * np.sin(th) + 3.0 / (MASS * LENGTH ** 2) * u) * DT,
                        -MAX_SPEED, MAX_SPEED)
    return th + new_thdot * DT, new_thdot, reward


def observation(theta, theta_dot) -> np.ndarray:
    """Pendulum-v1's observation ``(cos theta, sin theta, theta_dot)``, shape ``(n, 3)``, float32."""
    return np.stack([np.cos(theta), np.sin(theta), theta_dot], -1).astype(np.float32)


def pendulum_returns(obs, policy: Callable[[np.ndarray], np.ndarray], gamma: float = 0.99,
                     horizon: int = 400) -> np.ndarray:
    """Discounted return of ``policy(obs_batch) -> torques (n, 1)`` from each start observation.

    ``obs`` has shape ``(n, 3)``. The sum runs for ``horizon`` steps (the time limit of the
    gymnasium environment is ignored: a critic trained with bootstrapping at the time limit
    estimates this infinite-horizon value, and ``gamma ** horizon`` bounds what is left out).
    """
    o = np.asarray(obs, dtype=np.float64)
    if o.ndim != 2 or o.shape[1] != 3:
        raise ValueError(f"obs must have shape (n, 3), got {o.shape}")
    if not 0.0 <= float(gamma) < 1.0:
        raise ValueError(f"gamma must lie in [0, 1), got {gamma!r}")
    if not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"horizon must be a positive integer, got {horizon!r}")
    if not callable(policy):
        raise ValueError("policy must be callable: policy(obs_batch) -> torques")
    th, thdot = np.arctan2(o[:, 1], o[:, 0]), o[:, 2]
    total, discount = np.zeros(len(o)), 1.0
    for _ in range(horizon):
        u = np.asarray(policy(observation(th, thdot)), dtype=np.float64).reshape(len(o))
        th, thdot, r = pendulum_step(th, thdot, u)
        total += discount * r
        discount *= gamma
    return total


def visited_states(policy: Callable[[np.ndarray], np.ndarray], n_starts: int = 64, steps: int = 200,
                   every: int = 25, rng: np.random.Generator | None = None) -> np.ndarray:
    """Observations visited by ``policy`` from Pendulum-v1's start distribution.

    ``n_starts`` episodes start at uniform angles and speeds (as ``reset`` draws them) and run
    ``steps`` steps; the observations at steps ``0, every, 2 every, ...`` are returned, shape
    ``(n_starts * ceil(steps / every), 3)``.
    """
    if not callable(policy):
        raise ValueError("policy must be callable: policy(obs_batch) -> torques")
    for name, v in (("n_starts", n_starts), ("steps", steps), ("every", every)):
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    rng = np.random.default_rng(0) if rng is None else rng
    th, thdot = rng.uniform(-np.pi, np.pi, n_starts), rng.uniform(-1.0, 1.0, n_starts)
    kept = []
    for t in range(steps):
        obs = observation(th, thdot)
        if t % every == 0:
            kept.append(obs)
        u = np.asarray(policy(obs), dtype=np.float64).reshape(n_starts)
        th, thdot, _ = pendulum_step(th, thdot, u)
    return np.concatenate(kept)
