"""A program-based judge of chat answers on two axes: correctness and style.

The rules are the ones the preference data (:mod:`utils.world.preferences`) was built
with, so the judge can score answers a model *generates*:

* **correct**: the instruction data's own check (:func:`utils.world.score_response`):
  the arithmetic answer is the right number, the fact answer names the right object first;
* **concise**: no filler phrase of :data:`~utils.world.preferences.RAMBLE`, and nothing
  after the answer (a fact answer is one sentence; an arithmetic answer stops at
  ``Answer: N``);
* **polite**: no rude phrase of :data:`~utils.world.preferences.RUDE`.

``style`` is concise and polite together.
"""
from __future__ import annotations

import re

import numpy as np

from .world.instructions import ChatTask, score_response
from .world.preferences import RAMBLE, RUDE

AXES = ("correct", "concise", "polite", "style")
_RAMBLE = [p.rstrip(".").lower() for p in RAMBLE]
_RUDE = [re.compile(re.escape(p.rstrip(".")) + r"\.?", re.I) for p in RUDE]


def judge_answer(task: ChatTask, text: str) -> dict[str, bool]:
    """Score one answer to ``task`` on every axis of :data:`AXES`."""
    if not isinstance(task, ChatTask):
        raise ValueError(f"task must be a ChatTask, got {type(task).__name__}")
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    correct = score_response(task, text)["correct"]
    polite = not any(p.search(text) for p in _RUDE)
    rest = text
    for p in _RUDE:   # a rude phrase counts against politeness only, not against concision
        rest = p.sub("", rest)
    rest = rest.strip()
    if task.kind == "fact":
        extra = len([s for s in re.split(r"(?<=[.!?])\s+", rest) if s]) > 1
    else:
        m = re.search(r"Answer: -?\d+", rest)
        extra = m is not None and bool(rest[m.end():].strip(" .\n"))
    concise = not extra and not any(p in text.lower() for p in _RAMBLE)
    return {"correct": bool(correct), "concise": bool(concise), "polite": bool(polite),
            "style": bool(concise and polite)}


def judge_answers(tasks, texts) -> dict[str, np.ndarray]:
    """Score many answers: one boolean array per axis of :data:`AXES`."""
    tasks, texts = list(tasks), list(texts)
    if len(tasks) != len(texts):
        raise ValueError(f"tasks and texts must have the same length, got {len(tasks)} and {len(texts)}")
    scores = [judge_answer(t, x) for t, x in zip(tasks, texts)]
    return {axis: np.array([s[axis] for s in scores], dtype=bool) for axis in AXES}
