"""Generalised advantage estimation (GAE), vectorised over environments.

Chapter 6 (``02-gae``) derives GAE, writes the single-trajectory loop and a
loop-free matrix form, and asserts both equal this function, which the later
notebooks (A2C, TRPO, PPO) use on rollouts of shape ``(T, n_envs)``:

    adv = gae(rewards, values, dones, gamma=0.99, lam=0.95)   # values has T + 1 rows
    value_targets = adv + values[:-1]
"""
from __future__ import annotations

import numpy as np

from .returns import check_rollout


def gae(rewards, values, dones=None, gamma: float = 0.99, lam: float = 0.95) -> np.ndarray:
    """Advantages ``A_t = sum_k (gamma * lam)^k delta_{t+k}`` with ``delta_t = r_t + gamma V_{t+1} - V_t``.

    ``rewards`` has shape ``(T,)`` or ``(T, n_envs)``; ``values`` has one more row
    (``values[T]`` is the value of the state after the last step, used to bootstrap).
    ``dones[t]`` marks that the episode ended with step ``t``: no bootstrap from
    ``values[t + 1]`` (with same-step reset, that row is already the *next* episode's
    first state) and the sum restarts before it.

    Termination vs truncation: an episode cut by a time limit did not end, its last
    state still has a value. Add ``gamma * V(final_obs)`` to the reward of that step
    **and** mark it done. Marking it done alone treats the cut as a real end (biased
    low); adding the bootstrap without marking it done bootstraps twice, once from the
    final observation and once from ``values[t + 1]``, the next episode's first state,
    and lets the sum run on into the next episode.
    """
    r, d = check_rollout(rewards, gamma, dones)
    v = np.asarray(values, dtype=np.float64)
    if v.shape != (r.shape[0] + 1,) + r.shape[1:]:
        raise ValueError(f"values must have shape {(r.shape[0] + 1,) + r.shape[1:]} (T + 1 rows), got {v.shape}")
    if not 0.0 <= float(lam) <= 1.0:
        raise ValueError(f"lam must lie in [0, 1], got {lam!r}")
    not_done = 1.0 - d
    delta = r + gamma * v[1:] * not_done - v[:-1]
    adv = np.zeros_like(r)
    running = np.zeros(r.shape[1:])
    for t in range(len(r) - 1, -1, -1):
        running = delta[t] + gamma * lam * not_done[t] * running
        adv[t] = running
    return adv
