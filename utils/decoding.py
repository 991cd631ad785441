"""Decoding helpers that several chapters share: the sampling filters (temperature,
top-k, top-p, min-p, exactly as ``generate`` applies them) and batched sampling of many answers
per chat prompt (chapter 4's sampling notebook teaches the filters; chapter 8's
best-of-N, majority vote and search reuse them).

    answers = sample_responses(model, tok, prompts, n=8, temperature=0.8, seed=0)
    answers[i][j]["text"]       # the j-th sampled answer to prompt i
    probs = filter_logits(logits, temperature=0.7, top_p=0.9).softmax(-1)   # what generate samples from
"""
from __future__ import annotations

import torch

from ._validate import check_fraction, check_int
from .evaluation import generate_responses


def _check_temperature(temperature) -> float:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    return float(temperature)


def _check_top_p(top_p) -> float:
    if isinstance(top_p, bool) or not isinstance(top_p, (int, float)) or not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {top_p!r}")
    return float(top_p)


def sample_responses(model, tokenizer, prompts: list[list[dict]], n: int = 1, temperature: float = 1.0,
                     top_p: float = 1.0, top_k: int = 0, min_p: float | None = None,
                     max_new_tokens: int = 64, batch_size: int = 64, seed: int | None = None) -> list[list[dict]]:
    """``n`` sampled assistant responses per chat prompt, with ``generate``'s sampling
    (temperature, then top-k, top-p, min-p filters; ``top_k=0`` and ``top_p=1`` switch
    those off -- unlike ``generate``'s own default of ``top_k=50``).

    Returns, per prompt, a list of ``n`` dicts ``{"text", "finished", "n_tokens"}``
    (see :func:`utils.evaluation.generate_responses`). ``seed`` seeds torch's global
    generator first, so a call is repeatable; ``batch_size`` counts prompts per call.
    """
    n = check_int("n", n, low=1)
    top_k = check_int("top_k", top_k, low=0)                    # 0 = off
    kwargs = dict(do_sample=True, temperature=_check_temperature(temperature), top_p=_check_top_p(top_p),
                  top_k=top_k)
    if min_p is not None:
        kwargs["min_p"] = check_fraction("min_p", min_p)
    if seed is not None:
        torch.manual_seed(check_int("seed", seed, low=0))
    out = generate_responses(model, tokenizer, prompts, max_new_tokens=max_new_tokens,
                             batch_size=batch_size, num_return_sequences=n, **kwargs)
    return [rows if n > 1 else [rows] for rows in out]


# --- The sampling filters of chapter 4's sampling notebook (chapter 8 reuses them) ---------
#
# Each takes logits of shape (..., V) and returns logits of the same shape with the tokens it
# removes set to -inf, so that ``softmax`` of the result is the filtered, renormalised
# distribution. They agree exactly with transformers' ``TemperatureLogitsWarper``,
# ``TopKLogitsWarper``, ``TopPLogitsWarper`` and ``MinPLogitsWarper`` (ties included).

def _check_logits(logits) -> torch.Tensor:
    if not isinstance(logits, torch.Tensor) or logits.dim() < 1 or logits.shape[-1] < 1 \
            or not logits.is_floating_point():
        raise ValueError("logits must be a floating-point tensor of shape (..., vocab_size)")
    return logits


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """``logits / temperature``: below 1 sharpens the distribution, above 1 flattens it."""
    return _check_logits(logits) / _check_temperature(temperature)


def top_k_filter(logits: torch.Tensor, k: int, min_tokens_to_keep: int = 1) -> torch.Tensor:
    """Keep the tokens whose logit is at least the k-th largest (so ties with the k-th
    token all stay); ``k`` is raised to ``min_tokens_to_keep``."""
    _check_logits(logits)
    k = check_int("k", k, low=1)
    keep = check_int("min_tokens_to_keep", min_tokens_to_keep, low=1)
    k = min(max(k, keep), logits.shape[-1])
    kth = logits.topk(k, dim=-1).values[..., -1:]
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_filter(logits: torch.Tensor, p: float, min_tokens_to_keep: int = 1) -> torch.Tensor:
    """Nucleus filter: keep the smallest set of most probable tokens whose probability
    reaches ``p``. Sorted from the least probable up, a token is dropped while the mass
    of it and everything below it is at most ``1 - p``; the ``min_tokens_to_keep`` most
    probable tokens always stay. Among tokens tied at the edge, the sort order decides."""
    _check_logits(logits)
    p = check_fraction("p", p)
    keep = check_int("min_tokens_to_keep", min_tokens_to_keep, low=1)
    ascending, order = torch.sort(logits, descending=False, dim=-1)
    mass_at_or_below = ascending.softmax(dim=-1).cumsum(dim=-1)
    drop_sorted = mass_at_or_below <= 1 - p
    drop_sorted[..., -keep:] = False
    drop = torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


def min_p_filter(logits: torch.Tensor, min_p: float, min_tokens_to_keep: int = 1) -> torch.Tensor:
    """Keep the tokens whose probability is at least ``min_p`` times the top token's
    (and the ``min_tokens_to_keep`` most probable ones)."""
    _check_logits(logits)
    min_p = check_fraction("min_p", min_p)
    keep = check_int("min_tokens_to_keep", min_tokens_to_keep, low=1)
    probs = logits.softmax(dim=-1)
    drop = probs < min_p * probs.amax(dim=-1, keepdim=True)
    top = probs.topk(min(keep, probs.shape[-1]), dim=-1).indices
    drop = drop.scatter(-1, top, False)
    return logits.masked_fill(drop, float("-inf"))


def filter_logits(logits: torch.Tensor, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
                  min_p: float | None = None, min_tokens_to_keep: int = 1) -> torch.Tensor:
    """The filters in ``generate``'s order: temperature, top-k (``0`` = off), top-p
    (``1`` = off), min-p (``None`` = off)."""
    out = apply_temperature(logits, temperature) if temperature != 1.0 else _check_logits(logits)
    if check_int("top_k", top_k, low=0) > 0:
        out = top_k_filter(out, top_k, min_tokens_to_keep)
    if _check_top_p(top_p) < 1.0:
        out = top_p_filter(out, top_p, min_tokens_to_keep)
    if min_p is not None:
        out = min_p_filter(out, min_p, min_tokens_to_keep)
    return out
