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

``03-ppo-rlhf`` writes the PPO-RLHF loop out and asserts that :func:`train_ppo_rlhf` takes
the same steps; ``04-sharing-one-base`` runs it on two ways of holding the four models
(:class:`FourModels`, separate networks, and one base with adapters):

    log = train_ppo_rlhf(FourModels(policy, value_model, reference, reward_model), tok, tasks, cfg, seed=0)
"""
from __future__ import annotations

import copy

import numpy as np
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


def response_texts(tokenizer, resp, r_mask, end_token: str = "<|im_end|>") -> list[str]:
    """The texts of the responses: the tokens ``r_mask`` keeps, without ``end_token``."""
    _check_pair("resp", resp, "r_mask", r_mask)
    end = tokenizer.convert_tokens_to_ids(end_token)
    return [tokenizer.decode([t for t in row[m.bool()].tolist() if t != end], skip_special_tokens=True)
            for row, m in zip(resp.cpu(), r_mask.cpu())]


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


class FourModels:
    """The four roles of PPO-RLHF as four separate networks, in the interface
    :func:`train_ppo_rlhf` drives: ``sampler`` (the model that generates), ``logprobs(role, ...)``
    for ``"policy"`` and ``"reference"``, ``values``, ``scores``, ``param_groups`` and ``train``."""

    def __init__(self, policy, value_model, reference, reward_model):
        for name, m in (("policy", policy), ("value_model", value_model), ("reference", reference),
                        ("reward_model", reward_model)):
            if not isinstance(m, nn.Module):
                raise ValueError(f"{name} must be a torch.nn.Module, got {type(m).__name__}")
        self.policy, self.value_model, self.reference, self.reward_model = policy, value_model, reference, reward_model

    @property
    def sampler(self):
        return self.policy

    def logprobs(self, role: str, q_ids, q_mask, resp, r_mask):
        if role not in ("policy", "reference"):
            raise ValueError(f"role must be 'policy' or 'reference', got {role!r}")
        return response_logprobs(self.policy if role == "policy" else self.reference, q_ids, q_mask, resp, r_mask)[1]

    def values(self, ids, att):
        return self.value_model(ids, att)

    def scores(self, ids, att):
        return self.reward_model(input_ids=ids, attention_mask=att).logits[:, 0].float()

    def param_groups(self, lr: float, vf_lr: float) -> list[dict]:
        return [{"params": list(self.policy.parameters()), "lr": lr},
                {"params": list(self.value_model.parameters()), "lr": vf_lr}]

    def train(self, mode: bool = True):
        self.policy.train(mode)
        self.value_model.train(mode)


PPO_KEYS = ("iterations", "n_prompts", "per_prompt", "max_new_tokens", "beta", "lr", "vf_lr", "gamma", "lam",
            "epochs", "n_minibatches", "clip", "vf_clip", "vf_coef", "max_grad_norm")


def train_ppo_rlhf(roles, tokenizer, tasks: list, cfg: dict, seed: int, desc: str = "PPO-RLHF",
                   progress: bool = True) -> dict:
    """PPO-RLHF as ``03-ppo-rlhf`` writes it out: per iteration, collect ``n_prompts x per_prompt``
    responses (four forward passes, per-token rewards ``-beta k1`` plus the score at the last
    token), GAE over the response tokens, then ``epochs`` passes of ``n_minibatches`` shuffled
    mini-batches with the clipped policy loss and the clipped value loss. ``roles`` holds the
    models (:class:`FourModels` or anything with its interface); ``tasks`` are the prompts'
    ``ChatTask``s (the true score is logged with ``utils.reward.true_score``). Returns the log:
    one array entry per iteration, measured on the batch before its update."""
    from tqdm.auto import tqdm

    from .reward import true_score
    from .rl import gae

    if not isinstance(cfg, dict) or set(PPO_KEYS) - set(cfg):
        raise ValueError(f"cfg must be a dict with the keys {', '.join(PPO_KEYS)}; "
                         f"missing: {sorted(set(PPO_KEYS) - set(cfg)) if isinstance(cfg, dict) else 'all'}")
    if not isinstance(tasks, list) or len(tasks) < cfg["n_prompts"]:
        raise ValueError(f"tasks must be a list of at least n_prompts={cfg['n_prompts']} chat tasks")
    seed = check_int("seed", seed, low=0)
    c = cfg
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    groups = roles.param_groups(c["lr"], c["vf_lr"])
    opt = torch.optim.Adam(groups, eps=1e-5)
    params = [p for g in groups for p in g["params"]]
    B = c["n_prompts"] * c["per_prompt"]
    mb_size = B // c["n_minibatches"]
    log = {k: [] for k in ("RM score", "true score", "KL", "length", "value loss", "clip fraction")}
    for it in tqdm(range(c["iterations"]), desc=desc, mininterval=1, disable=not progress):
        # [1/3] collect: responses, old log-probs, reference log-probs, values, scores -> per-token rewards
        batch = [tasks[i] for i in rng.choice(len(tasks), c["n_prompts"], replace=False)]
        roles.train(False)
        q_ids, q_mask, resp, r_mask = rollout(roles.sampler, tokenizer, [t.prompt for t in batch], c["per_prompt"],
                                              seed=seed * 1000 + it, max_new_tokens=c["max_new_tokens"])
        ids, att = torch.cat([q_ids, resp], 1), torch.cat([q_mask, r_mask], 1)
        Tq, m = q_ids.shape[1], r_mask.float()
        with torch.no_grad():
            old_lp = roles.logprobs("policy", q_ids, q_mask, resp, r_mask)
            ref_lp = roles.logprobs("reference", q_ids, q_mask, resp, r_mask)
            old_v = roles.values(ids, att)[:, Tq - 1:-1] * m
            ids_r, att_r = right_padded(q_ids, q_mask, resp, r_mask, tokenizer.pad_token_id)
            score = roles.scores(ids_r.to(ids.device), att_r.to(ids.device))
        rewards = per_token_rewards(old_lp, ref_lp, m, score, c["beta"])
        # [2/3] advantages: GAE over the response tokens, value targets, whitening over real tokens
        values = np.vstack([old_v.T.cpu().numpy(), np.zeros((1, B))])
        adv = torch.as_tensor(gae(rewards.T.cpu().numpy(), values, gamma=c["gamma"], lam=c["lam"]).T,
                              dtype=torch.float32, device=m.device) * m
        returns = adv + old_v
        mean = adv.sum() / m.sum()
        std = (((adv - mean) ** 2 * m).sum() / m.sum()).sqrt()
        adv_w = (adv - mean) / (std + 1e-8) * m
        # [3/3] epochs of shuffled mini-batches: clipped policy loss + clipped value loss
        roles.train(True)
        clipped, v_losses = [], []
        for epoch in range(c["epochs"]):
            perm = torch.randperm(B)
            for start in range(0, B, mb_size):
                i = perm[start:start + mb_size]
                mi = m[i]
                lp = roles.logprobs("policy", q_ids[i], q_mask[i], resp[i], r_mask[i])
                ratio = torch.exp(lp - old_lp[i])
                pg = torch.max(-adv_w[i] * ratio, -adv_w[i] * ratio.clamp(1 - c["clip"], 1 + c["clip"]))
                loss_pi = (pg * mi).sum() / mi.sum()
                v = roles.values(ids[i], att[i])[:, Tq - 1:-1]
                v_clip = old_v[i] + (v - old_v[i]).clamp(-c["vf_clip"], c["vf_clip"])
                loss_v = 0.5 * (torch.max((v - returns[i]) ** 2, (v_clip - returns[i]) ** 2) * mi).sum() / mi.sum()
                loss = loss_pi + c["vf_coef"] * loss_v
                opt.zero_grad(); loss.backward()
                nn.utils.clip_grad_norm_(params, c["max_grad_norm"]); opt.step()
                clipped.append(((((ratio - 1).abs() > c["clip"]).float() * mi).sum() / mi.sum()).item())
                v_losses.append(loss_v.item())
        log["RM score"].append(score.mean().item())
        log["true score"].append(true_score([t for t in batch for _ in range(c["per_prompt"])], response_texts(tokenizer, resp, r_mask)).mean())
        log["KL"].append(((old_lp - ref_lp) * m).sum(1).mean().item())
        log["length"].append(m.sum(1).mean().item())
        log["value loss"].append(np.mean(v_losses)); log["clip fraction"].append(np.mean(clipped))
    roles.train(False)
    return {k: np.array(v) for k, v in log.items()}


# ----------------------------------------------------------------------------- the zoo's `rlhf` entry

#: ``03-ppo-rlhf``'s run (its knobs, seed 0), kept by the zoo as ``rlhf``: ``chatty`` trained by
#: PPO-RLHF against the zoo's ``reward`` with a KL penalty to ``chatty``. 03-ppo-rlhf asserts that
#: its knobs are these.
_PPO_SHARED = dict(per_prompt=4, max_new_tokens=48, beta=0.1, lr=3e-5, vf_lr=1e-3, gamma=1.0, lam=0.95, epochs=2,
                   n_minibatches=2, clip=0.2, vf_clip=0.2, vf_coef=0.5, max_grad_norm=1.0)
PPO = {"quick": {**_PPO_SHARED, "iterations": 20, "n_prompts": 8},        # the profiles differ only in the run's size
       "full": {**_PPO_SHARED, "iterations": 200, "n_prompts": 32}}


def ppo_config(profile: str | None = None) -> dict:
    """PPO-RLHF's knobs for ``profile`` (a fresh dict)."""
    from .profile import by_profile

    return dict(by_profile(**PPO, profile=profile))


def build_zoo_entry(folder, profile: str) -> None:
    """The zoo's ``rlhf`` entry: ``chatty`` (policy and frozen reference), a value model from its
    decoder and the zoo's ``reward`` model, trained by :func:`train_ppo_rlhf` on the ``rl`` prompts
    with :func:`ppo_config` and seed 0; the policy is saved with the per-iteration log."""
    from . import zoo
    from .profile import get_device
    from .reward import rlhf_tasks

    device = get_device()
    tok = zoo.load("tokenizer")
    reference = zoo.load("chatty", profile=profile).to(device).eval().requires_grad_(False)
    reward_model = zoo.load("reward", profile=profile).to(device).eval().requires_grad_(False)
    cfg = ppo_config(profile)
    torch.manual_seed(0)
    policy = copy.deepcopy(reference).requires_grad_(True)
    value_model = ValueModel(reference).to(device).requires_grad_(True)
    log = train_ppo_rlhf(FourModels(policy, value_model, reference, reward_model), tok, rlhf_tasks(profile)["rl"],
                         cfg, seed=0)
    zoo.save_model(folder, policy.eval(), tok, {**{k: v.tolist() for k, v in log.items()}, "config": cfg})
