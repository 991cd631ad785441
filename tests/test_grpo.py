import copy

import numpy as np
import pytest
import torch

from utils.grpo import group_advantages, grpo_loss, train_grpo

CFG = dict(iterations=2, n_prompts=2, group=2, max_new_tokens=6, beta=0.04, lr=1e-3, epochs=1, n_minibatches=2,
           clip=0.2, loss_type="grpo")


def test_group_advantages_are_centred_and_scaled_within_each_group():
    r = torch.tensor([1.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0, 2.0])
    a = group_advantages(r, 4)
    assert torch.allclose(a.view(2, 4).mean(1), torch.zeros(2), atol=1e-6)
    assert torch.allclose(a[:4].std(), torch.tensor(1.0), atol=1e-3)
    assert torch.equal(a[4:], torch.zeros(4)), "a group with one reward teaches nothing"
    with pytest.raises(ValueError, match="group"):
        group_advantages(r, 3)
    with pytest.raises(ValueError, match="rewards"):
        group_advantages(r.view(2, 4), 4)


def test_loss_types_agree_when_every_answer_has_the_length_limit_and_differ_otherwise():
    g = torch.Generator().manual_seed(0)
    lp, old, ref = (torch.randn(4, 6, generator=g) * 0.1 - 1 for _ in range(3))
    adv = torch.tensor([1.0, -1.0, 0.5, -0.5])
    full = torch.ones(4, 6)
    losses = [grpo_loss(lp, old, ref, adv, full, {**CFG, "loss_type": t}).item() for t in ("grpo", "dapo", "dr_grpo")]
    assert np.allclose(losses, losses[0], atol=1e-6)
    short = full.clone()
    short[0, 2:] = 0
    assert abs(grpo_loss(lp, old, ref, adv, short, CFG) - grpo_loss(lp, old, ref, adv, short, {**CFG, "loss_type": "dapo"})) > 1e-4
    with pytest.raises(ValueError, match="loss_type"):
        grpo_loss(lp, old, ref, adv, full, {**CFG, "loss_type": "ppo"})
    with pytest.raises(ValueError, match="adv"):
        grpo_loss(lp, old, ref, adv[:2], full, CFG)


def test_train_grpo_moves_the_policy_only_and_logs_every_iteration(tok, lm):
    from utils.reward import rlhf_tasks

    tasks = rlhf_tasks("quick", n_rm=10)["rl"][:4]
    torch.manual_seed(0)
    policy, reference = copy.deepcopy(lm).requires_grad_(True), copy.deepcopy(lm).requires_grad_(False)
    before = [p.clone() for p in (*policy.parameters(), *reference.parameters())]

    def reward_fn(ts, texts):   # a reward that differs within groups: the length of the text
        return {"reward": np.array([len(x) for x in texts], dtype=float)}

    policy, log = train_grpo(policy, reference, tok, tasks, reward_fn, CFG, seed=0, progress=False)
    assert {"reward", "length", "KL", "clip fraction", "groups without signal", "seconds"} <= set(log)
    assert all(len(v) == CFG["iterations"] for v in log.values())
    n = len(list(policy.parameters()))
    moved = [not torch.equal(a, b) for a, b in zip(before, [*policy.parameters(), *reference.parameters()])]
    assert any(moved[:n]) and not any(moved[n:])


def test_train_grpo_names_bad_arguments(tok, lm):
    with pytest.raises(ValueError, match="cfg.*loss_type"):
        train_grpo(lm, lm, tok, [], lambda t, x: {}, {k: v for k, v in CFG.items() if k != "loss_type"}, seed=0)
    with pytest.raises(ValueError, match="tasks"):
        train_grpo(lm, lm, tok, [], lambda t, x: {}, CFG, seed=0)
    with pytest.raises(ValueError, match="reward_fn"):
        train_grpo(lm, lm, tok, [object()] * 4, None, CFG, seed=0)
