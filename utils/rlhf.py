"""The plumbing of PPO-RLHF that chapter 7 shares: batched sampling of responses, their
log-probabilities, the reward model's right-padded view, the per-token rewards, and the
value model.

Chapter 7's ``02-four-models-and-the-kl`` writes each of these out and asserts that its
inline version gives the same tensors as this module; ``03-ppo-rlhf`` imports them:

    q_ids, q_mask, resp, r_mask = rollout(policy, tok, prompts, per_prompt=4, seed=0, max_new_tokens=64)
    _, lp = response_logprobs(policy, q_ids, q_mask, resp, r_mask)          # (B, Tr)
    rm_ids, rm_att = right_padded(q_ids, q_mask, resp, r_mask, tok.pad_token_id)
    r = per_token_rewards(lp, ref_lp, r_mask, score, beta=0.05)             # (B, Tr)
    values = ValueModel(chatty)(ids, att)                                   # (B, T)
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from ._validate import check_int


def _check_pair(name_ids, ids, name_mask, mask):
    if not isinstance(ids, torch.Tensor) or ids.dim() != 2:
        raise ValueError(f"{name_ids} must be a 2-d tensor (B, T), got {getattr(ids, 'shape', type(ids).__name__)}")
    if not isinstance(mask, torch.Tensor) or mask.shape != ids.shape:
        raise ValueError(f"{name_mask} must be a tensor of the shape of {name_ids} {tuple(ids.shape)}, "
                         f"got {getattr(mask, 'shape', type(mask).__name__)}")


def _check_batch(q_ids, q_mask, resp, r_mask):
    _check_pair("q_ids", q_ids, "q_mask", q_mask)
    _check_pair("resp", resp, "r_mask", r_mask)
    if resp.shape[0] != q_ids.shape[0]:
        raise ValueError(f"resp must have one row per query ({q_ids.shape[0]}), got {resp.shape[0]}")


@torch.no_grad()
def rollout(model, tokenizer, prompts: list, per_prompt: int, seed: int, max_new_tokens: int = 64,
            end_token: str = "<|im_end|>"):
    """Sample ``per_prompt`` responses per chat prompt at temperature 1, no top-k or top-p.

    Returns query ids and mask ``(B, Tq)`` (left-padded, so every prompt ends in the last
    column), response ids ``(B, Tr)`` and the response mask (1 up to and including the first
    ``end_token``; all ones for a response that never closed its turn). ``B = len(prompts) *
    per_prompt``, the copies of one prompt next to each other. ``seed`` seeds torch's global
    generator first."""
    from .evaluation import left_pad

    if not isinstance(prompts, list) or not prompts:
        raise ValueError("prompts must be a non-empty list of chat prompts (lists of messages)")
    per_prompt = check_int("per_prompt", per_prompt, low=1)
    seed = check_int("seed", seed, low=0)
    max_new_tokens = check_int("max_new_tokens", max_new_tokens, low=1)
    im_end = tokenizer.convert_tokens_to_ids(end_token)
    if im_end is None or im_end == tokenizer.unk_token_id:
        raise ValueError(f"end_token {end_token!r} is not a token of the tokenizer")
    device = next(model.parameters()).device
    enc = [list(tokenizer.apply_chat_template(p, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"])
           for p in prompts for _ in range(per_prompt)]
    q_ids, q_mask = left_pad(enc, tokenizer.pad_token_id)
    q_ids, q_mask = q_ids.to(device), q_mask.to(device)
    torch.manual_seed(seed)
    seq = model.generate(input_ids=q_ids, attention_mask=q_mask, do_sample=True, temperature=1.0, top_k=0, top_p=1.0,
                         max_new_tokens=max_new_tokens, eos_token_id=im_end, pad_token_id=tokenizer.pad_token_id)
    resp = seq[:, q_ids.shape[1]:]
    is_end = resp == im_end
    last = torch.where(is_end.any(1), is_end.int().argmax(1), resp.shape[1] - 1)   # index of the closing token
    r_mask = (torch.arange(resp.shape[1], device=resp.device)[None] <= last[:, None]).long()
    return q_ids, q_mask, resp, r_mask


def response_logprobs(model, q_ids, q_mask, resp, r_mask):
    """Log-softmax over the vocabulary at every response position ``(B, Tr, V)``, and the
    sampled tokens' log-probs ``(B, Tr)``; the model reads prompt and response together."""
    _check_batch(q_ids, q_mask, resp, r_mask)
    ids, att = torch.cat([q_ids, resp], 1), torch.cat([q_mask, r_mask], 1)
    logits = model(input_ids=ids, attention_mask=att).logits[:, q_ids.shape[1] - 1:-1]   # position t predicts token t
    logp_all = torch.log_softmax(logits.float(), -1)
    return logp_all, logp_all.gather(-1, resp[..., None]).squeeze(-1)


def right_padded(q_ids, q_mask, resp, r_mask, pad_id: int):
    """The real tokens of each row (prompt + response, no padding), right-padded for the
    reward model: ``input_ids`` and ``attention_mask`` on the CPU."""
    from .reward import pad_right

    _check_batch(q_ids, q_mask, resp, r_mask)
    pad_id = check_int("pad_id", pad_id, low=0)
    ids, att = torch.cat([q_ids, resp], 1), torch.cat([q_mask, r_mask], 1)
    return pad_right([row[m.bool()].tolist() for row, m in zip(ids.cpu(), att.cpu())], pad_id)


def per_token_rewards(pol_lp, ref_lp, mask, score, beta: float):
    """``r_t = -beta * (log pi_theta - log pi_ref)`` on every response token, plus ``score``
    on the last one (the last 1 of ``mask``); 0 on padding. Shape ``(B, Tr)``."""
    _check_pair("pol_lp", pol_lp, "ref_lp", ref_lp)
    _check_pair("pol_lp", pol_lp, "mask", mask)
    if (mask.sum(1) < 1).any():
        raise ValueError("mask must mark at least one token in every row")
    if not isinstance(score, torch.Tensor) or score.shape != (pol_lp.shape[0],):
        raise ValueError(f"score must be a tensor of shape ({pol_lp.shape[0]},), "
                         f"got {getattr(score, 'shape', type(score).__name__)}")
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or beta < 0:
        raise ValueError(f"beta must be a number >= 0, got {beta!r}")
    kl = (pol_lp - ref_lp) * mask
    r = -beta * kl
    last = mask.sum(1).long() - 1
    r[torch.arange(len(r)), last] += score
    return r * mask


class ValueModel(nn.Module):
    """The decoder of a causal LM (its transformer body) and a fresh linear head: a value at every token."""

    def __init__(self, lm):
        super().__init__()
        self.body = copy.deepcopy(lm.model)                         # embeddings + decoder layers + final norm
        self.head = nn.Linear(lm.config.hidden_size, 1)            # fresh: hidden -> 1 (replaces hidden -> vocab)

    def forward(self, input_ids, attention_mask):
        h = self.body(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state   # (B, T, H)
        return self.head(h).squeeze(-1)                                                      # (B, T)
