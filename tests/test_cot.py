import pytest

from utils.cot import build_direct, direct_answer, direct_messages, majority_vote, score_direct, split_steps
from utils.models import make_model, model_config
from utils.sft import SFTConfig, encode_chat
from utils.world import ChatTask, Fact, Problem, World, trace

TINY = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
            num_key_value_heads=1)


@pytest.fixture
def tok(zoo_tmp):
    from utils import zoo

    return zoo.load("tokenizer")


def test_majority_vote():
    assert majority_vote([3, 5, 5, None, 3, 5]) == (5, 0.5)
    assert majority_vote([7, 3, 3, 7]) == (7, 0.5)            # a tie goes to the answer seen first
    assert majority_vote([None, None, 4]) == (4, 1 / 3)       # no answer never wins while one exists
    assert majority_vote([None, None]) == (None, 0.0)
    assert majority_vote(("a",)) == ("a", 1.0)
    for bad in ([], None, "abc"):
        with pytest.raises(ValueError, match="answers"):
            majority_vote(bad)


def test_split_steps():
    p = Problem(47, 85)
    steps = split_steps(trace(p))
    assert steps == ["7+5+0=12 write 2 carry 1", "4+8+1=13 write 3 carry 1", "carry 1 write 1"]
    assert split_steps("7+5+0=12 write 2 carry 1. 4+8") == ["7+5+0=12 write 2 carry 1", "4+8"]
    assert split_steps("Answer: 5") == [] and split_steps("") == []
    with pytest.raises(ValueError, match="text"):
        split_steps(None)


def test_direct_form_and_scoring():
    p = Problem(47, 85)
    task = ChatTask("arithmetic", p)
    assert direct_answer(p) == "Answer: 132"
    msgs = direct_messages(task)
    assert msgs[:-1] == task.prompt and msgs[-1] == {"role": "assistant", "content": "Answer: 132"}
    assert score_direct(task, "Answer: 132") == {"format": True, "correct": True, "steps_ok": 1.0}
    assert score_direct(task, "I think Answer: 132") == {"format": False, "correct": True, "steps_ok": 1.0}
    assert not score_direct(task, "Answer: 131")["correct"]
    fact = ChatTask("fact", World(seed=0).known_facts[0])
    assert direct_messages(fact) == fact.messages
    assert score_direct(fact, fact.answer)["correct"]
    with pytest.raises(ValueError, match="problem"):
        direct_answer(47)
    with pytest.raises(ValueError, match="task"):
        direct_messages("What is 1+1?")
    with pytest.raises(ValueError, match="response"):
        score_direct(task, None)


def test_build_direct_trains_on_direct_answers(tok):
    cfg = SFTConfig(n_train=64, n_test=8, steps=2, batch_size=4, warmup=1)
    model = make_model(model_config(len(tok), "quick", **TINY), seed=0)
    log = build_direct(model, tok, cfg, progress=False)
    assert len(log["losses"]) == 2 and log["config"]["steps"] == 2
    assert {"before", "after"} <= set(log) and 0.0 <= log["after"]["accuracy"] <= 1.0
    assert set(log["after"]["by_kind"]) <= {"arithmetic", "fact"}
    ids, labels = encode_chat(tok, direct_messages(ChatTask("arithmetic", Problem(47, 85))))
    assert "Answer: 132" in tok.decode([t for t in labels if t != -100])
    with pytest.raises(ValueError, match="cfg"):
        build_direct(model, tok, {"steps": 2})
