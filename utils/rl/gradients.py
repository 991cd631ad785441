"""Measuring the spread of a stochastic gradient: the harness that chapter 5's policy
gradient notebook and chapter 6's actor-critic notebook use to compare baselines.

    g = torch.stack([flat_grad(loss_on(batch), params) for batch in batches])   # (n, d)
    s = gradient_spread(g)
    s["variance"]   # total variance: the trace of the gradient's covariance
    s["noise"]      # the noise scale of the n-sample mean: sqrt(variance / n)

Two estimators of the same gradient differ in their mean by more than noise only if
one of them is biased: :func:`mean_gap` is that difference in units of the noise scale.
"""
from __future__ import annotations

import torch


def flat_grad(loss: torch.Tensor, params) -> torch.Tensor:
    """The gradient of a scalar ``loss`` with respect to ``params``, flattened into one
    vector (zeros for a parameter the loss does not depend on). Leaves ``.grad`` alone."""
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise ValueError(f"loss must be a scalar tensor, got {type(loss).__name__}"
                         + (f" of shape {tuple(loss.shape)}" if isinstance(loss, torch.Tensor) else ""))
    params = list(params)
    if not params or not all(isinstance(p, torch.Tensor) and p.requires_grad for p in params):
        raise ValueError("params must be a non-empty iterable of tensors that require grad")
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    return torch.cat([(torch.zeros_like(p) if g is None else g).flatten() for p, g in zip(params, grads)])


def gradient_spread(samples: torch.Tensor) -> dict:
    """For ``samples`` of shape (n, d) -- n independent gradient estimates -- their mean
    (d,), total variance (sum over coordinates of the per-coordinate variance, n - 1 in
    the denominator) and the noise scale of their mean, sqrt(total variance / n)."""
    if not isinstance(samples, torch.Tensor) or samples.dim() != 2 or samples.shape[0] < 2:
        raise ValueError("samples must be a tensor of shape (n, d) with n >= 2 gradient estimates")
    variance = samples.var(0).sum().item()
    return {"mean": samples.mean(0), "variance": variance, "noise": (variance / samples.shape[0]) ** 0.5}


def mean_gap(samples: torch.Tensor, reference: torch.Tensor) -> float:
    """|mean(samples) - mean(reference)| in units of the reference's noise scale: below
    about 3, the two estimators agree on the gradient up to sampling noise."""
    if not isinstance(reference, torch.Tensor) or not isinstance(samples, torch.Tensor) \
            or samples.dim() != 2 or samples.shape[1:] != reference.shape[1:]:
        raise ValueError("samples and reference must be (n, d) tensors with the same d")
    ref = gradient_spread(reference)
    return (gradient_spread(samples)["mean"] - ref["mean"]).norm().item() / ref["noise"]
