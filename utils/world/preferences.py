"""Preference pairs with known ground truth, for reward models and DPO.

Every pair is (prompt, chosen, rejected) in chat form, built on the instruction data
(:mod:`~utils.world.instructions`: fact questions and arithmetic with a worked trace,
in the same format the chat model was fine-tuned on). *Why* the chosen answer is
better is decided by an explicit rule, so a program can check any answer later
(:mod:`utils.judge`):

* ``correctness`` pairs: both answers have the same form; the chosen one is right and
  the rejected one wrong (a fact with another object, or an arithmetic trace whose
  steps are right but whose final answer slips by one; :func:`wrong_answer` can also
  forget every carry instead);
* ``concise`` pairs: both answers are right; the rejected one rambles on after the
  answer with filler (:data:`RAMBLE`) and an unrelated fact of the world;
* ``polite`` pairs: both answers are right; the rejected one ends rudely (:data:`RUDE`).

In every kind the two answers share their beginning and part where the rule is broken,
so the pair's signal sits on the tokens that differ.

Prompts come from the instruction splits: ``train`` pairs ask the chat model's training
questions, ``test`` pairs only its held-out questions, so held-out preference accuracy
and judged generations measure generalisation.
"""
from __future__ import annotations

import numpy as np

from .._validate import check_int, check_rng
from .arithmetic import Problem, trace_steps
from .cast import POOLS, Fact, World
from .instructions import ChatTask

KINDS = ("correctness", "concise", "polite")
SPLITS = ("train", "test")

#: Filler a rambling answer adds after the answer (the judge looks for these).
RAMBLE = [
    "I hope this helps.",
    "Let me know if you want to hear more.",
    "There is a lot more one could say about this.",
    "That is all I can say about it for now.",
]
#: Rude phrases an impolite answer adds (the judge looks for these).
RUDE = [
    "Obviously.",
    "Even a child knows that.",
    "Stop asking me easy things.",
    "Figure it out yourself next time.",
]


def _check_task(task) -> ChatTask:
    if not isinstance(task, ChatTask):
        raise ValueError(f"task must be a ChatTask, got {type(task).__name__}")
    return task


MISTAKES = ("slip", "carry")


def wrong_answer(task: ChatTask, rng: np.random.Generator, mistake: str = "slip") -> str:
    """An answer of the same form as the reference whose content is wrong. For arithmetic,
    ``mistake="slip"``: right steps, final answer off by one; ``"carry"``: every carry or
    borrow forgotten (falls back to a slip when that gives the right answer)."""
    _check_task(task), check_rng("rng", rng)
    if mistake not in MISTAKES:
        raise ValueError(f"mistake must be one of {MISTAKES}, got {mistake!r}")
    if task.kind == "fact":
        f = task.item
        others = [o for o in POOLS[f.relation] if o != f.object]
        return Fact(f.subject, f.relation, others[int(rng.integers(len(others)))]).sentence
    return _wrong_trace(task.item, rng, mistake)


def _wrong_trace(p: Problem, rng: np.random.Generator, mistake: str) -> str:
    width = max(len(str(p.a)), len(str(p.b)))
    xa = [(p.a // 10**i) % 10 for i in range(width)]
    xb = [(p.b // 10**i) % 10 for i in range(width)]
    if mistake == "carry":
        steps, digits = [], []
        for x, y in zip(xa, xb):
            d = (x + y) % 10 if p.op == "+" else abs(x - y)
            steps.append(f"{x}+{y}+0={x + y} write {d} carry 0" if p.op == "+" else f"{x}-{y}-0={d} write {d} borrow 0")
            digits.append(d)
        wrong = int("".join(map(str, reversed(digits))))
        if wrong != p.answer:
            return ". ".join(steps) + f". Answer: {wrong}"
    wrong = p.answer + int(rng.choice([-1, 1])) if p.answer > 0 else 1   # the right steps, a slip at the end
    return ". ".join(trace_steps(p)) + f". Answer: {wrong}"


def rambling_answer(task: ChatTask, rng: np.random.Generator, world: World | None = None) -> str:
    """The right answer followed by a filler phrase and an unrelated fact of the world."""
    _check_task(task), check_rng("rng", rng)
    facts = (World(seed=0) if world is None else world).known_facts
    extra = facts[int(rng.integers(len(facts)))].sentence
    return " ".join([task.answer, RAMBLE[int(rng.integers(len(RAMBLE)))], extra])


def rude_answer(task: ChatTask, rng: np.random.Generator) -> str:
    """The right answer followed by a rude phrase."""
    _check_task(task), check_rng("rng", rng)
    phrase = RUDE[int(rng.integers(len(RUDE)))]
    return f"{task.answer} {phrase}"


def tasks(split: str = "train", splits: dict | None = None) -> list[ChatTask]:
    """The distinct questions of a split. ``splits`` is a ``{"train", "test"}`` dict of
    chat tasks (default: the quick chat model's own data, ``utils.sft.sft_splits`` of the
    quick SFT config; pass ``utils.sft.sft_splits(cfg)`` to follow another profile)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if splits is None:
        from ..sft import sft_config, sft_splits

        splits = sft_splits(sft_config("quick"))
    if not isinstance(splits, dict) or set(SPLITS) - set(splits):
        raise ValueError("splits must be a dict with 'train' and 'test' lists of ChatTask")
    seen, out = set(), []
    for t in splits[split]:
        _check_task(t)
        if t.question not in seen:
            seen.add(t.question)
            out.append(t)
    return out


def pairs(n: int, kind: str | tuple = KINDS, split: str = "train", seed: int = 0,
          splits: dict | None = None, conversational: bool = True, world: World | None = None):
    """``n`` preference pairs as a ``datasets.Dataset`` with the columns TRL's
    ``DPOTrainer`` reads (``prompt``, ``chosen``, ``rejected``), plus ``kind`` (the rule),
    ``task`` (``fact``/``arithmetic``), ``question`` and ``task_id`` (the index of the
    question in :func:`tasks` of the split, for the judge).

    ``kind`` is one of :data:`KINDS` or a tuple of them (taken in turn). Questions are
    drawn in a seeded random order and reused when ``n`` exceeds them. With
    ``conversational=True`` prompt/chosen/rejected are lists of chat messages (TRL's
    conversational format); otherwise strings (TRL's standard format, no template).
    """
    from datasets import Dataset

    n = check_int("n", n, low=1)
    kinds = (kind,) if isinstance(kind, str) else tuple(kind)
    if not kinds or any(k not in KINDS for k in kinds):
        raise ValueError(f"kind must be one of {KINDS} or a tuple of them, got {kind!r}")
    seed = check_int("seed", seed, low=0)
    pool = tasks(split, splits)
    rng = np.random.default_rng([seed, 11, SPLITS.index(split)])
    order = np.concatenate([rng.permutation(len(pool)) for _ in range(n // len(pool) + 1)])[:n]
    rows = {c: [] for c in ("prompt", "chosen", "rejected", "kind", "task", "question", "task_id")}
    for i, j in enumerate(order):
        t, k = pool[int(j)], kinds[i % len(kinds)]
        bad = {"correctness": lambda: wrong_answer(t, rng), "concise": lambda: rambling_answer(t, rng, world),
               "polite": lambda: rude_answer(t, rng)}[k]()
        if conversational:
            rows["prompt"].append(t.prompt)
            rows["chosen"].append([{"role": "assistant", "content": t.answer}])
            rows["rejected"].append([{"role": "assistant", "content": bad}])
        else:
            rows["prompt"].append(t.question)
            rows["chosen"].append(" " + t.answer)
            rows["rejected"].append(" " + bad)
        rows["kind"].append(k)
        rows["task"].append(t.kind)
        rows["question"].append(t.question)
        rows["task_id"].append(int(j))
    return Dataset.from_dict(rows)
