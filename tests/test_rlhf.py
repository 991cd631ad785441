import pytest
import torch
import torch.nn as nn

from utils.rlhf import per_token_rewards, response_logprobs, right_padded, rollout

PROMPTS = [[{"role": "user", "content": "What is 2+3?"}], [{"role": "user", "content": "What is 12+30? Be brief."}]]


class Scripted(nn.Module):
    """A stand-in for a causal LM whose generate appends fixed responses (row by row)."""

    def __init__(self, responses):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.responses = torch.tensor(responses)

    def generate(self, input_ids, attention_mask, **kwargs):
        return torch.cat([input_ids, self.responses[:len(input_ids)]], 1)


def test_rollout_masks_end_at_the_first_closing_token(tok):
    end, a, b = tok.convert_tokens_to_ids("<|im_end|>"), 50, 60
    model = Scripted([[a, end, b, end], [a, b, a, b], [end, a, a, a], [a, a, b, end]])
    q_ids, q_mask, resp, r_mask = rollout(model, tok, PROMPTS, per_prompt=2, seed=0, max_new_tokens=4)
    assert q_ids.shape == q_mask.shape and q_ids.shape[0] == 4 and resp.shape == r_mask.shape == (4, 4)
    assert r_mask.tolist() == [[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0], [1, 1, 1, 1]]
    assert (q_mask[:, -1] == 1).all() and (q_mask[0] != q_mask[2]).any()      # left-padded: every prompt ends last
    assert torch.equal(q_ids[0], q_ids[1]) and torch.equal(q_ids[2], q_ids[3])  # copies of a prompt side by side


def test_rollout_logprobs_and_right_padding_on_a_real_model(tok, lm):
    out1 = rollout(lm, tok, PROMPTS, per_prompt=3, seed=7, max_new_tokens=6)
    out2 = rollout(lm, tok, PROMPTS, per_prompt=3, seed=7, max_new_tokens=6)
    assert all(torch.equal(x, y) for x, y in zip(out1, out2))                   # seeded: repeatable
    q_ids, q_mask, resp, r_mask = out1
    assert resp.shape == (6, 6)
    with torch.no_grad():
        logp_all, lp = response_logprobs(lm, q_ids, q_mask, resp, r_mask)
    assert logp_all.shape == (6, 6, len(tok)) and lp.shape == (6, 6)
    assert torch.allclose(logp_all.exp().sum(-1), torch.ones(6, 6), atol=1e-4) and (lp <= 0).all()
    ids, att = right_padded(q_ids, q_mask, resp, r_mask, tok.pad_token_id)
    assert ids.shape[0] == 6 and att[:, 0].all()
    assert att.sum().item() == q_mask.sum().item() + r_mask.sum().item()
    for row, m, qr, qm, rr, rm in zip(ids, att, q_ids, q_mask, resp, r_mask):
        assert row[m.bool()].tolist() == qr[qm.bool()].tolist() + rr[rm.bool()].tolist()


def test_per_token_rewards_sum_to_score_minus_beta_log_ratio():
    torch.manual_seed(0)
    pol, ref = -torch.rand(3, 5), -torch.rand(3, 5)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]]).float()
    score = torch.tensor([1.0, -2.0, 0.5])
    r = per_token_rewards(pol, ref, mask, score, beta=0.1)
    assert torch.allclose(r.sum(1), score - 0.1 * ((pol - ref) * mask).sum(1))
    assert (r[mask == 0] == 0).all()
    assert torch.allclose(r[0, :2], -0.1 * (pol - ref)[0, :2])                # no score before the last token
    assert torch.allclose(per_token_rewards(pol, ref, mask, score, beta=0.0).sum(1), score)


def test_bad_arguments_name_the_argument(tok, lm):
    pol = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="mask"):
        per_token_rewards(pol, pol, torch.ones(2, 4), torch.zeros(2), 0.1)
    with pytest.raises(ValueError, match="mask"):
        per_token_rewards(pol, pol, torch.tensor([[1.0, 0, 0], [0, 0, 0]]), torch.zeros(2), 0.1)
    with pytest.raises(ValueError, match="score"):
        per_token_rewards(pol, pol, torch.ones(2, 3), torch.zeros(3), 0.1)
    with pytest.raises(ValueError, match="beta"):
        per_token_rewards(pol, pol, torch.ones(2, 3), torch.zeros(2), -1.0)
    with pytest.raises(ValueError, match="ref_lp"):
        per_token_rewards(pol, torch.zeros(3, 3), torch.ones(2, 3), torch.zeros(2), 0.1)
    with pytest.raises(ValueError, match="per_prompt"):
        rollout(lm, tok, PROMPTS, per_prompt=0, seed=0)
    with pytest.raises(ValueError, match="prompts"):
        rollout(lm, tok, [], per_prompt=1, seed=0)
    with pytest.raises(ValueError, match="max_new_tokens"):
        rollout(lm, tok, PROMPTS, per_prompt=1, seed=0, max_new_tokens=0)
    q = torch.ones(2, 4, dtype=torch.long)
    with pytest.raises(ValueError, match="r_mask"):
        response_logprobs(lm, q, q, q, torch.ones(2, 3))
    with pytest.raises(ValueError, match="resp"):
        right_padded(q, q, torch.ones(3, 4, dtype=torch.long), torch.ones(3, 4), tok.pad_token_id)
    with pytest.raises(ValueError, match="pad_id"):
        right_padded(q, q, q, q, -1)


class _Scorer(nn.Module):
    """A stand-in reward model: a linear score of the last real token's embedding."""

    def __init__(self, lm):
        super().__init__()
        self.emb, self.head = lm.get_input_embeddings(), nn.Linear(lm.config.hidden_size, 1)

    def forward(self, input_ids, attention_mask):
        last = input_ids[torch.arange(len(input_ids)), attention_mask.sum(1) - 1]
        return type("Out", (), {"logits": self.head(self.emb(last))})()


PPO_CFG = dict(iterations=2, n_prompts=2, per_prompt=2, max_new_tokens=6, beta=0.1, lr=1e-3, vf_lr=1e-3, gamma=1.0,
               lam=0.95, epochs=1, n_minibatches=2, clip=0.2, vf_clip=0.2, vf_coef=0.5, max_grad_norm=1.0)


def test_train_ppo_rlhf_updates_policy_and_value_only(tok, lm):
    import copy

    from utils.reward import rlhf_tasks
    from utils.rlhf import FourModels, ValueModel, train_ppo_rlhf

    tasks = rlhf_tasks("quick", n_rm=10)["rl"][:4]
    torch.manual_seed(0)
    policy, value = copy.deepcopy(lm).requires_grad_(True), ValueModel(lm).requires_grad_(True)
    reference, scorer = copy.deepcopy(lm).requires_grad_(False), _Scorer(copy.deepcopy(lm)).requires_grad_(False)
    before = [p.clone() for p in (*policy.parameters(), *value.parameters(), *reference.parameters(), *scorer.parameters())]
    log = train_ppo_rlhf(FourModels(policy, value, reference, scorer), tok, tasks, PPO_CFG, seed=0, progress=False)
    assert set(log) == {"RM score", "true score", "KL", "length", "value loss", "clip fraction"}
    assert all(len(v) == PPO_CFG["iterations"] for v in log.values())
    n_pv = len(list(policy.parameters())) + len(list(value.parameters()))
    after = [*policy.parameters(), *value.parameters(), *reference.parameters(), *scorer.parameters()]
    moved = [not torch.equal(a, b) for a, b in zip(before, after)]
    assert any(moved[:n_pv]) and not any(moved[n_pv:]), "only the policy and the value model are trained"


def test_train_ppo_rlhf_names_bad_arguments(tok, lm):
    from utils.rlhf import FourModels, train_ppo_rlhf

    with pytest.raises(ValueError, match="reward_model"):
        FourModels(lm, lm, lm, "not a model")
    roles = FourModels(lm, lm, lm, lm)
    with pytest.raises(ValueError, match="cfg.*vf_clip"):
        train_ppo_rlhf(roles, tok, [], {k: v for k, v in PPO_CFG.items() if k != "vf_clip"}, seed=0)
    with pytest.raises(ValueError, match="tasks"):
        train_ppo_rlhf(roles, tok, [], PPO_CFG, seed=0)
    with pytest.raises(ValueError, match="role"):
        roles.logprobs("critic", *[torch.ones(1, 2, dtype=torch.long)] * 4)


def test_response_texts_stop_at_the_mask_and_drop_the_closing_token(tok):
    from utils.rlhf import response_texts

    end = tok.convert_tokens_to_ids("<|im_end|>")
    ids = tok("Answer: 5", add_special_tokens=False)["input_ids"]
    resp = torch.tensor([ids + [end, ids[0]], ids + [ids[0], ids[0]]])
    r_mask = torch.tensor([[1] * (len(ids) + 1) + [0], [1] * (len(ids) + 2)])
    texts = response_texts(tok, resp, r_mask)
    assert texts[0] == tok.decode(ids) and texts[1] == tok.decode(ids + [ids[0], ids[0]])
    with pytest.raises(ValueError, match="r_mask"):
        response_texts(tok, resp, r_mask[:, :2])


def test_ppo_config_has_every_key_and_is_a_fresh_dict():
    from utils.rlhf import PPO_KEYS, ppo_config

    for profile in ("quick", "full"):
        cfg = ppo_config(profile)
        assert set(PPO_KEYS) <= set(cfg)
        cfg["iterations"] = -1
        assert ppo_config(profile)["iterations"] > 0
