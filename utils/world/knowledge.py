"""The knowledge base of the world: documents to chunk, index and retrieve from (RAG).

Every character has a short *profile* document that states its four facts -- the
held-out ones included, so the knowledge base is the only place a model can find
them -- mixed with two sentences that name the character but answer none of the
questions (``Alice keeps lamps in Fairport.``). Every place has a document about its
market, its favourite colour and who keeps things there. Those sentences share names
and words with the questions, so retrieval is not trivial and a wrong passage can
mislead the reader::

    kb = knowledge_base(World(seed=0))          # 24 profiles + 8 place documents
    passages = chunk_documents(kb, size=2)      # windows of two sentences
    tasks = rag_tasks(World(seed=0), "test")    # questions about the held-out facts

Everything here is deterministic for its seed; no sentence contradicts the world.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .._validate import check_int
from .cast import COLOURS, OBJECTS, Fact, World, check_world as _check_world
from .instructions import ChatTask

SPLITS = ("train", "test")
_SENTENCE_END = re.compile(r"(?<=\.)\s+")


@dataclass(frozen=True)
class Document:
    """One document of the knowledge base: ``doc_id`` (``"profile:Alice"``, ``"place:Ashford"``)
    and its text, a few sentences."""
    doc_id: str
    text: str


@dataclass(frozen=True)
class Passage:
    """A chunk of a document: the ``doc_id`` it comes from, its position ``index`` in that
    document's chunks, and its text."""
    doc_id: str
    index: int
    text: str


def knowledge_base(world: World | None = None, seed: int = 0, held_out: bool = True) -> list[Document]:
    """The documents of the knowledge base: one profile per character, one per place.

    A profile holds the character's four fact sentences (in the exact form
    ``Fact.sentence``) and two distractor sentences, in a seeded order. A place
    document holds four sentences about the place (a market, a colour liked there,
    characters who keep things there -- never where anyone lives). ``held_out=False``
    leaves the held-out facts' sentences out (the knowledge a training set may see).
    Deterministic for ``seed``.
    """
    world = _check_world(world)
    seed = check_int("seed", seed, low=0)
    if not isinstance(held_out, bool):
        raise ValueError(f"held_out must be True or False, got {held_out!r}")
    rng = np.random.default_rng(seed)
    hidden = set() if held_out else set(world.held_out_facts)
    home = {f.subject: f.object for f in world.facts if f.relation == "lives_in"}
    places = world.places
    keeps: dict[str, list[str]] = {p: [] for p in places}
    docs = []
    for name in world.characters:
        others = [p for p in places if p != home[name]]
        where = others[int(rng.integers(len(others)))]
        objs = rng.choice(len(OBJECTS), size=2, replace=False)
        friend = [c for c in world.characters if c != name][int(rng.integers(len(world.characters) - 1))]
        fillers = [f"{name} keeps {OBJECTS[objs[0]]} in {where}.",
                   f"{name} has many {OBJECTS[objs[1]]}." if rng.random() < 0.5
                   else f"{name} is a friend of {friend}."]
        keeps[where].append(f"{name} keeps {OBJECTS[objs[0]]} in {where}.")
        facts = [f.sentence for f in world.facts if f.subject == name and f not in hidden]
        sentences = facts + fillers
        order = rng.permutation(len(sentences))
        docs.append(Document(f"profile:{name}", " ".join(sentences[i] for i in order)))
    for place in places:
        obj = OBJECTS[int(rng.integers(len(OBJECTS)))]
        colour = COLOURS[int(rng.integers(len(COLOURS)))]
        sentences = [f"{place} has a market for {obj}.", f"Many people in {place} like the colour {colour}."]
        sentences += keeps[place][:2] or [f"Nobody keeps {obj} in {place}."]
        order = rng.permutation(len(sentences))
        docs.append(Document(f"place:{place}", " ".join(sentences[i] for i in order)))
    return docs


def split_sentences(text: str) -> list[str]:
    """The sentences of a text (split after each full stop)."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


def chunk_document(doc: Document, size: int = 2, stride: int | None = None) -> list[Passage]:
    """Cut a document into windows of ``size`` sentences, starting every ``stride``
    sentences (default ``size``: no overlap); the last window may be shorter, and no
    window starts past the end."""
    if not isinstance(doc, Document):
        raise ValueError(f"doc must be a Document, got {type(doc).__name__}")
    size = check_int("size", size, low=1)
    stride = size if stride is None else check_int("stride", stride, low=1, high=size)
    sentences = split_sentences(doc.text)
    starts = range(0, max(1, len(sentences) - size + stride), stride)
    return [Passage(doc.doc_id, i, " ".join(sentences[s:s + size])) for i, s in enumerate(starts)]


def chunk_documents(docs: list[Document], size: int = 2, stride: int | None = None) -> list[Passage]:
    """:func:`chunk_document` over a list of documents, in order."""
    if not isinstance(docs, list) or not docs or not all(isinstance(d, Document) for d in docs):
        raise ValueError("docs must be a non-empty list of Document")
    return [p for d in docs for p in chunk_document(d, size, stride)]


def rag_tasks(world: World | None = None, split: str = "test") -> list[ChatTask]:
    """Fact questions for retrieval: ``"test"`` asks about the held-out facts (in no
    pre-training or fine-tuning data), ``"train"`` about the facts pre-training showed."""
    world = _check_world(world)
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    facts = world.held_out_facts if split == "test" else world.known_facts
    return [ChatTask("fact", f) for f in facts]


def gold_passages(fact: Fact, passages: list[Passage]) -> list[int]:
    """Indices of the passages that state ``fact`` (its exact sentence)."""
    if not isinstance(fact, Fact):
        raise ValueError(f"fact must be a Fact, got {type(fact).__name__}")
    return [i for i, p in enumerate(passages) if fact.sentence in p.text]
