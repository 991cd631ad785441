import numpy as np
import pytest
import torch

from utils import benchmark
from utils.world import World


def test_wilson_equals_scipy():
    from scipy.stats import binomtest

    for k, n in [(0, 10), (3, 10), (10, 10), (37, 70), (1, 1)]:
        ref = binomtest(k, n).proportion_ci(0.95, method="wilson")
        lo, hi = benchmark.wilson(k, n)
        assert abs(lo - ref.low) < 1e-12 and abs(hi - ref.high) < 1e-12


def test_wilson_rejects_bad_counts():
    with pytest.raises(ValueError, match="n must be"):
        benchmark.wilson(0, 0)
    with pytest.raises(ValueError, match="k must be"):
        benchmark.wilson(5, 4)


def test_mc_benchmark_is_seeded_and_holds_the_right_answer():
    world = World(seed=0)
    a, b, c = (benchmark.mc_benchmark(world, seed=s) for s in (0, 0, 1))
    assert [it["options"] for it in a["items"]] == [it["options"] for it in b["items"]]
    assert [it["options"] for it in a["items"]] != [it["options"] for it in c["items"]]
    assert len(a["items"]) == len(world.facts) - 2 and a["held_out"].sum() == len(world.held_out_facts)
    for it in a["items"]:
        assert it["options"][it["answer"]] == it["fact"].object and len(set(it["options"])) == 4
    assert all(s["fact"] not in {it["fact"] for it in a["items"]} for s in a["shots"])
    assert a["prompts"][0].startswith(a["few_shot"]) and a["prompts"][0].endswith("Answer:")
    with pytest.raises(ValueError, match="n_options"):
        benchmark.mc_benchmark(world, n_options=1)


def test_continuation_logprobs_is_the_causal_lm_loss(tok, lm):
    contexts, conts = ["Alice lives in", "Bruno"], [" Ashford.", " has a cat."]
    lp, n = benchmark.continuation_logprobs(lm, tok, contexts, conts, batch=1)
    for c, x, got, k in zip(contexts, conts, lp, n):
        a, b = tok(c)["input_ids"], tok(x)["input_ids"]
        ids = torch.tensor([a + b])
        labels = ids.clone()
        labels[0, :len(a)] = -100
        with torch.no_grad():
            loss = lm(input_ids=ids, labels=labels).loss.item()
        assert k == len(b) and abs(got + loss * len(b)) < 1e-4
    with pytest.raises(ValueError, match="same length"):
        benchmark.continuation_logprobs(lm, tok, contexts, conts[:1])


def test_mc_correct_scores_every_item(tok, lm):
    bench = benchmark.mc_benchmark(World(seed=0), seed=0)
    bench = {**bench, "items": bench["items"][:5], "prompts": bench["prompts"][:5]}
    right = benchmark.mc_correct(lm, tok, bench)
    assert set(right) == {"letter", "sum", "normalised"}
    assert all(v.shape == (5,) and v.dtype == bool for v in right.values())
    with pytest.raises(ValueError, match="bench"):
        benchmark.mc_correct(lm, tok, {"items": []})
