"""Multi-digit arithmetic with step-by-step traces that a program can check.

A problem ``47+85`` is solved column by column, units first::

    Q: 47+85=?
    A: 7+5+0=12 write 2 carry 1. 4+8+1=13 write 3 carry 1. carry 1 write 1. Answer: 132

and subtraction (the larger number first) borrows the same way::

    Q: 52-17=?
    A: 12-7-0=5 write 5 borrow 1. 5-1-1=3 write 3 borrow 0. Answer: 35

Every step names the column's digits, the carry (or borrow) coming in, the result,
the digit written and the carry going out, so :func:`check_trace` can verify each
step on its own -- what outcome and process reward models, verifiable-reward RL,
best-of-N and tree search need.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .._validate import check_int

OPS = ("+", "-")
_ADD_STEP = re.compile(r"(\d)\+(\d)\+(\d)=(\d+) write (\d) carry (\d)")
_ADD_LAST = re.compile(r"carry (\d) write (\d)")
_SUB_STEP = re.compile(r"(1?\d)-(\d)-(\d)=(\d) write (\d) borrow (\d)")
_ANSWER = re.compile(r"Answer: (-?\d+)")


@dataclass(frozen=True)
class Problem:
    a: int
    b: int
    op: str = "+"

    def __post_init__(self):
        check_int("a", self.a, low=0)
        check_int("b", self.b, low=0)
        if self.op not in OPS:
            raise ValueError(f"op must be one of {OPS}, got {self.op!r}")
        if self.op == "-" and self.b > self.a:
            raise ValueError(f"for subtraction a must be >= b, got a={self.a}, b={self.b}")

    @property
    def answer(self) -> int:
        return self.a + self.b if self.op == "+" else self.a - self.b

    @property
    def question(self) -> str:
        return f"{self.a}{self.op}{self.b}=?"

    @property
    def prompt(self) -> str:
        """The question as it appears in the corpus, up to where the answer starts."""
        return f"Q: {self.question}\nA:"


def _digits(n: int, width: int) -> list[int]:
    """Digits of ``n`` units first, padded with zeros to ``width``."""
    return [(n // 10**i) % 10 for i in range(width)]


def trace_steps(problem: Problem) -> list[str]:
    """The solution's steps, units column first, without the final answer."""
    width = max(len(str(problem.a)), len(str(problem.b)))
    xa, xb = _digits(problem.a, width), _digits(problem.b, width)
    steps, c = [], 0
    for x, y in zip(xa, xb):
        if problem.op == "+":
            s = x + y + c
            steps.append(f"{x}+{y}+{c}={s} write {s % 10} carry {s // 10}")
            c = s // 10
        else:
            top = x + 10 if x - y - c < 0 else x
            d = top - y - c
            steps.append(f"{top}-{y}-{c}={d} write {d} borrow {int(top != x)}")
            c = int(top != x)
    if problem.op == "+" and c:
        steps.append(f"carry {c} write {c}")
    return steps


def trace(problem: Problem) -> str:
    """The full worked answer: steps joined by '. ', then 'Answer: N'."""
    return " " + ". ".join(trace_steps(problem)) + f". Answer: {problem.answer}"


def make_problem(rng: np.random.Generator, digits: int = 2, op: str | None = None) -> Problem:
    """A random problem with operands of 1..``digits`` digits (subtraction: a >= b)."""
    digits = check_int("digits", digits, low=1, high=12)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, got {type(rng).__name__}")
    if op is None:
        op = OPS[int(rng.integers(len(OPS)))]
    elif op not in OPS:
        raise ValueError(f"op must be one of {OPS} or None, got {op!r}")
    hi = 10**digits
    a, b = int(rng.integers(0, hi)), int(rng.integers(0, hi))
    if op == "-" and b > a:
        a, b = b, a
    return Problem(a, b, op)


def make_problems(n: int, digits: int = 2, seed: int = 0, op: str | None = None) -> list[Problem]:
    """``n`` problems, deterministic for ``seed``."""
    n = check_int("n", n, low=0)
    seed = check_int("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    return [make_problem(rng, digits, op) for _ in range(n)]


def parse_answer(text: str) -> int | None:
    """The integer after the first 'Answer:' in ``text``, or None if there is none."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    m = _ANSWER.search(text)
    return int(m.group(1)) if m else None


@dataclass
class TraceCheck:
    steps_ok: list[bool] = field(default_factory=list)
    answer: int | None = None
    answer_ok: bool = False
    complete: bool = False

    @property
    def all_steps_ok(self) -> bool:
        return self.complete and all(self.steps_ok)


def check_trace(problem: Problem, text: str) -> TraceCheck:
    """Check a worked answer step by step.

    A step is correct when it uses the right digits of its column, the carry/borrow
    the previous step claimed, and its arithmetic is right. ``complete`` says that
    the trace has as many steps as the problem needs; ``answer_ok`` that the final
    answer is right (whatever the steps said).
    """
    if not isinstance(problem, Problem):
        raise ValueError(f"problem must be a Problem, got {type(problem).__name__}")
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    body = text.split("Answer:")[0]
    parts = [p.strip() for p in body.split(".") if p.strip()]
    width = max(len(str(problem.a)), len(str(problem.b)))
    xa, xb = _digits(problem.a, width), _digits(problem.b, width)
    out = TraceCheck()
    carry = 0
    for i, part in enumerate(parts):
        ok = False
        if problem.op == "+":
            m = _ADD_STEP.fullmatch(part)
            if m and i < width:
                x, y, cin, s, w, cout = map(int, m.groups())
                ok = (x, y, cin) == (xa[i], xb[i], carry) and s == x + y + cin \
                    and w == s % 10 and cout == s // 10
                carry = cout
            else:
                m = _ADD_LAST.fullmatch(part)
                if m and i == width:
                    cin, w = map(int, m.groups())
                    ok = cin == carry and w == carry and carry > 0
        else:
            m = _SUB_STEP.fullmatch(part)
            if m and i < width:
                top, y, bin_, d, w, bout = map(int, m.groups())
                borrowed = top >= 10
                ok = (top - 10 * borrowed, y, bin_) == (xa[i], xb[i], carry) and \
                    borrowed == (xa[i] - y - bin_ < 0) and d == top - y - bin_ and \
                    w == d and bout == int(borrowed)
                carry = bout
        out.steps_ok.append(ok)
    n_needed = len(trace_steps(problem))
    out.complete = len(parts) == n_needed
    out.answer = parse_answer(text)
    out.answer_ok = out.answer == problem.answer
    return out
