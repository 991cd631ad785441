import numpy as np
import pytest
import torch

from utils import best_of_n as B
from utils.sft import sft_config, sft_splits
from utils.world.arithmetic import Problem, trace


def test_heldout_additions_are_unseen_two_digit_and_repeatable():
    cfg = sft_config("quick")
    seen = {t.item for t in sft_splits(cfg)["train"] if t.kind == "arithmetic"}
    a = B.heldout_additions(cfg, 30, np.random.default_rng(3))
    b = B.heldout_additions(cfg, 30, np.random.default_rng(3))
    assert a == b and len(set(a)) == 30
    assert all(p.op == "+" and p not in seen and max(p.a, p.b) >= 10 for p in a)
    with pytest.raises(ValueError, match="cfg"):
        B.heldout_additions("quick", 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="rng"):
        B.heldout_additions(cfg, 3, 0)
    with pytest.raises(ValueError, match="n must"):
        B.heldout_additions(cfg, 10**6, np.random.default_rng(0))


def test_accuracy_vs_n_on_a_hand_made_case():
    truth = [5, 7]
    answers = [[5, 5, 3, 3], [1, 1, 1, 7]]          # problem 0: half right; problem 1: one right, vote wrong
    scores = {"good": np.array([[1, 1, 0, 0], [0, 0, 0, 1]]), "bad": np.array([[0, 0, 1, 1], [1, 1, 1, 0]])}
    c = B.accuracy_vs_n(answers, truth, [1, 4], scores=scores, n_subsets=50, seed=0)
    assert c["n"] == [1, 4]
    assert c["single"][1] == pytest.approx(0.375) and c["oracle"][1] == 1.0
    assert c["bon:good"][1] == 1.0 and c["bon:bad"][1] == 0.0
    # with all 4 samples, problem 0's vote is a 2-2 tie (either answer, by order) and problem 1's is wrong
    assert 0.0 < c["vote"][1] < 0.5
    assert c["single"][0] == pytest.approx(c["bon:good"][0]) == pytest.approx(c["vote"][0]) == pytest.approx(c["oracle"][0])
    with pytest.raises(ValueError, match="ns"):
        B.accuracy_vs_n(answers, truth, [5])
    with pytest.raises(ValueError, match="truth"):
        B.accuracy_vs_n(answers, [5], [1])
    with pytest.raises(ValueError, match="scores"):
        B.accuracy_vs_n(answers, truth, [1], scores={"x": np.zeros((2, 3))})


def test_step_checks_stay_false_after_the_first_wrong_step():
    p = Problem(47, 85)
    right = trace(p)
    wrong = right.replace("4+8+1=13", "4+8+1=14")
    assert B.step_checks([p, p], [right, wrong]) == [[True, True, True], [True, False, False]]


def test_sequence_logprob_matches_a_manual_sum(tok, lm):
    p = [Problem(12, 34), Problem(5, 61)]
    texts = [trace(p[0]), " 1+6+0=7 write 7"]
    got = B.sequence_logprob(lm, tok, p, texts, batch=1)
    for i in range(2):
        ids, plen = B.response_ids(tok, p[i], texts[i])
        with torch.no_grad():
            lp = torch.log_softmax(lm(torch.tensor([ids])).logits[0, :-1], -1)
        want = lp[torch.arange(plen - 1, len(ids) - 1), torch.tensor(ids[plen:])].sum().item()
        assert got[i] == pytest.approx(want, abs=1e-4)
    assert np.allclose(B.sequence_logprob(lm, tok, p, texts, batch=2), got, atol=1e-4), "right padding changes nothing"
    with pytest.raises(ValueError, match="texts"):
        B.sequence_logprob(lm, tok, p, texts[:1])


def test_sampling_and_rollouts_have_the_promised_shapes(tok, lm):
    p = [Problem(12, 34), Problem(5, 61), Problem(40, 40)]
    s = B.sample_traces(lm, tok, p, n=3, temperature=1.0, max_new_tokens=6, seed=0)
    assert s["correct"].shape == s["n_tokens"].shape == (3, 3) and len(s["answers"][2]) == 3
    assert s["texts"] == B.sample_traces(lm, tok, p, n=3, temperature=1.0, max_new_tokens=6, seed=0)["texts"]
    r = B.rollout_answers(lm, tok, p, [" 2+4+0=6 write 6 carry 0.", "", " Answer: 80"], k=2, max_new_tokens=4)
    assert [len(x) for x in r] == [2, 2, 2] and r[2] == [80, 80]
    with pytest.raises(ValueError, match="problems"):
        B.sample_traces(lm, tok, [], n=2, temperature=1.0)
