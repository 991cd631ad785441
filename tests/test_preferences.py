import numpy as np
import pytest

from utils.judge import AXES, judge_answer, judge_answers
from utils.world import ChatTask, Fact, Problem, preferences as P


def test_splits_follow_the_instruction_data():
    tr, te = P.tasks("train"), P.tasks("test")
    assert {t.question for t in tr}.isdisjoint({t.question for t in te})
    assert len({t.question for t in tr}) == len(tr)
    assert {t.kind for t in te} == {"fact", "arithmetic"}
    assert all(t.question.startswith("What is ") for t in tr if t.kind == "arithmetic")


def test_pairs_have_trl_columns_and_known_ground_truth():
    ds = P.pairs(90, split="train", seed=1)
    pool = P.tasks("train")
    assert {"prompt", "chosen", "rejected", "kind", "task", "question", "task_id"} <= set(ds.column_names)
    assert set(ds["kind"]) == set(P.KINDS)
    for r in ds:
        t = pool[r["task_id"]]
        assert t.question == r["question"] == r["prompt"][0]["content"]
        assert r["prompt"][0]["role"] == "user" and r["chosen"][0]["role"] == "assistant"
        good = judge_answer(t, r["chosen"][0]["content"])
        bad = judge_answer(t, r["rejected"][0]["content"])
        assert all(good.values()), r
        if r["kind"] == "correctness":
            assert not bad["correct"] and bad["style"], r
        elif r["kind"] == "concise":
            assert bad["correct"] and not bad["concise"] and bad["polite"], r
        else:
            assert bad["correct"] and bad["concise"] and not bad["polite"], r
    assert P.pairs(90, split="train", seed=1)["rejected"] == ds["rejected"]


def test_test_pairs_use_held_out_prompts_only():
    assert set(P.pairs(300, split="train")["question"]).isdisjoint(P.pairs(100, split="test")["question"])


def test_standard_format_and_single_kind():
    ds = P.pairs(5, kind="polite", conversational=False)
    assert isinstance(ds[0]["prompt"], str) and ds[0]["chosen"].startswith(" ")
    assert set(ds["kind"]) == {"polite"}


def test_wrong_traces_are_wrong():
    rng = np.random.default_rng(0)
    for a, b, op in [(47, 85, "+"), (52, 17, "-"), (10, 10, "-"), (0, 0, "+"), (9, 9, "+"), (5, 0, "+")]:
        t = ChatTask("arithmetic", Problem(a, b, op))
        for _ in range(10):
            for mistake in P.MISTAKES:
                assert not judge_answer(t, P.wrong_answer(t, rng, mistake))["correct"]


def test_judge_rules():
    cat = ChatTask("fact", Fact("Alice", "has_pet", "cat"))
    assert judge_answer(cat, "Alice has a cat.") == dict.fromkeys(AXES, True)
    r = judge_answer(cat, "Alice has a cat. Bruno has a dog.")
    assert r["correct"] and not r["concise"]
    r = judge_answer(cat, "Obviously. Alice has a cat.")
    assert r == {"correct": True, "concise": True, "polite": False, "style": False}
    add = ChatTask("arithmetic", Problem(1, 2))
    r = judge_answer(add, "1+2+0=3 write 3 carry 0. Answer: 3 I hope this helps.")
    assert r["correct"] and not r["concise"] and not r["style"]
    assert not judge_answer(add, "no answer here")["correct"]
    many = judge_answers([add, add], ["Answer: 3", "Answer: 4"])
    assert set(many) == set(AXES) and many["correct"].tolist() == [True, False]


@pytest.mark.parametrize("call, name", [
    (lambda: P.pairs(0), "n"), (lambda: P.pairs(3, kind="funny"), "kind"),
    (lambda: P.pairs(3, split="dev"), "split"), (lambda: P.tasks(splits={"train": []}), "splits"),
    (lambda: P.wrong_answer("x", np.random.default_rng()), "task"),
    (lambda: P.wrong_answer(ChatTask("arithmetic", Problem(1, 2)), np.random.default_rng(), "typo"), "mistake"),
    (lambda: P.rude_answer(ChatTask("arithmetic", Problem(1, 2)), 3), "rng"),
    (lambda: judge_answer("x", "text"), "task"),
    (lambda: judge_answer(ChatTask("arithmetic", Problem(1, 2)), 3), "text"),
    (lambda: judge_answers([], ["a"]), "same length"),
])
def test_bad_arguments(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_default_questions_are_the_quick_chat_models_own():
    from utils.sft import sft_config, sft_splits

    own = sft_splits(sft_config("quick"))
    assert [t.question for t in P.tasks("test")] == list(dict.fromkeys(t.question for t in own["test"]))
