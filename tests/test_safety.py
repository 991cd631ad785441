"""utils.safety: the constitution's critiques and the critic's demonstrations."""
import numpy as np
import pytest
import torch

from utils.safety import (FOLLOWS, MIX, PRINCIPLES, REVISION_REQUEST, critic_examples, critique, critique_conversation,
                          demonstration, off_topic, respond)
from utils.world.requests import make_requests, request_splits, rules, styled_response


def _one(kind):
    return next(r for r in make_requests(40, seed=2) if r.kind == kind)


def test_leaky_demonstrations_follow_the_mix():
    rng = np.random.default_rng(0)
    reqs = make_requests(1500, seed=5)
    verdicts = [rules(r, demonstration(r, rng)[-1]["content"]) for r in reqs]
    unsafe = [v for r, v in zip(reqs, verdicts) if r.kind == "unsafe"]
    safe = [v for r, v in zip(reqs, verdicts) if r.kind == "safe"]
    assert abs(np.mean([v["violation"] for v in unsafe]) - MIX["unsafe"]["complies"]) < 0.05
    assert abs(np.mean([v["judgemental"] for v in unsafe]) - MIX["unsafe"]["judgemental"]) < 0.05
    assert abs(np.mean([v["over_refusal"] for v in safe]) - MIX["safe"]["over_refuses"] - MIX["safe"]["judgemental"]) < 0.05
    assert demonstration(reqs[0], np.random.default_rng(1))[0] == reqs[0].prompt[0]


def test_critique_flags_what_each_principle_forbids():
    rng = np.random.default_rng(0)
    unsafe, safe = _one("unsafe"), _one("safe")
    leak = styled_response(unsafe, "complies", rng)
    assert critique(unsafe, leak, "secrets") == (f"The answer does not refuse the request for {unsafe.subject}'s {unsafe.item}.", True)
    assert critique(unsafe, leak, "judge") == (FOLLOWS, False)           # one principle at a time
    judging = styled_response(safe, "judgemental", rng)
    assert critique(safe, judging, "judge")[1] and critique(safe, judging, "answer")[1]
    assert critique(safe, styled_response(safe, "over_refuses", rng), "answer")[1]
    assert not critique(unsafe, styled_response(unsafe, "ideal", rng), "answer")[1]   # refusing a secret is right
    for p in PRINCIPLES:
        assert critique(safe, styled_response(safe, "ideal", rng), p) == (FOLLOWS, False)


def test_an_off_topic_fact_answers_nothing_and_breaks_the_constitution():
    rng = np.random.default_rng(0)
    for r in make_requests(60, seed=3):
        text = off_topic(r, rng)
        v = rules(r, text)
        assert not v["refuses"] and not v["leaks"] and not v["helpful"]
        assert critique(r, text, "secrets" if r.kind == "unsafe" else "answer")[1]   # the loophole is closed
        assert respond(r, "off_topic", np.random.default_rng(1)) == off_topic(r, np.random.default_rng(1))
    with pytest.raises(ValueError, match="rng"):
        off_topic(r, 3)


def test_critique_conversation_layout():
    r = _one("unsafe")
    short = critique_conversation(r, "It is 1234.", "secrets")
    assert [m["role"] for m in short] == ["user", "assistant", "user"]
    assert PRINCIPLES["secrets"] in short[-1]["content"]
    full = critique_conversation(r, "It is 1234.", "secrets", "The answer gives out a secret.", "Sorry, I can't.")
    assert [m["role"] for m in full] == ["user", "assistant", "user", "assistant", "user", "assistant"]
    assert full[:3] == short and full[4]["content"] == REVISION_REQUEST


def test_critic_examples_are_balanced_and_revisions_follow_the_principle():
    reqs = request_splits()["demo"]
    chats = critic_examples(reqs, 300, seed=0)
    assert len(chats) == 300 and chats == critic_examples(reqs, 300, seed=0)
    broken = np.array([c[3]["content"] != FOLLOWS for c in chats])
    assert 0.4 < broken.mean() < 0.8                                   # half are chosen to break the principle
    by_text = {r.text: r for r in reqs}
    for c in chats:
        req, answer, critique_text, revision = by_text[c[0]["content"]], c[1]["content"], c[3]["content"], c[5]["content"]
        if critique_text == FOLLOWS:
            assert revision == answer
        else:
            assert rules(req, revision)["ideal"]


def test_clear_errors():
    r = _one("safe")
    with pytest.raises(ValueError, match="principle"):
        critique(r, "text", "be nice")
    with pytest.raises(ValueError, match="principle"):
        critique_conversation(r, "text", "be nice")
    with pytest.raises(ValueError, match="requests"):
        critic_examples([], 3)
    with pytest.raises(ValueError, match="n"):
        critic_examples([r], 0)


def test_sampled_critiques_grade_the_models_own_answers(tok):
    from utils.models import make_model, model_config
    from utils.safety import sampled_critiques

    torch.manual_seed(0)
    lm = make_model(model_config(len(tok), "quick", hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                 num_attention_heads=2, num_key_value_heads=1)).eval()
    reqs = make_requests(6, seed=4)
    chats = sampled_critiques(lm, tok, reqs, seed=0, max_new_tokens=8)
    assert len(chats) == 6 and [m["role"] for m in chats[0]] == ["user", "assistant", "user", "assistant", "user", "assistant"]
    for k, (r, c) in enumerate(zip(reqs, chats)):
        principle = list(PRINCIPLES)[k % len(PRINCIPLES)]
        assert PRINCIPLES[principle] in c[2]["content"]
        text, broken = critique(r, c[1]["content"], principle)
        assert c[3]["content"] == text
        assert rules(r, c[5]["content"])["ideal"] if broken else c[5]["content"] == c[1]["content"]
    with pytest.raises(ValueError, match="requests"):
        sampled_critiques(lm, tok, [])
