import pytest
import torch

from utils.models import count_parameters, make_model, model_config
from utils.tokenizer import IM_END, IM_START, train_tokenizer
from utils.world import pretraining_corpus

DOCS = pretraining_corpus(400, seed=0)


@pytest.fixture(scope="module")
def tok():
    return train_tokenizer(DOCS, vocab_size=400)


def test_tokenizer_roundtrip_and_digits(tok):
    text = "Q: 47+85=?\nA: 7+5+0=12 write 2 carry 1. Alice lives in Dunmore."
    ids = tok(text)["input_ids"]
    assert tok.decode(ids) == text
    assert [t for t in tok.tokenize("4785")] == ["4", "7", "8", "5"]


def test_tokenizer_special_tokens_and_chat_template(tok):
    assert tok.eos_token == "<|endoftext|>" and tok.pad_token == "<|pad|>"
    for t in (IM_START, IM_END):
        assert len(tok(t)["input_ids"]) == 1
    msgs = [{"role": "user", "content": "Where does Alice live?"},
            {"role": "assistant", "content": "Dunmore."}]
    text = tok.apply_chat_template(msgs, tokenize=False)
    assert text == ("<|im_start|>user\nWhere does Alice live?<|im_end|>\n"
                    "<|im_start|>assistant\nDunmore.<|im_end|>\n")
    prompt = tok.apply_chat_template(msgs[:1], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<|im_start|>assistant\n")
    out = tok.apply_chat_template(msgs, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    mask = out["assistant_masks"]
    marked = [i for i, m in zip(out["input_ids"], mask) if m]
    assert tok.decode(marked) == "Dunmore.<|im_end|>"


def test_tokenizer_deterministic(tok):
    again = train_tokenizer(DOCS, vocab_size=400)
    assert again.get_vocab() == tok.get_vocab()


@pytest.mark.parametrize("kwargs, name", [({"texts": "one string"}, "texts"), ({"texts": []}, "texts"),
                                          ({"vocab_size": 10}, "vocab_size"),
                                          ({"min_frequency": 0}, "min_frequency")])
def test_tokenizer_bad_arguments(kwargs, name):
    args = {"texts": DOCS[:10], **kwargs}
    with pytest.raises(ValueError, match=name):
        train_tokenizer(**args)


def test_model_config_and_factory():
    cfg = model_config(300, "quick")
    assert cfg.num_key_value_heads < cfg.num_attention_heads and cfg.tie_word_embeddings
    m = make_model(cfg, seed=1)
    assert count_parameters(m) < 3_000_000
    assert count_parameters(make_model(model_config(300, "full"))) > 10_000_000
    assert all(torch.equal(a, b) for a, b in zip(m.state_dict().values(), make_model(cfg, seed=1).state_dict().values()))
    out = m(input_ids=torch.tensor([[1, 2, 3]]))
    assert out.logits.shape == (1, 3, 300)
    assert count_parameters(m, trainable_only=True) == count_parameters(m)


def test_model_config_errors():
    with pytest.raises(ValueError, match="profile"):
        model_config(300, "huge")
    with pytest.raises(ValueError, match="vocab_size"):
        model_config(0, "quick")
    with pytest.raises(ValueError, match="overrides"):
        model_config(300, "quick", not_a_field=1)
    with pytest.raises(ValueError, match="num_key_value_heads"):
        model_config(300, "quick", num_key_value_heads=3)
    with pytest.raises(ValueError, match="config"):
        make_model({"hidden_size": 4})
