"""The sampling filters of utils.decoding agree with transformers' logits warpers, ties
and min_tokens_to_keep included, and reject bad arguments."""
import pytest
import torch
from transformers.generation.logits_process import (MinPLogitsWarper, TemperatureLogitsWarper,
                                                    TopKLogitsWarper, TopPLogitsWarper)

from utils.decoding import (apply_temperature, filter_logits, min_p_filter, sample_responses, top_k_filter,
                            top_p_filter)


def _cases():
    gen = torch.Generator().manual_seed(0)
    rand = torch.randn(6, 50, generator=gen) * 3
    ties = torch.tensor([[2.0, 1.0, 1.0, 1.0, 0.0, 0.0, -1.0, -1.0],
                         [0.0] * 8,
                         [3.0, 3.0, 1.0, 1.0, 1.0, 1.0, 0.0, -5.0]])
    coarse = torch.randint(-3, 3, (5, 20), generator=gen).float()   # many ties
    return [rand, ties, coarse]


def _same(a, b):
    return torch.equal(torch.isinf(a), torch.isinf(b)) and torch.equal(a[~torch.isinf(a)], b[~torch.isinf(b)])


@pytest.mark.parametrize("keep", [1, 2, 5])
def test_filters_equal_the_library_warpers(keep):
    for logits in _cases():
        for k in (1, 2, 3, 7):
            assert _same(top_k_filter(logits, k, keep), TopKLogitsWarper(k, min_tokens_to_keep=keep)(None, logits))
        for p in (0.0, 0.1, 0.5, 0.75, 0.9, 1.0):
            assert _same(top_p_filter(logits, p, keep), TopPLogitsWarper(p, min_tokens_to_keep=keep)(None, logits))
        for m in (0.0, 0.05, 0.3, 1.0):
            assert _same(min_p_filter(logits, m, keep), MinPLogitsWarper(m, min_tokens_to_keep=keep)(None, logits))
        for t in (0.5, 1.7):
            assert torch.equal(apply_temperature(logits, t), TemperatureLogitsWarper(t)(None, logits))


def test_ties_at_the_top_k_boundary_all_stay():
    logits = torch.tensor([[2.0, 1.0, 1.0, 1.0, 0.0]])
    kept = ~torch.isinf(top_k_filter(logits, 2))
    assert kept.tolist() == [[True, True, True, True, False]]


def test_filter_logits_applies_generate_order():
    logits = torch.randn(4, 30, generator=torch.Generator().manual_seed(1))
    want = MinPLogitsWarper(0.1)(None, TopPLogitsWarper(0.8)(None, TopKLogitsWarper(10)(
        None, TemperatureLogitsWarper(0.7)(None, logits))))
    assert _same(filter_logits(logits, temperature=0.7, top_k=10, top_p=0.8, min_p=0.1), want)
    assert torch.equal(filter_logits(logits), logits)


def test_bad_arguments_raise_value_errors_naming_them():
    logits = torch.zeros(1, 5)
    with pytest.raises(ValueError, match="temperature"):
        apply_temperature(logits, 0)
    with pytest.raises(ValueError, match="k"):
        top_k_filter(logits, 0)
    with pytest.raises(ValueError, match="min_tokens_to_keep"):
        top_k_filter(logits, 2, min_tokens_to_keep=0)
    with pytest.raises(ValueError, match="p"):
        top_p_filter(logits, 1.5)
    with pytest.raises(ValueError, match="min_p"):
        min_p_filter(logits, -0.1)
    with pytest.raises(ValueError, match="logits"):
        top_k_filter([1.0, 2.0], 1)
    with pytest.raises(ValueError, match="top_p"):
        filter_logits(logits, top_p=0)
    with pytest.raises(ValueError, match="n"):
        sample_responses(None, None, [[{"role": "user", "content": "hi"}]], n=0)
