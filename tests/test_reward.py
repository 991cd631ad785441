import dataclasses
import math

import numpy as np
import pytest
import torch

from utils import reward as R
from utils.world.instructions import ChatTask
from utils.world.arithmetic import Problem
from utils.world.preferences import rambling_answer, rude_answer


def test_rlhf_tasks_are_disjoint_from_the_chat_models_training_problems():
    from utils.sft import sft_config, sft_splits

    t = R.rlhf_tasks("quick", n_rm=50)
    splits = sft_splits(sft_config("quick"))
    trained = {x.item for x in splits["train"] if x.kind == "arithmetic"}
    assert len(t["rm"]) == 50 and len(t["rl"]) > 1000
    assert all(x.kind == "arithmetic" for v in t.values() for x in v)
    assert not trained & {x.item for x in t["rm"] + t["rl"] + t["test"]}
    assert not {x.item for x in t["rm"]} & {x.item for x in t["rl"]}
    assert {x.item for x in t["test"]} <= {x.item for x in splits["test"]}
    with pytest.raises(ValueError, match="n_rm"):
        R.rlhf_tasks("quick", n_rm=10**6)


def test_true_score_wants_right_concise_and_polite():
    task = ChatTask("arithmetic", Problem(47, 85, "+"))
    rng = np.random.default_rng(0)
    wrong = task.answer.replace("Answer: 132", "Answer: 133")
    got = R.true_score([task] * 4, [task.answer, rambling_answer(task, rng), rude_answer(task, rng), wrong])
    assert got.tolist() == [1.0, 0.0, 0.0, 0.0]


def test_chatty_demonstrations_follow_the_mix():
    task = ChatTask("arithmetic", Problem(12, 30, "+"))
    rng = np.random.default_rng(0)
    answers = [R.chatty_messages(task, rng)[1]["content"] for _ in range(2000)]
    clean = np.mean([a == task.answer for a in answers])
    assert abs(clean - (1 - sum(R.MIX.values()))) < 0.05
    assert all(a.startswith(task.answer) for a in answers)


def test_bradley_terry_and_pad_right():
    z = torch.zeros(3)
    assert math.isclose(R.bradley_terry_loss(z, z).item(), math.log(2), rel_tol=1e-6)
    assert R.bradley_terry_loss(torch.tensor([5.0]), torch.zeros(1)) < R.bradley_terry_loss(torch.zeros(1), torch.tensor([5.0]))
    ids, att = R.pad_right([[5, 6, 7], [8]], pad_id=1)
    assert ids.tolist() == [[5, 6, 7], [8, 1, 1]] and att.tolist() == [[1, 1, 1], [1, 0, 0]]
    with pytest.raises(ValueError, match="seqs"):
        R.pad_right([], 1)


def test_encode_response_ends_with_the_closing_token(tok):
    task = ChatTask("arithmetic", Problem(2, 3, "+"))
    ids = R.encode_response(tok, task.prompt, task.answer)
    assert ids[-1] == tok.convert_tokens_to_ids("<|im_end|>")
    full = tok.apply_chat_template(task.messages, tokenize=False)
    assert full.startswith(tok.decode(ids))


def test_reward_model_training_learns_a_separable_rule(tmp_path, tok):
    """A tiny reward model learns to prefer sequences without a marker token."""
    from utils.models import make_model, model_config

    lm = make_model(model_config(len(tok), "quick", hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                 num_attention_heads=2, num_key_value_heads=1))
    lm.save_pretrained(tmp_path)
    rm = R.reward_model_from(tmp_path, tok.pad_token_id, seed=0)
    rng = np.random.default_rng(0)
    pairs = []
    for _ in range(64):
        base = rng.integers(10, 300, size=int(rng.integers(3, 8))).tolist()
        pairs.append((base + [5], base + [6, 6]))
    cfg = dataclasses.replace(R.reward_config("quick"), steps=60, lr=3e-3, batch_size=8, eval_every=30)
    log = R.train_reward(rm, tok.pad_token_id, pairs[:48], cfg, test=pairs[48:], progress=False)
    assert len(log["losses"]) == 60 and log["eval_steps"] == [0, 30, 60]
    assert log["accuracy"][-1] > 0.9
    assert R.pair_accuracy(rm, pairs[48:], tok.pad_token_id) == log["accuracy"][-1]
    with pytest.raises(ValueError, match="cfg"):
        R.train_reward(rm, tok.pad_token_id, pairs, cfg={"lr": 1})
    with pytest.raises(ValueError, match="train"):
        R.train_reward(rm, tok.pad_token_id, pairs[:2], cfg)
    with pytest.raises(ValueError, match="pad_id"):
        R.reward_model_from(tmp_path, -1)
    prompts, texts = [[{"role": "user", "content": "What is 2+3?"}]] * 2, ["Answer: 5", "Answer: 6"]
    seqs = [R.encode_response(tok, p, y) for p, y in zip(prompts, texts)]
    assert np.allclose(R.score_texts(rm, tok, prompts, texts), R.score_all(rm, seqs, tok.pad_token_id).numpy())
    with pytest.raises(ValueError, match="prompts and texts"):
        R.score_texts(rm, tok, prompts, texts[:1])


def test_answer_logprob_is_the_causal_lm_loss_of_the_answer(tok):
    """The likelihood judge equals transformers' loss with the prompt masked, times the answer's length."""
    from utils.models import make_model, model_config

    torch.manual_seed(0)
    lm = make_model(model_config(len(tok), "quick", hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                 num_attention_heads=2, num_key_value_heads=1)).eval()
    prompts = [[{"role": "user", "content": "What is 2+3?"}], [{"role": "user", "content": "Where does Alice live?"}]]
    texts = ["Answer: 5", "Alice lives in a town far away."]
    got = R.answer_logprob(lm, tok, prompts, texts, batch=1)   # one per batch: no padding to mask
    assert np.allclose(got, R.answer_logprob(lm, tok, prompts, texts), atol=1e-4)   # batched with padding: the same
    for p, y, g in zip(prompts, texts, got):
        ids = torch.tensor([R.encode_response(tok, p, y)])
        labels = ids.clone()
        start = len(tok.apply_chat_template(p, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"])
        labels[:, :start] = -100
        with torch.no_grad():
            loss = lm(input_ids=ids, labels=labels).loss.item()
        assert abs(-loss * (ids.shape[1] - start) - g) < 1e-3
    with pytest.raises(ValueError, match="prompts and texts"):
        R.answer_logprob(lm, tok, prompts, texts[:1])
    with pytest.raises(ValueError, match="batch"):
        R.answer_logprob(lm, tok, prompts, texts, batch=0)
