import pytest
import torch

from utils import zoo
from utils.evaluation import evaluate_chat, generate_responses, left_pad, score_responses
from utils.models import make_model, model_config
from utils.sft import IGNORE, SFTConfig, encode_chat, pad_batch, sft_config, sft_splits, sft_train
from utils.world import (ChatTask, Fact, Problem, World, arithmetic_tasks, chat_dataset, fact_tasks,
                         instruction_splits, score_response)

TINY = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
            num_key_value_heads=1)


def test_splits_are_disjoint_deterministic_and_sized():
    a, b = instruction_splits(n_train=300, n_test=60, seed=3), instruction_splits(n_train=300, n_test=60, seed=3)
    assert a == b and len(a["train"]) == 300 and len(a["test"]) == 60
    train_items = {t.item for t in a["train"]}
    assert not train_items & {t.item for t in a["test"]}
    kinds = [t.kind for t in a["train"]]
    assert 0.2 < kinds.count("fact") / len(kinds) < 0.4
    held = set(World(seed=0).held_out_facts)
    assert not held & {t.item for t in a["train"] + a["test"] if t.kind == "fact"}
    assert instruction_splits(n_train=300, n_test=60, seed=4) != a


@pytest.mark.parametrize("kwargs, name", [({"n_train": 0}, "n_train"), ({"fact_share": 2.0}, "fact_share"),
                                          ({"digits": 9}, "digits"), ({"ops": ("*",)}, "ops"),
                                          ({"digits": 1, "n_train": 5000}, "n_train")])
def test_splits_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        instruction_splits(**kwargs)


def test_tasks_and_scores():
    assert len(arithmetic_tasks(1, ("+",))) == 100 and len(arithmetic_tasks(1, ("-",))) == 55
    assert len(fact_tasks()) == len(World(seed=0).known_facts)
    for t in instruction_splits(n_train=200, n_test=80, ops=("+", "-"))["test"]:
        assert score_response(t, t.answer) == {"format": True, "correct": True, "steps_ok": 1.0}
        assert not score_response(t, "A: " + t.answer)["format"]
        assert t.messages[-1] == {"role": "assistant", "content": t.answer}
    fact = ChatTask("fact", Fact("Alice", "lives_in", "Dunmore"))
    assert score_response(fact, "Alice lives in Ashford.") == {"format": True, "correct": False, "steps_ok": 0.0}
    assert score_response(fact, "Bruno lives in Dunmore.")["format"] is False
    assert score_response(fact, "Maybe Dunmore, or Ashford")["correct"] is True
    sum_ = ChatTask("arithmetic", Problem(47, 85))
    assert score_response(sum_, sum_.answer.replace("Answer: 132", "Answer: 131")) == \
        {"format": True, "correct": False, "steps_ok": 1.0}
    assert sum_.question == "What is 47+85?"
    with pytest.raises(ValueError, match="kind"):
        ChatTask("poem", sum_.item)
    with pytest.raises(ValueError, match="item"):
        ChatTask("fact", sum_.item)
    with pytest.raises(ValueError, match="response"):
        score_response(sum_, None)


def test_chat_dataset_styles():
    tasks = instruction_splits(n_train=20, n_test=10)["test"]
    ds = chat_dataset(tasks)
    assert ds.column_names == ["messages", "kind"] and ds[0]["messages"] == tasks[0].messages
    pc = chat_dataset(tasks, style="prompt_completion")
    assert pc[0]["prompt"] == tasks[0].prompt and pc[0]["completion"][0]["role"] == "assistant"
    with pytest.raises(ValueError, match="style"):
        chat_dataset(tasks, style="raw")
    with pytest.raises(ValueError, match="tasks"):
        chat_dataset([])


@pytest.fixture
def tok(zoo_tmp):
    return zoo.load("tokenizer")


def test_encode_chat_masks_all_but_the_answer(tok):
    task = ChatTask("arithmetic", Problem(47, 85))
    ids, labels = encode_chat(tok, task.messages)
    kept = [t for t in labels if t != IGNORE]
    assert tok.decode(kept) == task.answer + "<|im_end|>"
    assert labels[:5] == [IGNORE] * 5 and len(ids) == len(labels)
    batch = pad_batch([(ids, labels), (ids[:7], labels[:7])], tok.pad_token_id)
    assert batch["input_ids"].shape == (2, len(ids)) and batch["attention_mask"][1].sum() == 7
    assert (batch["labels"][1, 7:] == IGNORE).all()
    with pytest.raises(ValueError, match="pad_id"):
        pad_batch([(ids, labels)], None)
    with pytest.raises(ValueError, match="messages"):
        encode_chat(tok, "hello")


def test_sft_train_is_deterministic_and_evaluation_runs(tok):
    cfg = SFTConfig(n_train=64, n_test=8, steps=3, batch_size=4, warmup=1)
    splits = sft_splits(cfg)
    ex = [encode_chat(tok, t.messages) for t in splits["train"]]
    logs, states = [], []
    for _ in range(2):
        model = make_model(model_config(len(tok), "quick", **TINY), seed=0)
        logs.append(sft_train(model, tok, ex, cfg, progress=False))
        states.append(model.state_dict())
    assert logs[0]["losses"] == logs[1]["losses"] and len(logs[0]["losses"]) == 3
    assert all(torch.equal(a, b) for a, b in zip(states[0].values(), states[1].values()))
    rep = evaluate_chat(model, tok, splits["test"], max_new_tokens=8, batch_size=3)
    assert set(rep) >= {"accuracy", "format", "steps_ok", "by_kind", "responses"}
    assert len(rep["responses"]) == 8 and 0.0 <= rep["accuracy"] <= 1.0
    # left padding in a batch gives the same greedy answers as one prompt at a time
    prompts = [t.prompt for t in splits["test"][:4]]
    batched = generate_responses(model, tok, prompts, max_new_tokens=6, batch_size=4)
    alone = [generate_responses(model, tok, [p], max_new_tokens=6)[0] for p in prompts]
    assert batched == alone
    assert all(r["n_tokens"] == 6 for r in batched if not r["finished"])
    # several sampled answers per prompt come back grouped by prompt, repeatably under a seed
    torch.manual_seed(0)
    many = generate_responses(model, tok, prompts, max_new_tokens=6, batch_size=3, num_return_sequences=3,
                              do_sample=True, top_k=0)
    torch.manual_seed(0)
    again = generate_responses(model, tok, prompts, max_new_tokens=6, batch_size=3, num_return_sequences=3,
                               do_sample=True, top_k=0)
    assert many == again and len(many) == 4 and all(len(rows) == 3 for rows in many)
    assert all(1 <= r["n_tokens"] <= 6 for rows in many for r in rows)
    with pytest.raises(ValueError, match="max_new_tokens"):
        generate_responses(model, tok, prompts, max_new_tokens=0)
    with pytest.raises(ValueError, match="num_return_sequences"):
        generate_responses(model, tok, prompts, num_return_sequences=0)
    with pytest.raises(ValueError, match="tasks"):
        evaluate_chat(model, tok, [])
    with pytest.raises(ValueError, match="cfg"):
        sft_train(model, tok, ex, cfg={"steps": 1})


def test_left_pad_puts_every_prompt_against_the_right_edge():
    ids, mask = left_pad([[5, 6, 7], [8]], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [0, 0, 8]] and mask.tolist() == [[1, 1, 1], [0, 0, 1]]
    with pytest.raises(ValueError, match="sequences"):
        left_pad([[1], []], pad_id=0)


def test_sft_config_and_zoo_entry():
    assert sft_config("quick").steps > 0 and sft_config("full").steps > sft_config("quick").steps
    with pytest.raises(ValueError, match="profile"):
        sft_config("huge")
    assert "sft" in zoo.known()


def test_score_responses_aggregates_by_kind():
    tasks = instruction_splits(n_train=20, n_test=10)["test"]
    perfect = score_responses(tasks, [{"text": t.answer, "finished": True} for t in tasks])
    assert perfect["accuracy"] == perfect["format"] == 1.0 and sum(v["n"] for v in perfect["by_kind"].values()) == 10
    unfinished = score_responses(tasks, [{"text": t.answer, "finished": False} for t in tasks])
    assert unfinished["format"] == 0.0 and unfinished["accuracy"] == 1.0
    with pytest.raises(ValueError, match="responses"):
        score_responses(tasks, [{"text": "x"}])

