"""Tool-use episodes: a calculator and a lookup tool that a chat model calls with JSON.

Two tools, written as typed, documented Python functions whose JSON schemas (the
OpenAI / Hugging Face function format) come from :func:`tool_schemas`:

* ``calculate(a, op, b)`` -- exact integer arithmetic (``+``, ``-``, ``*``), far beyond
  the digits the chat model can add in its head;
* ``lookup(person, relation)`` -- the world's knowledge base (:meth:`World.lookup`),
  held-out facts included, which neither pre-training nor SFT ever showed.

An episode is a user question, the assistant's tool call, the tool's result as a
``tool`` message, and the assistant's final answer::

    user:      What is 4821*37?
    assistant: <tool_call>{"name": "calculate", "arguments": {"a": 4821, "op": "*", "b": 37}}</tool_call>
    tool:      178377
    assistant: Answer: 178377

:func:`tool_splits` cuts disjoint train and test episodes: test calculations never
appear in training, training lookups ask about known facts and test lookups about
held-out ones. A call is checked against its schema by :func:`check_call` and run by
:func:`run_call`, which dispatches on the name through a table and never evaluates text.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .._validate import check_fraction, check_int
from .cast import RELATIONS, Fact, World

CALC_OPS = ("+", "-", "*")
MAX_OPERAND = 10**12          # the calculator refuses larger operands (|a|, |b|)
MAX_CALL_CHARS = 2000         # longer tool-call text is refused before it is parsed
TOOL_NAMES = ("calculate", "lookup")


def calculate(a: int, op: str, b: int) -> int:
    """Compute an integer sum, difference or product exactly.

    Args:
        a: The left operand.
        op: The operation (choices: ["+", "-", "*"])
        b: The right operand.
    """
    for name, v in (("a", a), ("b", b)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"{name} must be an integer, got {v!r}")
        if abs(v) > MAX_OPERAND:
            raise ValueError(f"{name} must be at most {MAX_OPERAND} in size")
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    raise ValueError(f"op must be one of {CALC_OPS}, got {op!r}")


@lru_cache(maxsize=8)
def _world(seed: int) -> World:
    return World(seed=seed)


def lookup(person: str, relation: str) -> str:
    """Look up a fact about a person of the world.

    Args:
        person: The person's first name.
        relation: What to look up (choices: ["lives_in", "works_as", "has_pet", "likes_colour"])
    """
    if not isinstance(person, str) or not isinstance(relation, str):
        raise ValueError("person and relation must be strings")
    return _world(0).lookup(person, relation)


#: name -> function: the only way a call reaches code
TOOLS = {"calculate": calculate, "lookup": lookup}


@lru_cache(maxsize=1)
def _schemas() -> str:
    from transformers.utils import get_json_schema

    return json.dumps([get_json_schema(TOOLS[n]) for n in TOOL_NAMES])


def tool_schemas() -> list[dict]:
    """The two tools' JSON schemas (``{"type": "function", "function": {...}}``), made by
    :func:`transformers.utils.get_json_schema` from the functions' types and docstrings."""
    return json.loads(_schemas())


# ----------------------------------------------------------------------------- checking calls

_JSON_TYPES = {"integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
               "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
               "string": lambda v: isinstance(v, str),
               "boolean": lambda v: isinstance(v, bool)}


def check_call(call, schemas: list[dict] | None = None) -> str | None:
    """Why ``call`` (``{"name": ..., "arguments": {...}}``) does not fit the schemas, or
    ``None`` when it does: a known name, an ``arguments`` object with every required
    argument, no other, each of the declared type and in its ``enum`` if it has one."""
    schemas = tool_schemas() if schemas is None else schemas
    if not isinstance(call, dict):
        return f"a call must be a JSON object, got {type(call).__name__}"
    if set(call) != {"name", "arguments"}:
        return f"a call has exactly the keys 'name' and 'arguments', got {sorted(map(str, call))}"
    by_name = {s["function"]["name"]: s["function"] for s in schemas}
    name, args = call["name"], call["arguments"]
    if not isinstance(name, str) or name not in by_name:
        return f"unknown tool {name!r}; tools: {sorted(by_name)}"
    if not isinstance(args, dict):
        return f"arguments must be a JSON object, got {type(args).__name__}"
    params = by_name[name]["parameters"]
    props = params.get("properties", {})
    extra = sorted(set(args) - set(props))
    if extra:
        return f"{name} takes no argument(s) {extra}"
    missing = [k for k in params.get("required", []) if k not in args]
    if missing:
        return f"{name} is missing argument(s) {missing}"
    for k, v in args.items():
        spec = props[k]
        if not _JSON_TYPES.get(spec.get("type"), lambda _: False)(v):
            return f"argument {k!r} of {name} must be of type {spec.get('type')}, got {type(v).__name__}"
        if "enum" in spec and v not in spec["enum"]:
            return f"argument {k!r} of {name} must be one of {spec['enum']}, got {v!r}"
    return None


def run_call(call, schemas: list[dict] | None = None) -> tuple[bool, str]:
    """Check ``call`` and run it: ``(True, result)`` or ``(False, error message)``. The
    function is taken from :data:`TOOLS` by name; nothing is evaluated."""
    err = check_call(call, schemas)
    if err is not None:
        return False, err
    try:
        return True, str(TOOLS[call["name"]](**call["arguments"]))
    except ValueError as e:       # the tool's own domain checks (operand size, unknown person)
        return False, str(e)


def parse_call_text(text: str):
    """The JSON object inside ``<tool_call>...</tool_call>`` in ``text``: ``(call, None)``,
    or ``(None, error)`` when there is no tag, the text is too long, or it is not JSON."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    m = re.search(r"<tool_call>(.*?)</tool_call>", text, flags=re.DOTALL)
    if m is None:
        return None, "no <tool_call>...</tool_call> in the response"
    body = m.group(1)
    if len(body) > MAX_CALL_CHARS:
        return None, f"the call is longer than {MAX_CALL_CHARS} characters"
    try:
        return json.loads(body), None
    except (ValueError, RecursionError) as e:   # JSONDecodeError is a ValueError; deep nesting recurses
        return None, f"the call is not valid JSON ({type(e).__name__})"


# ----------------------------------------------------------------------------- episodes

@dataclass(frozen=True)
class ToolEpisode:
    """One tool-use task: ``tool`` is ``"calculate"`` (``item`` an ``(a, op, b)`` tuple)
    or ``"lookup"`` (``item`` a :class:`Fact`)."""
    tool: str
    item: tuple | Fact

    def __post_init__(self):
        if self.tool not in TOOL_NAMES:
            raise ValueError(f"tool must be one of {TOOL_NAMES}, got {self.tool!r}")
        if self.tool == "lookup" and not isinstance(self.item, Fact):
            raise ValueError(f"item must be a Fact for a lookup, got {type(self.item).__name__}")
        if self.tool == "calculate":
            ok = isinstance(self.item, tuple) and len(self.item) == 3 and self.item[1] in CALC_OPS
            if not ok:
                raise ValueError(f"item must be an (a, op, b) tuple with op in {CALC_OPS}, got {self.item!r}")
            check_int("a", self.item[0], low=0, high=MAX_OPERAND)
            check_int("b", self.item[2], low=0, high=MAX_OPERAND)

    @property
    def digits(self) -> int:
        """Digits of the larger operand (calculations); 0 for lookups."""
        return max(len(str(self.item[0])), len(str(self.item[2]))) if self.tool == "calculate" else 0

    @property
    def question(self) -> str:
        if self.tool == "lookup":
            return self.item.question
        a, op, b = self.item
        return f"What is {a}{op}{b}?"

    @property
    def call(self) -> dict:
        if self.tool == "lookup":
            return {"name": "lookup", "arguments": {"person": self.item.subject, "relation": self.item.relation}}
        a, op, b = self.item
        return {"name": "calculate", "arguments": {"a": a, "op": op, "b": b}}

    @property
    def result(self) -> str:
        """What the tool returns for the right call."""
        ok, out = run_call(self.call)
        assert ok, out
        return out

    @property
    def truth(self) -> str:
        return self.result

    def answer_from(self, result: str) -> str:
        """The final answer the assistant gives from a tool result."""
        if self.tool == "lookup":
            return RELATIONS[self.item.relation][0].format(s=self.item.subject, o=result)
        return f"Answer: {result}"

    @property
    def prompt(self) -> list[dict]:
        return [{"role": "user", "content": self.question}]

    @property
    def messages(self) -> list[dict]:
        """The whole episode in the Hugging Face chat format (``tool_calls``, role ``tool``)."""
        return self.prompt + [
            {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": self.call}]},
            {"role": "tool", "name": self.call["name"], "content": self.result},
            {"role": "assistant", "content": self.answer_from(self.result)},
        ]


_ANSWER = re.compile(r"Answer: (-?\d+)")


def score_answer(episode: ToolEpisode, text: str) -> bool:
    """Whether a final answer is right: the number after ``Answer:`` for a calculation,
    the first candidate object the text names for a lookup (as :func:`score_response`)."""
    from .instructions import ChatTask, score_response

    if not isinstance(episode, ToolEpisode):
        raise ValueError(f"episode must be a ToolEpisode, got {type(episode).__name__}")
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    if episode.tool == "lookup":
        return score_response(ChatTask("fact", episode.item), text)["correct"]
    m = _ANSWER.search(text)
    return m is not None and m.group(1) == episode.truth


def _number(rng, digits: int) -> int:
    lo = 0 if digits == 1 else 10 ** (digits - 1)
    return int(rng.integers(lo, 10**digits))


def calculations(n: int, digits: int | tuple[int, int], ops: tuple[str, ...] = CALC_OPS, seed: int = 0,
                 exclude: set | frozenset = frozenset()) -> list[ToolEpisode]:
    """``n`` distinct calculation episodes. ``digits=d``: both operands have ``d`` digits;
    ``digits=(lo, hi)``: each operand's digit count is drawn from ``lo..hi``. Subtractions
    put the larger operand first. Items in ``exclude`` are skipped."""
    n = check_int("n", n, low=1)
    seed = check_int("seed", seed, low=0)
    lo, hi = (digits, digits) if not isinstance(digits, tuple) else digits
    lo, hi = check_int("digits", lo, low=1, high=9), check_int("digits", hi, low=1, high=9)
    if lo > hi:
        raise ValueError(f"digits must be (lo, hi) with lo <= hi, got {digits!r}")
    if not ops or not isinstance(ops, tuple) or any(op not in CALC_OPS for op in ops):
        raise ValueError(f"ops must be a non-empty tuple of {CALC_OPS}, got {ops!r}")
    rng = np.random.default_rng(seed)
    out, seen = [], set(exclude)
    for _ in range(50 * n):
        a, b = (_number(rng, int(rng.integers(lo, hi + 1))) for _ in range(2))
        op = ops[int(rng.integers(len(ops)))]
        if op == "-" and b > a:
            a, b = b, a
        if (a, op, b) in seen:
            continue
        seen.add((a, op, b))
        out.append(ToolEpisode("calculate", (a, op, b)))
        if len(out) == n:
            return out
    raise ValueError(f"n={n} is more distinct problems than digits={digits!r} and ops={ops!r} allow")


def tool_splits(n_train: int = 1500, lookup_share: float = 0.35, train_digits: tuple[int, int] = (1, 4),
                test_digits: tuple[int, ...] = (1, 2, 3, 4), n_test_per_digits: int = 24, seed: int = 0,
                world: World | None = None) -> dict[str, list[ToolEpisode]]:
    """Disjoint ``{"train": [...], "test": [...]}`` tool episodes.

    Test: ``n_test_per_digits`` calculations for each digit count of ``test_digits`` (both
    operands that long) and one lookup per **held-out** fact of ``world``. Train:
    ``n_train`` episodes, ``lookup_share`` of them lookups of **known** facts, the rest
    calculations with operands of ``train_digits`` digits, none of them a test calculation.
    Deterministic for ``seed``.
    """
    n_train = check_int("n_train", n_train, low=1)
    share = check_fraction("lookup_share", lookup_share)
    n_per = check_int("n_test_per_digits", n_test_per_digits, low=1)
    seed = check_int("seed", seed, low=0)
    world = World(seed=0) if world is None else world
    if not isinstance(world, World):
        raise ValueError(f"world must be a World, got {type(world).__name__}")
    if world.seed != 0:
        raise ValueError("world must be World(seed=0), the world the lookup tool serves")
    if not isinstance(test_digits, tuple) or not test_digits:
        raise ValueError(f"test_digits must be a non-empty tuple of digit counts, got {test_digits!r}")
    test = []
    for i, d in enumerate(test_digits):
        test += calculations(n_per, d, seed=10_000 + 97 * seed + i, exclude={e.item for e in test})
    test += [ToolEpisode("lookup", f) for f in world.held_out_facts]
    n_look = int(round(share * n_train))
    rng = np.random.default_rng(seed)
    known = world.known_facts
    looks = [ToolEpisode("lookup", known[int(i)]) for i in rng.integers(len(known), size=n_look)]
    train = calculations(n_train - n_look, train_digits, seed=seed, exclude={e.item for e in test}) + looks \
        if n_train > n_look else looks
    train = [train[i] for i in rng.permutation(len(train))]
    return {"train": train, "test": test}
