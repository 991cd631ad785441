"""Chain of thought: the zoo recipe of chapter 4's ``direct`` model, and the small
pieces of answer aggregation that later chapters reuse.

* ``direct`` is ``base`` fine-tuned exactly as ``sft`` is (the same
  :class:`~utils.sft.SFTConfig`, the same conversations, the same steps and batches) except
  that arithmetic is answered with the result alone, ``Answer: 132``, instead of the
  column-by-column trace. Chapter 4's chain-of-thought notebook compares the two.
* :func:`split_steps` cuts a trace into its steps (one column each, up to ``". "``) and
  :func:`majority_vote` takes the most frequent final answer of several samples: what
  self-consistency, best-of-N and process reward models are built from (chapters 4 and 8).
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from .world.arithmetic import Problem, parse_answer
from .world.instructions import ChatTask, score_response

_DIRECT = re.compile(r"Answer: -?\d+")


def direct_answer(problem: Problem) -> str:
    """The direct answer to an arithmetic problem: the result, no working."""
    if not isinstance(problem, Problem):
        raise ValueError(f"problem must be a Problem, got {type(problem).__name__}")
    return f"Answer: {problem.answer}"


def direct_messages(task: ChatTask) -> list[dict]:
    """The conversation of ``task`` with arithmetic answered directly (facts unchanged)."""
    if not isinstance(task, ChatTask):
        raise ValueError(f"task must be a ChatTask, got {type(task).__name__}")
    if task.kind != "arithmetic":
        return task.messages
    return task.prompt + [{"role": "assistant", "content": direct_answer(task.item)}]


def score_direct(task: ChatTask, response: str) -> dict:
    """Score a response in the direct form: for arithmetic, ``correct`` is the number
    after ``Answer:`` (:func:`utils.world.parse_answer`) and ``format`` that the response
    is exactly ``Answer: N``; fact questions are scored as usual
    (:func:`utils.world.score_response`)."""
    if not isinstance(task, ChatTask):
        raise ValueError(f"task must be a ChatTask, got {type(task).__name__}")
    if not isinstance(response, str):
        raise ValueError(f"response must be a string, got {type(response).__name__}")
    if task.kind == "fact":
        return score_response(task, response)
    ok = parse_answer(response) == task.item.answer
    return {"format": _DIRECT.fullmatch(response.strip()) is not None, "correct": ok, "steps_ok": float(ok)}


def evaluate_direct(model, tokenizer, tasks: list[ChatTask], max_new_tokens: int = 64) -> dict:
    """Greedy answers to ``tasks`` scored with :func:`score_direct`: ``accuracy``,
    ``format`` (and the turn closed), the same per kind, and a few responses."""
    import numpy as np

    from .evaluation import generate_responses

    if not isinstance(tasks, list) or not tasks or not all(isinstance(t, ChatTask) for t in tasks):
        raise ValueError("tasks must be a non-empty list of ChatTask")
    responses = generate_responses(model, tokenizer, [t.prompt for t in tasks], max_new_tokens)
    rows = []
    for t, r in zip(tasks, responses):
        s = score_direct(t, r["text"])
        rows.append({"kind": t.kind, "question": t.question, "response": r["text"], "n_tokens": r["n_tokens"],
                     "correct": bool(s["correct"]), "format": bool(s["format"] and r["finished"])})

    def summary(sel):
        return {"n": len(sel), "accuracy": float(np.mean([x["correct"] for x in sel])),
                "format": float(np.mean([x["format"] for x in sel])),
                "tokens": float(np.mean([x["n_tokens"] for x in sel]))}

    out = summary(rows)
    kinds = sorted({x["kind"] for x in rows})
    out["by_kind"] = {k: summary([x for x in rows if x["kind"] == k]) for k in kinds}
    out["samples"] = [x for x in rows if x["kind"] == "arithmetic"][:4] + \
        [x for x in rows if x["kind"] == "fact"][:2]
    return out


def build_direct(base_model, tokenizer, cfg, progress: bool = True) -> dict:
    """Score ``base_model`` on the held-out tasks, fine-tune it in place with
    :func:`utils.sft.sft_train` on ``cfg``'s training tasks answered directly, score it
    again; return the training log with ``before`` / ``after``."""
    from .sft import encode_chat, sft_splits, sft_train

    splits = sft_splits(cfg)
    examples = [encode_chat(tokenizer, direct_messages(t)) for t in splits["train"]]
    before = evaluate_direct(base_model, tokenizer, splits["test"])
    log = sft_train(base_model, tokenizer, examples, cfg, progress=progress)
    log["answer_form"] = "arithmetic answered 'Answer: N' without the trace; fact questions as in sft"
    log["before"], log["after"] = before, evaluate_direct(base_model, tokenizer, splits["test"])
    return log


def build_zoo_entry(folder: Path, profile: str) -> None:
    """The zoo's ``direct`` entry: ``base`` fine-tuned with ``sft``'s budget, direct answers."""
    from . import zoo
    from .profile import get_device
    from .sft import sft_config

    tok = zoo.load("tokenizer")
    model = zoo.load("base", profile=profile)
    model.to(get_device())
    log = build_direct(model, tok, sft_config(profile))
    zoo.save_model(folder, model, tok, log)


def split_steps(text: str) -> list[str]:
    """The steps of a worked answer, in order: the text before ``Answer:`` cut at each
    ``". "`` (one column of the trace per step), stripped, empty pieces dropped."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    body = text.split("Answer:")[0]
    return [p.strip().rstrip(".").strip() for p in body.split(". ") if p.strip().rstrip(".").strip()]


def majority_vote(answers: list) -> tuple:
    """The most frequent answer among ``answers`` (``None`` -- no answer -- never wins
    while another exists) and its share of all the votes; ties go to the answer seen
    first. Returns ``(answer, share)``, ``(None, 0.0)`` when no sample answered."""
    if not isinstance(answers, (list, tuple)) or not answers:
        raise ValueError("answers must be a non-empty list")
    counts = Counter(a for a in answers if a is not None)
    if not counts:
        return None, 0.0
    best = max(counts.values())
    winner = next(a for a in answers if a is not None and counts[a] == best)
    return winner, best / len(answers)
