"""Scoring a chat model by program: greedy answers to held-out prompts, checked for
the right answer and the expected format.

    report = evaluate_chat(model, tok, splits["test"])
    report["accuracy"], report["format"], report["by_kind"]["arithmetic"]["accuracy"]

The checks themselves live with the data (:func:`utils.world.score_response`); this
module generates the answers in batches and aggregates the scores.
"""
from __future__ import annotations

import numpy as np
import torch

from .world.instructions import ChatTask, score_response


def _stop_ids(tokenizer) -> list[int]:
    ids = [tokenizer.convert_tokens_to_ids("<|im_end|>"), tokenizer.eos_token_id]
    return [i for i in ids if isinstance(i, int) and i >= 0]


def left_pad(sequences: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Left-pad token id lists into ``input_ids`` and ``attention_mask`` tensors, the
    layout batched generation needs (every row's last real token in the last column)."""
    if not sequences or not all(isinstance(s, list) and s for s in sequences):
        raise ValueError("sequences must be a non-empty list of non-empty token id lists")
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for r, s in enumerate(sequences):
        ids[r, width - len(s):] = torch.tensor(s)
        mask[r, width - len(s):] = 1
    return ids, mask


@torch.no_grad()
def generate_responses(model, tokenizer, prompts: list[list[dict]], max_new_tokens: int = 64,
                       batch_size: int = 64, num_return_sequences: int = 1, tools: list[dict] | None = None,
                       **generate_kwargs) -> list:
    """Assistant responses to chat prompts (lists of messages), greedy unless
    ``generate_kwargs`` say otherwise (``do_sample=True, temperature=..., top_p=...``).

    Returns one ``{"text", "finished", "n_tokens"}`` per prompt: the decoded response
    without special tokens, whether the model closed its turn (``<|im_end|>`` or end of
    text) within ``max_new_tokens``, and the tokens it generated (the closing token
    included). With ``num_return_sequences=n > 1`` each prompt gets a list of ``n`` of them.
    ``batch_size`` counts prompts per ``generate`` call; ``tools`` (JSON schemas) are passed
    to the chat template, which lists them for a tool-using model.
    """
    if not isinstance(prompts, list) or not prompts:
        raise ValueError("prompts must be a non-empty list of message lists")
    for name, value in (("max_new_tokens", max_new_tokens), ("batch_size", batch_size),
                        ("num_return_sequences", num_return_sequences)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    stops = _stop_ids(tokenizer)
    pad = tokenizer.pad_token_id
    encoded = [tokenizer.apply_chat_template(p, tools=tools, add_generation_prompt=True, tokenize=True,
                                             return_dict=True)["input_ids"] for p in prompts]
    out: list = [None] * len(prompts)
    order = np.argsort([len(e) for e in encoded], kind="stable")   # similar lengths per batch
    n = num_return_sequences
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        ids, mask = left_pad([list(encoded[i]) for i in idx], pad)
        gen = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device),
                             max_new_tokens=max_new_tokens, eos_token_id=stops, pad_token_id=pad,
                             num_return_sequences=n, **{"do_sample": False, **generate_kwargs})
        new = gen[:, ids.shape[1]:].cpu()
        for r, i in enumerate(idx):
            rows = []
            for row in new[r * n:(r + 1) * n].tolist():
                cut = next((k for k, t in enumerate(row) if t in stops), None)
                text = tokenizer.decode(row[:cut] if cut is not None else row, skip_special_tokens=True)
                rows.append({"text": text, "finished": cut is not None,
                             "n_tokens": cut + 1 if cut is not None else len(row)})
            out[i] = rows[0] if n == 1 else rows
    model.train(was_training)
    return out


def evaluate_chat(model, tokenizer, tasks: list[ChatTask], max_new_tokens: int = 64,
                  batch_size: int = 64) -> dict:
    """Greedy answers to ``tasks``' prompts, scored by program.

    Returns ``accuracy`` (answer right), ``format`` (answer in the expected form and
    the turn closed), ``steps_ok`` (fraction of right arithmetic steps), the same per
    kind under ``by_kind``, and the ``responses`` with their scores.
    """
    if not isinstance(tasks, list) or not tasks or not all(isinstance(t, ChatTask) for t in tasks):
        raise ValueError("tasks must be a non-empty list of ChatTask")
    responses = generate_responses(model, tokenizer, [t.prompt for t in tasks], max_new_tokens, batch_size)
    return score_responses(tasks, responses)


def score_responses(tasks: list[ChatTask], responses: list[dict]) -> dict:
    """Score responses (``{"text", "finished"}``, e.g. from :func:`generate_responses` or
    any other decoder) to ``tasks`` and aggregate them as :func:`evaluate_chat` does."""
    if not isinstance(tasks, list) or not tasks or not all(isinstance(t, ChatTask) for t in tasks):
        raise ValueError("tasks must be a non-empty list of ChatTask")
    if not isinstance(responses, list) or len(responses) != len(tasks) or \
            not all(isinstance(r, dict) and {"text", "finished"} <= set(r) for r in responses):
        raise ValueError("responses must be a list of {'text', 'finished'} dicts, one per task")
    rows = []
    for t, r in zip(tasks, responses):
        s = score_response(t, r["text"])
        s["format"] = s["format"] and bool(r["finished"])
        rows.append({"kind": t.kind, "question": t.question, "response": r["text"], **s})

    def summary(sel):
        return {"n": len(sel), "accuracy": float(np.mean([x["correct"] for x in sel])),
                "format": float(np.mean([x["format"] for x in sel])),
                "steps_ok": float(np.mean([x["steps_ok"] for x in sel]))}

    report = summary(rows)
    report["by_kind"] = {k: summary([x for x in rows if x["kind"] == k])
                         for k in sorted({x["kind"] for x in rows})}
    report["responses"] = rows
    return report
