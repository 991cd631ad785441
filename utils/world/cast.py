"""The cast of the data world and the facts about it.

A :class:`World` is fixed by its seed: who lives where, who works as what, which pet
and favourite colour each character has. Each fact has a sentence form and a
question form. A seeded fraction of the facts is *held out*: it never appears in
the pre-training corpus, so a model can only know it by retrieving it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .._validate import check_fraction, check_int

NAMES = ["Alice", "Bruno", "Chloe", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Ines",
         "Jonas", "Kira", "Luca", "Mara", "Nils", "Olga", "Pavel", "Quinn", "Rosa",
         "Sami", "Tara", "Umar", "Vera", "Wren", "Yusuf"]
PLACES = ["Ashford", "Brookvale", "Cedar Hill", "Dunmore", "Elmstead", "Fairport",
          "Glenrock", "Harbor Point"]
JOBS = ["baker", "teacher", "doctor", "farmer", "painter", "pilot", "builder", "singer"]
PETS = ["cat", "dog", "parrot", "rabbit", "turtle", "goat"]
COLOURS = ["red", "blue", "green", "yellow", "purple", "orange"]
OBJECTS = ["apples", "books", "kites", "lamps", "boats", "cups", "hats", "maps"]

#: relation -> the objects a fact of that relation can have
POOLS = {"lives_in": PLACES, "works_as": JOBS, "has_pet": PETS, "likes_colour": COLOURS}

#: relation -> (sentence template, question template)
RELATIONS = {
    "lives_in": ("{s} lives in {o}.", "Where does {s} live?"),
    "works_as": ("{s} works as a {o}.", "What does {s} work as?"),
    "has_pet": ("{s} has a {o}.", "What pet does {s} have?"),
    "likes_colour": ("{s} likes the colour {o}.", "What colour does {s} like?"),
}


@dataclass(frozen=True)
class Fact:
    subject: str
    relation: str
    object: str

    @property
    def sentence(self) -> str:
        return RELATIONS[self.relation][0].format(s=self.subject, o=self.object)

    @property
    def question(self) -> str:
        return RELATIONS[self.relation][1].format(s=self.subject)


class World:
    """The fixed world for a seed.

    >>> w = World(seed=0)
    >>> w.facts[0].sentence  # doctest: +SKIP
    'Alice lives in Dunmore.'
    """

    def __init__(self, seed: int = 0, n_characters: int = len(NAMES), held_out: float = 0.25):
        self.seed = check_int("seed", seed, low=0)
        self.n_characters = check_int("n_characters", n_characters, low=2, high=len(NAMES))
        self.held_out_fraction = check_fraction("held_out", held_out)
        rng = np.random.default_rng(self.seed)
        self.characters = list(NAMES[: self.n_characters])
        facts = []
        for name in self.characters:
            for rel, pool in POOLS.items():
                facts.append(Fact(name, rel, pool[int(rng.integers(len(pool)))]))
        self.facts: list[Fact] = facts
        n_held = int(round(self.held_out_fraction * len(facts)))
        held_idx = set(rng.permutation(len(facts))[:n_held].tolist())
        self.held_out_facts = [f for i, f in enumerate(facts) if i in held_idx]
        self.known_facts = [f for i, f in enumerate(facts) if i not in held_idx]

    @cached_property
    def places(self) -> list[str]:
        return list(PLACES)

    def lookup(self, subject: str, relation: str) -> str:
        """The object of a fact (``lookup("Alice", "lives_in")``); unknown keys raise ``ValueError``."""
        if relation not in RELATIONS:
            raise ValueError(f"relation must be one of {sorted(RELATIONS)}, got {relation!r}")
        for f in self.facts:
            if f.subject == subject and f.relation == relation:
                return f.object
        raise ValueError(f"subject {subject!r} is not a character of this world")

    def __repr__(self) -> str:
        return (f"World(seed={self.seed}, characters={len(self.characters)}, "
                f"facts={len(self.facts)}, held_out={len(self.held_out_facts)})")


def check_world(world) -> World:
    """``world``, or the seed-0 world when it is None; anything else raises a clear error."""
    world = World(seed=0) if world is None else world
    if not isinstance(world, World):
        raise ValueError(f"world must be a World, got {type(world).__name__}")
    return world
