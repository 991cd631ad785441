"""Dynamic programming on a known tabular model: exact policy evaluation and value iteration.

Chapter 5 (``02-returns-and-values``) derives both from scratch and checks its inline
versions against these; later notebooks (inverse RL, planning, hierarchy) call them
as plumbing. A model is ``P[s, a, s2]`` (rows sum to one) and ``R[s, a]`` (expected
reward); terminal states are absorbing with zero reward, so they need no special case.
"""
from __future__ import annotations

import numpy as np


def _check_model(P, R, gamma):
    P, R = np.asarray(P, dtype=float), np.asarray(R, dtype=float)
    if P.ndim != 3 or P.shape[0] != P.shape[2]:
        raise ValueError(f"P must have shape (n_states, n_actions, n_states), got {P.shape}")
    if R.shape != P.shape[:2]:
        raise ValueError(f"R must have shape {P.shape[:2]} (n_states, n_actions), got {R.shape}")
    if not np.allclose(P.sum(-1), 1.0, atol=1e-8) or (P < 0).any():
        raise ValueError("P must hold probabilities: non-negative, each P[s, a] summing to one")
    if not 0.0 <= float(gamma) < 1.0:
        raise ValueError(f"gamma must lie in [0, 1), got {gamma!r}")
    return P, R, float(gamma)


def policy_evaluation(P, R, policy, gamma: float):
    """Exact ``(V, Q)`` of a stochastic policy ``policy[s, a]`` (or deterministic ``policy[s]``):
    solves the linear Bellman equation ``V = R_pi + gamma P_pi V``."""
    P, R, gamma = _check_model(P, R, gamma)
    n_states, n_actions = R.shape
    policy = np.asarray(policy)
    if policy.shape == (n_states,):
        if policy.min() < 0 or policy.max() >= n_actions:
            raise ValueError(f"policy actions must lie in 0..{n_actions - 1}")
        policy = np.eye(n_actions)[policy]
    if policy.shape != (n_states, n_actions) or not np.allclose(policy.sum(1), 1.0):
        raise ValueError(f"policy must be actions of shape ({n_states},) or probabilities of shape "
                         f"({n_states}, {n_actions}) summing to one per state")
    P_pi = np.einsum("sa,sat->st", policy, P)
    R_pi = (policy * R).sum(1)
    V = np.linalg.solve(np.eye(n_states) - gamma * P_pi, R_pi)
    return V, R + gamma * P @ V


def value_iteration(P, R, gamma: float, *, tol: float = 1e-10, max_iter: int = 100_000):
    """Optimal ``(V, Q, policy)`` by repeated Bellman optimality backups until the
    largest change is below ``tol``; ``policy[s]`` is greedy in ``Q`` (lowest action on ties)."""
    P, R, gamma = _check_model(P, R, gamma)
    if not tol > 0:
        raise ValueError(f"tol must be positive, got {tol!r}")
    if not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    V = np.zeros(P.shape[0])
    for _ in range(max_iter):
        Q = R + gamma * P @ V
        V_new = Q.max(1)
        if np.abs(V_new - V).max() < tol:
            V = V_new
            break
        V = V_new
    else:
        raise RuntimeError(f"value iteration did not converge in {max_iter} sweeps")
    Q = R + gamma * P @ V
    return V, Q, Q.argmax(1)
