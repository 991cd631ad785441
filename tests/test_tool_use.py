import json

import pytest

from utils.world import World
from utils.world.tools import (MAX_OPERAND, ToolEpisode, calculate, calculations, check_call, lookup,
                               parse_call_text, run_call, score_answer, tool_schemas, tool_splits)


def test_schemas_come_from_the_functions():
    s = {x["function"]["name"]: x["function"] for x in tool_schemas()}
    assert set(s) == {"calculate", "lookup"}
    assert s["calculate"]["parameters"]["required"] == ["a", "op", "b"]
    assert s["calculate"]["parameters"]["properties"]["a"]["type"] == "integer"
    assert s["calculate"]["parameters"]["properties"]["op"]["enum"] == ["+", "-", "*"]
    assert "lives_in" in s["lookup"]["parameters"]["properties"]["relation"]["enum"]


def test_tools_compute_and_look_up():
    assert calculate(4821, "*", 37) == 4821 * 37
    assert calculate(5, "-", 9) == -4
    w = World(seed=0)
    f = w.held_out_facts[0]
    assert lookup(f.subject, f.relation) == f.object
    for bad in [(True, "+", 1), (1.5, "+", 1), (MAX_OPERAND + 1, "*", 2)]:
        with pytest.raises(ValueError):
            calculate(*bad)
    with pytest.raises(ValueError, match="op"):
        calculate(1, "**", 2)


def test_splits_are_disjoint_and_deterministic():
    a, b = tool_splits(seed=0), tool_splits(seed=0)
    assert [e.item for e in a["train"]] == [e.item for e in b["train"]]
    train_items = {e.item for e in a["train"]}
    assert not train_items & {e.item for e in a["test"]}
    w = World(seed=0)
    held, known = set(w.held_out_facts), set(w.known_facts)
    assert {e.item for e in a["test"] if e.tool == "lookup"} == held
    assert {e.item for e in a["train"] if e.tool == "lookup"} <= known
    assert tool_splits(seed=1)["train"] != a["train"]
    for e in a["train"][:50]:
        ok, result = run_call(e.call)
        assert ok and result == e.result
        assert score_answer(e, e.answer_from(e.result))
        assert not score_answer(e, "I do not know.")


@pytest.mark.parametrize("kwargs, name", [({"n_train": 0}, "n_train"), ({"lookup_share": 2.0}, "lookup_share"),
                                          ({"seed": -1}, "seed"), ({"world": "w"}, "world"),
                                          ({"test_digits": [1, 2]}, "test_digits")])
def test_splits_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        tool_splits(**kwargs)


def test_episode_and_calculation_checks():
    with pytest.raises(ValueError, match="tool"):
        ToolEpisode("python", (1, "+", 2))
    with pytest.raises(ValueError, match="item"):
        ToolEpisode("calculate", (1, "/", 2))
    with pytest.raises(ValueError, match="digits"):
        calculations(5, (3, 2))
    with pytest.raises(ValueError, match="ops"):
        calculations(5, 2, ops=("/",))
    with pytest.raises(ValueError, match="more distinct"):
        calculations(1000, 1, ops=("+",))
    probs = calculations(40, 3, seed=0)
    assert len({p.item for p in probs}) == 40 and all(p.digits == 3 for p in probs)


HOSTILE = [
    '<tool_call>__import__("os").system("echo pwned")</tool_call>',
    "<tool_call>{\"name\": \"__import__('os').system('ls')\", \"arguments\": {}}</tool_call>",
    '<tool_call>{"name": "calculate", "arguments": {"a": "__import__(\'os\')", "op": "+", "b": 1}}</tool_call>',
    '<tool_call>{"name": "calculate", "arguments": {"a": 1e400, "op": "*", "b": 2}}</tool_call>',
    '<tool_call>{"name": "calculate", "arguments": {"a": ' + "9" * 40 + ', "op": "*", "b": 2}}</tool_call>',
    '<tool_call>{"name": "calculate", "arguments": {"a": true, "op": "+", "b": 2}}</tool_call>',
    '<tool_call>{"name": "calculate", "arguments": {"a": 2, "op": "**", "b": 99999}}</tool_call>',
    '<tool_call>{"name": "calculate", "arguments": {"a": {"a": 1}, "op": "+", "b": 2}}</tool_call>',
    '<tool_call>{"name": "calculate", "arguments": {"a": 1, "op": "+", "b": 2, "c": 3}}</tool_call>',
    '<tool_call>{"name": "calculate", "arguments": {"a": 1, "op": "+"}}</tool_call>',
    '<tool_call>{"name": "calculate", "arguments": "a=1, b=2"}</tool_call>',
    '<tool_call>{"name": "eval", "arguments": {"source": "1+1"}}</tool_call>',
    '<tool_call>{"name": "lookup", "arguments": {"person": "Nobody", "relation": "lives_in"}}</tool_call>',
    '<tool_call>{"name": "lookup", "arguments": {"person": "Alice", "relation": "password"}}</tool_call>',
    '<tool_call>' + "[" * 100_000 + "]" * 100_000 + '</tool_call>',
    '<tool_call>' + "[" * 900 + "]" * 900 + '</tool_call>',
    '<tool_call>["calculate", 1, "+", 2]</tool_call>',
    '<tool_call>{"name": "calculate", "arguments": {"a": 1, "op": "+", "b": 2}, "then": "exec"}</tool_call>',
    '<tool_call>{"name": "calculate"',
    'no call at all',
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_calls_are_refused_with_a_message(text, monkeypatch):
    import builtins

    def forbidden(*args, **kwargs):
        raise AssertionError("model output reached eval/exec")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    call, err = parse_call_text(text)
    if call is None:
        assert isinstance(err, str) and err
        return
    ok, message = run_call(call)
    assert not ok and isinstance(message, str) and message


def test_schema_check_agrees_with_jsonschema():
    jsonschema = pytest.importorskip("jsonschema")
    by_name = {s["function"]["name"]: s["function"]["parameters"] for s in tool_schemas()}
    cases = [{"a": 1, "op": "+", "b": 2}, {"a": 1, "op": "+"}, {"a": "1", "op": "+", "b": 2},
             {"a": 1, "op": "/", "b": 2}, {"a": 1, "op": "+", "b": 2, "c": 0}, {"a": 1.5, "op": "*", "b": 2}]
    for args in cases:
        mine = check_call({"name": "calculate", "arguments": args}) is None
        schema = {**by_name["calculate"], "additionalProperties": False}
        theirs = jsonschema.Draft202012Validator(schema).is_valid(args)
        assert mine == theirs, args


def test_a_good_call_runs():
    call, err = parse_call_text('x <tool_call>{"name": "calculate", "arguments": {"a": 12, "op": "*", "b": 3}}'
                                '</tool_call>')
    assert err is None and run_call(call) == (True, "36")
    with pytest.raises(ValueError, match="text"):
        parse_call_text(None)


def test_tool_template_renders_plain_chats_exactly_as_the_book_template():
    from utils.sft import encode_chat, sft_config, sft_splits
    from utils.tool_use import tool_tokenizer
    from utils.zoo import load

    tok0 = load("tokenizer")
    tok = tool_tokenizer(tok0)
    for t in sft_splits(sft_config("quick"))["train"][:20]:
        for m in (t.messages, [{"role": "system", "content": "Be brief."}] + t.messages):
            for kw in ({"tokenize": False}, {"tokenize": False, "add_generation_prompt": True}):
                assert tok.apply_chat_template(m[:-1], **kw) == tok0.apply_chat_template(m[:-1], **kw)
            a = tok0.apply_chat_template(m, return_dict=True, return_assistant_tokens_mask=True)
            b = tok.apply_chat_template(m, return_dict=True, return_assistant_tokens_mask=True)
            assert a["input_ids"] == b["input_ids"] and a["assistant_masks"] == b["assistant_masks"]
    ep = tool_splits()["train"][0]
    text = tok.apply_chat_template(ep.messages, tools=tool_schemas(), tokenize=False)
    assert "<tool_call>" + json.dumps(ep.call) + "</tool_call>" in text
    assert "<|im_start|>tool\n" + ep.result + "<|im_end|>" in text
    ids, labels = encode_chat(tok, ep.messages, tools=tool_schemas())
    trained = tok.decode([i for i, y in zip(ids, labels) if y != -100])
    assert json.dumps(ep.call) in trained and ep.answer_from(ep.result) in trained
    assert ep.question not in trained and "<tools>" not in trained
