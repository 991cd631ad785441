import numpy as np
import pytest

from utils.world import (Problem, World, check_trace, make_problem, make_problems, parse_answer,
                         pretraining_corpus, split_corpus, trace)


def test_world_is_deterministic_and_consistent():
    a, b = World(seed=3), World(seed=3)
    assert a.facts == b.facts and a.held_out_facts == b.held_out_facts
    assert World(seed=4).facts != a.facts
    assert len(a.facts) == 4 * len(a.characters)
    assert len(a.held_out_facts) == round(0.25 * len(a.facts))
    f = a.facts[0]
    assert a.lookup(f.subject, f.relation) == f.object
    assert f.subject in f.sentence and f.subject in f.question


@pytest.mark.parametrize("kwargs, name", [({"seed": -1}, "seed"), ({"n_characters": 1}, "n_characters"),
                                          ({"held_out": 1.5}, "held_out"), ({"seed": 1.0}, "seed")])
def test_world_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        World(**kwargs)


def test_lookup_errors():
    w = World()
    with pytest.raises(ValueError, match="relation"):
        w.lookup("Alice", "owns")
    with pytest.raises(ValueError, match="subject"):
        w.lookup("Zed", "lives_in")


def test_traces_check_out():
    for p in make_problems(300, digits=4, seed=1):
        c = check_trace(p, trace(p))
        assert c.all_steps_ok and c.answer_ok, (p, trace(p))
    assert trace(Problem(47, 85)) == (" 7+5+0=12 write 2 carry 1. 4+8+1=13 write 3 carry 1. "
                                      "carry 1 write 1. Answer: 132")
    assert trace(Problem(52, 17, "-")) == " 12-7-0=5 write 5 borrow 1. 5-1-1=3 write 3 borrow 0. Answer: 35"


def test_check_trace_finds_the_wrong_step():
    p = Problem(47, 85)
    bad = " 7+5+0=12 write 2 carry 1. 4+8+0=12 write 2 carry 1. carry 1 write 1. Answer: 122"
    c = check_trace(p, bad)
    assert c.steps_ok == [True, False, True] and not c.answer_ok and c.complete
    c = check_trace(p, " 7+5+0=12 write 2 carry 1. Answer: 132")
    assert c.answer_ok and not c.complete and not c.all_steps_ok
    assert parse_answer("no answer") is None and parse_answer("x Answer: -3") == -3


def test_arithmetic_bad_arguments():
    with pytest.raises(ValueError, match="op"):
        Problem(1, 2, "*")
    with pytest.raises(ValueError, match="a must be >= b"):
        Problem(1, 2, "-")
    with pytest.raises(ValueError, match="digits"):
        make_problem(np.random.default_rng(0), digits=0)
    with pytest.raises(ValueError, match="rng"):
        make_problem(0)
    with pytest.raises(ValueError, match="n"):
        make_problems(-1)
    with pytest.raises(ValueError, match="problem"):
        check_trace("1+1", "x")
    with pytest.raises(ValueError, match="text"):
        parse_answer(None)


def test_corpus_deterministic_and_holds_out_facts():
    w = World(seed=0)
    docs = pretraining_corpus(600, seed=2, world=w)
    assert docs == pretraining_corpus(600, seed=2, world=w)
    assert docs != pretraining_corpus(600, seed=3, world=w)
    text = " ".join(docs)
    arithmetic = [d for d in docs if d.startswith("Q: ")]
    assert 0.35 < len(arithmetic) / len(docs) < 0.65
    for d in arithmetic:
        q = d.split("\n")[0][3:-2]
        op = "+" if "+" in q else "-"
        a, b = map(int, q.split(op))
        assert check_trace(Problem(a, b, op), d.split("\nA:")[1]).all_steps_ok
    from utils.world.corpus import _PARAPHRASES

    for f in w.held_out_facts:   # no phrasing of a held-out fact may appear
        for template in _PARAPHRASES[f.relation]:
            assert template.format(s=f.subject, o=f.object) not in text
    seen = [f for f in w.known_facts if f.sentence in text]
    assert len(seen) > len(w.known_facts) // 3


@pytest.mark.parametrize("kwargs, name", [({"n_docs": 0}, "n_docs"), ({"arithmetic_share": 2}, "arithmetic_share"),
                                          ({"world": "w"}, "world"), ({"digits": 0}, "digits")])
def test_corpus_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        pretraining_corpus(**{"n_docs": 10, **kwargs})


def test_split_corpus():
    train, held = split_corpus([str(i) for i in range(100)], 0.1, seed=0)
    assert len(held) == 10 and len(train) == 90 and not set(train) & set(held)
    with pytest.raises(ValueError, match="docs"):
        split_corpus([], 0.1)
    with pytest.raises(ValueError, match="held_out"):
        split_corpus(["a"], -0.1)
