"""Discounted returns, computed backwards: ``G_t = r_t + gamma * G_{t+1}``.

Chapter 5 (``02-returns-and-values``) derives the backward recursion and checks it
against the forward definition and against this function, which the later
notebooks use on batches of episodes.
"""
from __future__ import annotations

import numpy as np


def check_rollout(rewards, gamma, dones=None) -> tuple[np.ndarray, np.ndarray]:
    """Validate a rollout's ``rewards`` (``(T,)`` or ``(T, n_envs)``), ``gamma`` and
    ``dones``; return the rewards as float64 and the done flags as booleans."""
    r = np.asarray(rewards, dtype=np.float64)
    if r.ndim not in (1, 2):
        raise ValueError(f"rewards must have shape (T,) or (T, n_envs), got {r.shape}")
    if not 0.0 <= float(gamma) <= 1.0:
        raise ValueError(f"gamma must lie in [0, 1], got {gamma!r}")
    if dones is None:
        return r, np.zeros(r.shape, dtype=bool)
    d = np.asarray(dones, dtype=bool)
    if d.shape != r.shape:
        raise ValueError(f"dones must have the shape of rewards {r.shape}, got {d.shape}")
    return r, d


def discounted_returns(rewards, gamma: float, dones=None) -> np.ndarray:
    """Return-to-go of every step.

    ``rewards`` has time on axis 0: shape ``(T,)`` or ``(T, n_envs)``. ``dones[t]``
    marks that the episode ended with step ``t`` (the sum restarts before it); without
    ``dones`` the whole array is one episode per column. Steps after the end of an
    episode inside a padded batch should carry zero reward.
    """
    r, d = check_rollout(rewards, gamma, dones)
    G = np.zeros_like(r)
    running = np.zeros(r.shape[1:])
    for t in range(len(r) - 1, -1, -1):
        running = r[t] + gamma * running * (~d[t])
        G[t] = running
    return G
