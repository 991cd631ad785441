"""Instruction data: the world's facts and arithmetic as chat conversations.

Two kinds of task, each a user question and the assistant answer a program can check:

* a **fact question** about a fact seen in pre-training, answered with the fact's
  sentence::

      user:      Where does Alice live?
      assistant: Alice lives in Dunmore.

* an **arithmetic question** answered with the step-by-step trace of
  :mod:`~utils.world.arithmetic`::

      user:      What is 47+85?
      assistant: 7+5+0=12 write 2 carry 1. 4+8+1=13 write 3 carry 1. carry 1 write 1. Answer: 132

:func:`instruction_splits` cuts both kinds into disjoint train and test sets (no fact
question, no arithmetic problem, appears in both), so held-out accuracy measures
what fine-tuning taught beyond the examples it saw.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .._validate import check_fraction, check_int
from .arithmetic import OPS, Problem, check_trace, trace
from .cast import POOLS, RELATIONS, Fact, World

KINDS = ("fact", "arithmetic")


@dataclass(frozen=True)
class ChatTask:
    """One instruction: ``kind`` is ``"fact"`` or ``"arithmetic"``; ``item`` the
    :class:`Fact` or :class:`Problem` it asks about."""
    kind: str
    item: Fact | Problem

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        want = Fact if self.kind == "fact" else Problem
        if not isinstance(self.item, want):
            raise ValueError(f"item must be a {want.__name__} for kind {self.kind!r}, "
                             f"got {type(self.item).__name__}")

    @property
    def question(self) -> str:
        if self.kind == "fact":
            return self.item.question
        return f"What is {self.item.a}{self.item.op}{self.item.b}?"

    @property
    def answer(self) -> str:
        """The reference answer (the assistant's turn)."""
        return self.item.sentence if self.kind == "fact" else trace(self.item).strip()

    @property
    def prompt(self) -> list[dict]:
        """The conversation up to the assistant's turn."""
        return [{"role": "user", "content": self.question}]

    @property
    def messages(self) -> list[dict]:
        """The full conversation, reference answer included."""
        return self.prompt + [{"role": "assistant", "content": self.answer}]


def _fact_pattern(fact: Fact) -> re.Pattern:
    sentence = RELATIONS[fact.relation][0]
    body = re.escape(sentence.format(s=fact.subject, o="\x00")).replace("\x00", "([A-Za-z][A-Za-z ]*?)")
    return re.compile(body)


def _trace_shape(problem: Problem) -> re.Pattern:
    """The form of a complete trace for ``problem`` (digits free, step count fixed)."""
    width = max(len(str(problem.a)), len(str(problem.b)))
    if problem.op == "+":
        step, tail = r"\d\+\d\+\d=\d+ write \d carry \d\. ", r"(?:carry \d write \d\. )?"
    else:
        step, tail = r"1?\d-\d-\d=\d write \d borrow \d\. ", ""
    return re.compile(f"(?:{step}){{{width}}}{tail}Answer: -?\\d+")


def score_response(task: ChatTask, response: str) -> dict:
    """Score one assistant response by program.

    ``format``: the response has the answer's form -- for a fact, exactly the
    relation's sentence about the right subject (``Alice lives in <place>.``); for
    arithmetic, a trace with one well-formed step per column (digits free) ending in
    ``Answer: N`` and nothing else.
    ``correct``: the final answer is right, or for a fact the first candidate object
    the response names (a place, job, pet or colour) is the right one, whatever the form.
    ``steps_ok``: for arithmetic, the fraction of the needed steps that are right.
    """
    if not isinstance(task, ChatTask):
        raise ValueError(f"task must be a ChatTask, got {type(task).__name__}")
    if not isinstance(response, str):
        raise ValueError(f"response must be a string, got {type(response).__name__}")
    text = response.strip()
    if task.kind == "fact":
        fmt = _fact_pattern(task.item).fullmatch(text) is not None
        found = [(m.start(), o) for o in POOLS[task.item.relation]
                 for m in [re.search(rf"\b{re.escape(o)}\b", text)] if m]
        correct = bool(found) and min(found)[1] == task.item.object   # the first candidate named
        return {"format": fmt, "correct": correct, "steps_ok": float(correct)}
    check = check_trace(task.item, text)
    fmt = _trace_shape(task.item).fullmatch(text) is not None
    steps = sum(check.steps_ok) / len(check.steps_ok) if check.complete else 0.0
    return {"format": bool(fmt), "correct": bool(check.answer_ok), "steps_ok": steps}


def fact_tasks(world: World | None = None) -> list[ChatTask]:
    """One question per fact that pre-training showed (held-out facts are excluded)."""
    world = World(seed=0) if world is None else world
    if not isinstance(world, World):
        raise ValueError(f"world must be a World, got {type(world).__name__}")
    return [ChatTask("fact", f) for f in world.known_facts]


def arithmetic_tasks(digits: int = 2, ops: tuple[str, ...] = OPS) -> list[ChatTask]:
    """Every problem with operands below ``10**digits`` for the given operations
    (subtraction: larger operand first)."""
    digits = check_int("digits", digits, low=1, high=3)
    if not ops or any(op not in OPS for op in ops):
        raise ValueError(f"ops must be a non-empty tuple of {OPS}, got {ops!r}")
    hi = 10**digits
    out = []
    for op in ops:
        for a in range(hi):
            for b in range(hi if op == "+" else a + 1):
                out.append(ChatTask("arithmetic", Problem(a, b, op)))
    return out


def instruction_splits(n_train: int = 2000, n_test: int = 200, fact_share: float = 0.3,
                       test_facts: float = 0.25, digits: int = 2, ops: tuple[str, ...] = ("+",),
                       seed: int = 0, world: World | None = None) -> dict[str, list[ChatTask]]:
    """Disjoint ``{"train": [...], "test": [...]}`` chat tasks.

    The facts of ``world`` seen in pre-training are split: ``test_facts`` of them are
    asked only in the test set. Arithmetic problems (1..``digits`` digits, ``ops``)
    are drawn without replacement, test problems never in train. About
    ``fact_share`` of each set are fact questions (train facts repeat as needed).
    Deterministic for ``seed``.
    """
    n_train = check_int("n_train", n_train, low=1)
    n_test = check_int("n_test", n_test, low=1)
    share = check_fraction("fact_share", fact_share)
    test_frac = check_fraction("test_facts", test_facts)
    seed = check_int("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    facts = fact_tasks(world)
    order = rng.permutation(len(facts))
    n_tf = max(1, int(round(test_frac * len(facts))))
    fact_test = [facts[i] for i in order[:n_tf]]
    fact_train = [facts[i] for i in order[n_tf:]]
    arith = arithmetic_tasks(digits, ops)
    n_arith_test = n_test - min(n_tf, int(round(share * n_test)))
    n_arith_train = n_train - int(round(share * n_train))
    if n_arith_test + n_arith_train > len(arith):
        raise ValueError(f"n_train and n_test ask for {n_arith_test + n_arith_train} arithmetic problems; "
                         f"digits={digits}, ops={ops} give only {len(arith)}")
    a_order = rng.permutation(len(arith))
    arith_test = [arith[i] for i in a_order[:n_arith_test]]
    arith_train = [arith[i] for i in a_order[n_arith_test:n_arith_test + n_arith_train]]
    n_fact_train = n_train - n_arith_train
    reps = fact_train * (n_fact_train // max(1, len(fact_train)) + 1)
    train = arith_train + [reps[i] for i in rng.permutation(len(reps))[:n_fact_train]] if fact_train else arith_train
    test = arith_test + fact_test[: n_test - n_arith_test]
    train = [train[i] for i in rng.permutation(len(train))]
    return {"train": train, "test": test}


def chat_dataset(tasks: list[ChatTask], style: str = "messages"):
    """A ``datasets.Dataset`` of the tasks in a TRL conversational format.

    ``style="messages"``: one column ``messages`` (the full conversation);
    ``style="prompt_completion"``: columns ``prompt`` (user turn) and ``completion``
    (assistant turn). Both carry ``kind`` as a plain column.
    """
    from datasets import Dataset

    if not isinstance(tasks, list) or not tasks or not all(isinstance(t, ChatTask) for t in tasks):
        raise ValueError("tasks must be a non-empty list of ChatTask")
    if style == "messages":
        return Dataset.from_dict({"messages": [t.messages for t in tasks], "kind": [t.kind for t in tasks]})
    if style == "prompt_completion":
        return Dataset.from_dict({"prompt": [t.prompt for t in tasks],
                                  "completion": [[t.messages[-1]] for t in tasks],
                                  "kind": [t.kind for t in tasks]})
    raise ValueError(f"style must be 'messages' or 'prompt_completion', got {style!r}")
