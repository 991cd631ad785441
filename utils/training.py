"""A small training-loop helper for notebooks whose lesson is not the loop itself.

    history = fit(step_fn, n_steps=300, eval_fn=evaluate, eval_every=50)

``step_fn(step)`` does one optimisation step and returns the loss (a float or a
0-d tensor); ``eval_fn()`` returns a dict of metrics. The helper draws a progress
bar, keeps the loss history and the periodic evaluations, and times the run.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

from tqdm.auto import tqdm

from ._validate import check_fraction, check_int


@dataclass
class History:
    losses: list[float] = field(default_factory=list)
    evals: list[tuple[int, dict]] = field(default_factory=list)
    seconds: float = 0.0

    def metric(self, name: str) -> tuple[list[int], list[float]]:
        """Steps and values of one evaluation metric, ready to plot."""
        if self.evals and name not in self.evals[0][1]:
            raise KeyError(f"no metric {name!r}; known: {sorted(self.evals[0][1])}")
        return [s for s, _ in self.evals], [m[name] for _, m in self.evals]


def fit(step_fn: Callable[[int], float], n_steps: int, *,
        eval_fn: Callable[[], Mapping[str, float]] | None = None, eval_every: int = 0,
        desc: str = "train", progress: bool = True) -> History:
    """Run ``n_steps`` calls of ``step_fn``; evaluate at step 0, every ``eval_every`` steps and at the end."""
    if not callable(step_fn):
        raise ValueError("step_fn must be callable: step_fn(step) -> loss")
    n_steps = check_int("n_steps", n_steps, low=1)
    if eval_fn is not None and not callable(eval_fn):
        raise ValueError("eval_fn must be callable or None")
    eval_every = check_int("eval_every", eval_every, low=0)
    hist = History()

    def _eval(step: int) -> None:
        if eval_fn is not None:
            hist.evals.append((step, dict(eval_fn())))

    start = time.perf_counter()
    _eval(0)
    bar = tqdm(range(n_steps), desc=desc, disable=not progress, mininterval=0.5)
    for step in bar:
        loss = step_fn(step)
        loss = float(loss.item() if hasattr(loss, "item") else loss)
        if not math.isfinite(loss):
            raise FloatingPointError(f"loss became {loss} at step {step}")
        hist.losses.append(loss)
        if step % 10 == 0:
            bar.set_postfix(loss=f"{loss:.4f}")
        if eval_fn is not None and eval_every and (step + 1) % eval_every == 0 and step + 1 < n_steps:
            _eval(step + 1)
    if eval_fn is not None:
        _eval(n_steps)
    hist.seconds = time.perf_counter() - start
    return hist


def warmup_cosine(step: int, total: int, warmup: int = 10, floor: float = 0.1) -> float:
    """Learning-rate multiplier: linear warm-up over the first ``warmup`` steps, times a cosine
    that falls from 1 to ``floor`` over ``total`` steps. ``lr = LR * warmup_cosine(step, STEPS)``."""
    step, total, warmup = check_int("step", step, low=0), check_int("total", total, low=1), check_int("warmup", warmup, low=1)
    floor = check_fraction("floor", floor)
    return min(1.0, (step + 1) / warmup) * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * step / total)))

