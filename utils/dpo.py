"""Direct Preference Optimization, as taught in chapter 3 (`chapters/03-dpo/01-*.ipynb`),
promoted here so later notebooks reuse it; the teaching notebook asserts that its
inline version gives the same numbers.

* :func:`encode_pairs` -- chat-template token ids of (prompt, chosen, rejected);
* :func:`collate` -- chosen rows then rejected rows, right-padded, with a response mask;
* :func:`sequence_logps` -- log pi(y|x) summed over the response tokens;
* :func:`dpo_loss` -- -log sigma(beta log pi/pi_ref (chosen) - beta log pi/pi_ref (rejected));
* :func:`all_logps` -- both log-probs for every pair, in batches, without gradients;
* :func:`train_dpo` -- a plain loop: AdamW, constant rate, clipped gradients, reference
  log-probs precomputed once.
"""
from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F


def _check_positive(name, value, kind=float):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 \
            or (kind is int and int(value) != value):
        raise ValueError(f"{name} must be a positive {kind.__name__}, got {value!r}")


def encode(tok, prompt: list, answer: list) -> tuple[list[int], list[int]]:
    """Token ids of the prompt (up to the assistant header) and of the answer turn."""
    if not isinstance(prompt, list) or not isinstance(answer, list):
        raise ValueError("prompt and answer must be lists of chat messages")
    p = tok.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False)
    full = tok.apply_chat_template(prompt + answer, tokenize=False)
    p_ids = tok(p, add_special_tokens=False)["input_ids"]
    f_ids = tok(full, add_special_tokens=False)["input_ids"]
    if f_ids[:len(p_ids)] != p_ids:
        raise ValueError("prompt must tokenise the same alone and followed by its answer")
    return p_ids, f_ids[len(p_ids):]


def encode_pairs(tok, ds) -> list[tuple[list[int], list[int], list[int]]]:
    """Per row of a conversational preference dataset: (prompt ids, chosen ids, rejected ids)."""
    out = []
    for r in ds:
        p, c = encode(tok, r["prompt"], r["chosen"])
        _, rj = encode(tok, r["prompt"], r["rejected"])
        out.append((p, c, rj))
    return out


def collate(pairs, pad_id: int, device=None):
    """[chosen_1..chosen_B, rejected_1..rejected_B], right-padded: ids, attention mask, response mask."""
    if not pairs:
        raise ValueError("pairs must be a non-empty list of (prompt, chosen, rejected) ids")
    seqs = [p + c for p, c, _ in pairs] + [p + r for p, _, r in pairs]
    resp = [[0] * len(p) + [1] * len(c) for p, c, _ in pairs] + [[0] * len(p) + [1] * len(r) for p, _, r in pairs]
    T = max(map(len, seqs))
    ids = torch.full((len(seqs), T), pad_id)
    att, mask = torch.zeros_like(ids), torch.zeros_like(ids)
    for i, (s, m) in enumerate(zip(seqs, resp)):
        ids[i, :len(s)], att[i, :len(s)], mask[i, :len(s)] = torch.tensor(s), 1, torch.tensor(m)
    return ids.to(device), att.to(device), mask.to(device)


def sequence_logps(model, ids, att, mask):
    """log pi(y|x): the sum of the response tokens' log-probabilities, one number per row."""
    logits = model(input_ids=ids, attention_mask=att).logits[:, :-1].float()
    token_logps = torch.log_softmax(logits, dim=-1).gather(-1, ids[:, 1:, None]).squeeze(-1)
    return (token_logps * mask[:, 1:]).sum(-1)


def dpo_loss(pi_chosen, pi_rejected, ref_chosen, ref_rejected, beta: float):
    """The DPO loss (mean over pairs) and the implicit rewards of the chosen and rejected answers."""
    _check_positive("beta", beta)
    r_chosen = beta * (pi_chosen - ref_chosen)
    r_rejected = beta * (pi_rejected - ref_rejected)
    return -F.logsigmoid(r_chosen - r_rejected).mean(), r_chosen, r_rejected


@torch.no_grad()
def all_logps(model, pairs, pad_id: int, batch: int = 64, device=None):
    """(log pi(chosen), log pi(rejected)) for every pair, in eval mode."""
    _check_positive("batch", batch, int)
    model.eval()
    out = [sequence_logps(model, *collate(pairs[i:i + batch], pad_id, device)).chunk(2)
           for i in range(0, len(pairs), batch)]
    return torch.cat([c for c, _ in out]), torch.cat([r for _, r in out])


def train_dpo(policy, pairs, ref_logps, *, beta: float, steps: int, batch: int, lr: float, pad_id: int,
              seed: int = 0, device=None, on_step=None, progress: bool = True) -> dict:
    """Train ``policy`` in place with DPO. ``ref_logps`` = :func:`all_logps` of the reference.

    ``on_step(step, policy)`` is called after each step (for evaluations). Returns the
    per-step log (loss, chosen/rejected log-probs and implicit rewards) and ``seconds``.
    """
    from tqdm.auto import tqdm

    for name, v in (("steps", steps), ("batch", batch)):
        _check_positive(name, v, int)
    _check_positive("lr", lr)
    _check_positive("beta", beta)
    if batch > len(pairs):
        raise ValueError(f"batch ({batch}) must not exceed the number of pairs ({len(pairs)})")
    opt = torch.optim.AdamW(policy.parameters(), lr=lr, weight_decay=0.0)
    rng = np.random.default_rng(seed)
    log = {k: [] for k in ("loss", "chosen", "rejected", "r_chosen", "r_rejected")}
    seconds = 0.0
    for step in tqdm(range(1, steps + 1), desc=f"DPO beta={beta:g}", disable=not progress):
        idx = rng.choice(len(pairs), size=batch, replace=False)
        t0 = time.perf_counter()
        policy.train()
        pc, pr = sequence_logps(policy, *collate([pairs[i] for i in idx], pad_id, device)).chunk(2)
        loss, rc, rr = dpo_loss(pc, pr, ref_logps[0][idx], ref_logps[1][idx], beta)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(policy.parameters(), 1.0)
        opt.step()
        seconds += time.perf_counter() - t0
        for k, v in zip(log, (loss, pc, pr, rc, rr)):
            log[k].append(v.mean().item())
        if on_step is not None:
            on_step(step, policy)
    log["seconds"] = seconds
    return log
