"""GRPO on a chat model, as ``07-rlhf/05-grpo-verifiable-rewards`` writes it out: group-normalised
advantages, the clipped loss with the ``k3`` KL to the reference under three normalisations, and
the loop. That notebook asserts its inline loop takes the same steps as :func:`train_grpo`;
``06-rejection-sampling`` runs it beside rejection-sampling fine-tuning:

    policy, log = train_grpo(policy, reference, tok, tasks, reward_fn, cfg, seed=0)

``reward_fn(tasks, texts)`` returns a dict of per-answer arrays: ``"reward"`` (what is optimised)
and any others to log (their batch means, one entry per iteration).
"""
from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

from ._validate import check_int
from .rlhf import response_logprobs, response_texts, rollout

GRPO_KEYS = ("iterations", "n_prompts", "group", "max_new_tokens", "beta", "lr", "epochs", "n_minibatches", "clip",
             "loss_type")
LOSS_TYPES = ("grpo", "dapo", "dr_grpo")


def group_advantages(rewards: torch.Tensor, group: int) -> torch.Tensor:
    """``(B,)`` rewards, the ``group`` answers of a prompt next to each other -> ``(B,)`` advantages:
    each reward minus its group's mean, over the group's standard deviation (+1e-4)."""
    if not isinstance(rewards, torch.Tensor) or rewards.dim() != 1:
        raise ValueError(f"rewards must be a 1-d tensor, got {getattr(rewards, 'shape', type(rewards).__name__)}")
    group = check_int("group", group, low=2)
    if len(rewards) % group:
        raise ValueError(f"the number of rewards ({len(rewards)}) must be a multiple of group={group}")
    r = rewards.view(-1, group)
    return ((r - r.mean(1, keepdim=True)) / (r.std(1, keepdim=True) + 1e-4)).flatten()


def grpo_loss(lp, old_lp, ref_lp, adv, mask, cfg: dict) -> torch.Tensor:
    """The clipped surrogate plus ``beta * k3`` per token, averaged as ``cfg["loss_type"]`` says:
    ``"grpo"`` (mean over each answer's tokens, then over answers), ``"dapo"`` (over all tokens)
    or ``"dr_grpo"`` (sum over the batch size times ``max_new_tokens``)."""
    if cfg.get("loss_type") not in LOSS_TYPES:
        raise ValueError(f"loss_type must be one of {LOSS_TYPES}, got {cfg.get('loss_type')!r}")
    for name, t in (("old_lp", old_lp), ("ref_lp", ref_lp), ("mask", mask)):
        if not isinstance(t, torch.Tensor) or t.shape != lp.shape:
            raise ValueError(f"{name} must be a tensor of the shape of lp {tuple(lp.shape)}, got {getattr(t, 'shape', None)}")
    if not isinstance(adv, torch.Tensor) or adv.shape != lp.shape[:1]:
        raise ValueError(f"adv must be a tensor of shape ({lp.shape[0]},), got {getattr(adv, 'shape', None)}")
    ratio = torch.exp(lp - old_lp)
    pg = -torch.min(ratio * adv[:, None], ratio.clamp(1 - cfg["clip"], 1 + cfg["clip"]) * adv[:, None])
    k3 = torch.exp(ref_lp - lp) - (ref_lp - lp) - 1
    per_token = (pg + cfg["beta"] * k3) * mask
    if cfg["loss_type"] == "grpo":
        return (per_token.sum(1) / mask.sum(1).clamp(min=1)).mean()
    if cfg["loss_type"] == "dapo":
        return per_token.sum() / mask.sum().clamp(min=1)
    return per_token.sum() / (mask.shape[0] * cfg["max_new_tokens"])


def train_grpo(policy, reference, tokenizer, tasks: list, reward_fn, cfg: dict, seed: int, desc: str = "GRPO",
               progress: bool = True):
    """Per iteration: a group of ``cfg["group"]`` answers to each of ``n_prompts`` tasks (temperature
    1), scored by ``reward_fn``; advantages within each group; ``epochs`` passes of ``n_minibatches``
    shuffled mini-batches of :func:`grpo_loss`. Returns the policy and the log (one entry per
    iteration, measured on the batch before its update)."""
    from tqdm.auto import tqdm

    if not isinstance(cfg, dict) or set(GRPO_KEYS) - set(cfg):
        raise ValueError(f"cfg must be a dict with the keys {', '.join(GRPO_KEYS)}; "
                         f"missing: {sorted(set(GRPO_KEYS) - set(cfg)) if isinstance(cfg, dict) else 'all'}")
    if not isinstance(tasks, list) or len(tasks) < cfg["n_prompts"]:
        raise ValueError(f"tasks must be a list of at least n_prompts={cfg['n_prompts']} chat tasks")
    if not callable(reward_fn):
        raise ValueError("reward_fn must be a function (tasks, texts) -> dict with a 'reward' array")
    seed = check_int("seed", seed, low=0)
    c = cfg
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    opt = torch.optim.Adam(policy.parameters(), lr=c["lr"])
    B = c["n_prompts"] * c["group"]
    mb_size = B // c["n_minibatches"]
    log: dict[str, list] = {}
    for it in tqdm(range(c["iterations"]), desc=desc, mininterval=1, disable=not progress):
        t0 = time.perf_counter()
        # [1/3] collect: a group of answers per task, scored by reward_fn
        batch = [tasks[i] for i in rng.choice(len(tasks), c["n_prompts"], replace=False)]
        policy.eval()
        q_ids, q_mask, resp, r_mask = rollout(policy, tokenizer, [t.prompt for t in batch], c["group"],
                                              seed=seed * 1000 + it, max_new_tokens=c["max_new_tokens"])
        scored = reward_fn([t for t in batch for _ in range(c["group"])], response_texts(tokenizer, resp, r_mask))
        # [2/3] advantages within each group; old and reference log-probs
        reward = torch.tensor(np.asarray(scored["reward"], dtype=np.float32), device=resp.device)
        adv = group_advantages(reward, c["group"])
        mask = r_mask.float()
        with torch.no_grad():
            old_lp = response_logprobs(policy, q_ids, q_mask, resp, r_mask)[1]
            ref_lp = response_logprobs(reference, q_ids, q_mask, resp, r_mask)[1]
        # [3/3] epochs of shuffled mini-batches on the clipped loss with the k3 penalty
        policy.train()
        clipped = []
        for epoch in range(c["epochs"]):
            perm = torch.randperm(B)
            for start in range(0, B, mb_size):
                i = perm[start:start + mb_size]
                lp = response_logprobs(policy, q_ids[i], q_mask[i], resp[i], r_mask[i])[1]
                loss = grpo_loss(lp, old_lp[i], ref_lp[i], adv[i], mask[i], c)
                opt.zero_grad(); loss.backward()
                nn.utils.clip_grad_norm_(policy.parameters(), 1.0); opt.step()
                ratio = torch.exp(lp.detach() - old_lp[i])
                clipped.append(((((ratio - 1).abs() > c["clip"]).float() * mask[i]).sum() / mask[i].sum()).item())
        row = {k: float(np.mean(v)) for k, v in scored.items()}
        row.update({"length": mask.sum(1).mean().item(), "KL": ((old_lp - ref_lp) * mask).sum(1).mean().item(),
                    "clip fraction": float(np.mean(clipped)),
                    "groups without signal": (reward.view(-1, c["group"]).std(1) == 0).float().mean().item(),
                    "seconds": time.perf_counter() - t0})
        for k, v in row.items():
            log.setdefault(k, []).append(v)
    policy.eval()
    return policy, {k: np.array(v) for k, v in log.items()}
