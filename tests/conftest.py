import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def zoo_tmp(tmp_path, monkeypatch):
    """An empty zoo directory for the test."""
    monkeypatch.setenv("BOOK_ZOO_DIR", str(tmp_path / "zoo"))
    return tmp_path / "zoo"


@pytest.fixture(scope="module")
def tok():
    """A small BPE tokenizer (400 tokens) trained on the zoo's tokenizer texts; files that need
    another define their own ``tok``."""
    from utils.tokenizer import train_tokenizer
    from utils.zoo import tokenizer_texts

    return train_tokenizer(tokenizer_texts()[:2000], vocab_size=400)


@pytest.fixture(scope="module")
def lm(tok):
    """A one-layer, 32-wide causal LM of the book's architecture on ``tok``'s vocabulary."""
    from utils.models import make_model, model_config

    return make_model(model_config(len(tok), "quick", hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                   num_attention_heads=2, num_key_value_heads=1)).eval()
