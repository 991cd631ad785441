"""The pre-training corpus: facts of the world in a few phrasings, and worked arithmetic."""
from __future__ import annotations

import numpy as np

from .._validate import check_fraction, check_int
from .arithmetic import make_problem, trace
from .cast import World

#: Extra phrasings of each relation, so the corpus is not one template per fact.
_PARAPHRASES = {
    "lives_in": ["{s} lives in {o}.", "{s} has a home in {o}.", "In {o} lives {s}."],
    "works_as": ["{s} works as a {o}.", "{s} is a {o} by trade.", "The {o} is {s}."],
    "has_pet": ["{s} has a {o}.", "{s} keeps a {o} at home.", "The {o} belongs to {s}."],
    "likes_colour": ["{s} likes the colour {o}.", "The favourite colour of {s} is {o}.",
                     "{s} loves anything {o}."],
}


def _fact_document(rng: np.random.Generator, facts, n_sentences: int) -> str:
    idx = rng.choice(len(facts), size=n_sentences, replace=False)
    parts = []
    for i in idx:
        f = facts[int(i)]
        templates = _PARAPHRASES[f.relation]
        parts.append(templates[int(rng.integers(len(templates)))].format(s=f.subject, o=f.object))
    return " ".join(parts)


def pretraining_corpus(n_docs: int = 4000, seed: int = 0, world: World | None = None,
                       arithmetic_share: float = 0.5, digits: int = 2) -> list[str]:
    """``n_docs`` short documents: about ``arithmetic_share`` of them worked arithmetic
    (``Q: 47+85=?\\nA: ... Answer: 132``), the rest two to four facts of the world.

    Held-out facts of ``world`` never appear. Deterministic for ``seed``.
    """
    n_docs = check_int("n_docs", n_docs, low=1)
    seed = check_int("seed", seed, low=0)
    share = check_fraction("arithmetic_share", arithmetic_share)
    digits = check_int("digits", digits, low=1, high=12)
    if world is None:
        world = World(seed=0)
    elif not isinstance(world, World):
        raise ValueError(f"world must be a World, got {type(world).__name__}")
    rng = np.random.default_rng(seed)
    facts = world.known_facts
    docs = []
    for _ in range(n_docs):
        if rng.random() < share:
            p = make_problem(rng, digits=int(rng.integers(1, digits + 1)))
            docs.append(p.prompt + trace(p))
        else:
            docs.append(_fact_document(rng, facts, int(rng.integers(2, 5))))
    return docs


def split_corpus(docs: list[str], held_out: float = 0.1, seed: int = 0) -> tuple[list[str], list[str]]:
    """Shuffle and split documents into (train, held-out)."""
    if not isinstance(docs, list) or not docs:
        raise ValueError("docs must be a non-empty list of strings")
    frac = check_fraction("held_out", held_out)
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    order = rng.permutation(len(docs))
    n = max(1, int(round(frac * len(docs)))) if frac > 0 else 0
    held = [docs[i] for i in order[:n]]
    train = [docs[i] for i in order[n:]]
    return train, held
