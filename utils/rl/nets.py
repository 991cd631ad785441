"""The small actor-critic networks of chapter 6, built the way CleanRL-style code builds them.

``06-01`` (actor-critic) teaches the orthogonally initialised layer and asserts that its
inline version equals :func:`orthogonal_layer`; TRPO (``06-03``) and PPO (``06-04``) use
these directly.
"""
from __future__ import annotations

import math

import torch.nn as nn

from .._validate import check_int


def orthogonal_layer(n_in: int, n_out: int, std: float = math.sqrt(2)) -> nn.Linear:
    """``nn.Linear`` with an orthogonal weight of gain ``std`` and a zero bias."""
    n_in, n_out = check_int("n_in", n_in, low=1), check_int("n_out", n_out, low=1)
    if not std > 0:
        raise ValueError(f"std must be positive, got {std!r}")
    lin = nn.Linear(n_in, n_out)
    nn.init.orthogonal_(lin.weight, std)
    nn.init.zeros_(lin.bias)
    return lin


def tanh_mlp(n_in: int, n_out: int, hidden: int = 64, out_std: float = 0.01) -> nn.Sequential:
    """Two tanh hidden layers of width ``hidden``; the output layer's gain is ``out_std``
    (0.01 for a policy's logits or mean, so the first policy is near uniform; 1.0 for a critic)."""
    return nn.Sequential(orthogonal_layer(n_in, hidden), nn.Tanh(), orthogonal_layer(hidden, hidden), nn.Tanh(),
                         orthogonal_layer(hidden, n_out, out_std))
