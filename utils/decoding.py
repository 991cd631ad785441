"""Decoding helpers that several chapters share: batched sampling of many answers
per chat prompt (chapter 4's sampling notebook teaches the filters; chapter 8's
best-of-N, majority vote and search reuse them).

    answers = sample_responses(model, tok, prompts, n=8, temperature=0.8, seed=0)
    answers[i][j]["text"]       # the j-th sampled answer to prompt i
"""
from __future__ import annotations

import torch

from .evaluation import generate_responses


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
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) or temperature <= 0:
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    if not isinstance(top_p, (int, float)) or isinstance(top_p, bool) or not 0 < top_p <= 1:
        raise ValueError(f"top_p must be in (0, 1], got {top_p!r}")
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 0:
        raise ValueError(f"top_k must be a non-negative integer (0 = off), got {top_k!r}")
    if min_p is not None and (not isinstance(min_p, (int, float)) or isinstance(min_p, bool)
                              or not 0 <= min_p <= 1):
        raise ValueError(f"min_p must be None or in [0, 1], got {min_p!r}")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be None or a non-negative integer, got {seed!r}")
        torch.manual_seed(seed)
    kwargs = dict(do_sample=True, temperature=float(temperature), top_p=float(top_p), top_k=top_k)
    if min_p is not None:
        kwargs["min_p"] = float(min_p)
    out = generate_responses(model, tokenizer, prompts, max_new_tokens=max_new_tokens,
                             batch_size=batch_size, num_return_sequences=n, **kwargs)
    return [rows if n > 1 else [rows] for rows in out]
