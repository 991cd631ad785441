import itertools

import pytest
import torch

from utils.ablation import (ATTENTIONS, FFNS, NORMS, PLACEMENTS, POSITIONS, AblationConfig, AblationLM,
                            alibi_bias, alibi_slopes, apply_rope, held_out_loss, lm_loss, loss_per_position,
                            rope_cos_sin, train_lm, with_params)
from utils.models import count_parameters

V = 50


def cfg(**kw):
    return AblationConfig(vocab_size=V, d_model=32, n_layers=2, n_heads=4, max_len=64, kv_rank=8, rope_dim=4, **kw)


@pytest.mark.parametrize("name,value", [("positions", "sinusoid"), ("attention", "mqa2"), ("norm", "batch"),
                                        ("placement", "middle"), ("ffn", "tanh")])
def test_unknown_switch_is_a_clear_error(name, value):
    with pytest.raises(ValueError, match=name):
        cfg(**{name: value})


def test_bad_sizes_are_clear_errors():
    with pytest.raises(ValueError, match="divisible by n_heads"):
        AblationConfig(vocab_size=V, d_model=30, n_heads=4)
    with pytest.raises(ValueError, match="n_kv_heads"):
        AblationConfig(vocab_size=V, attention="gqa", n_heads=4, n_kv_heads=3)
    with pytest.raises(ValueError, match="vocab_size"):
        AblationConfig(vocab_size=1)
    with pytest.raises(ValueError, match="d_ff"):
        AblationConfig(vocab_size=V, d_ff=0)
    with pytest.raises(ValueError, match="cfg must be an AblationConfig"):
        AblationLM({"vocab_size": V})


@pytest.mark.parametrize("positions,attention", list(itertools.product(POSITIONS, ATTENTIONS)))
def test_every_combination_is_causal_and_caches_correctly(positions, attention):
    model = AblationLM(cfg(positions=positions, attention=attention), seed=1).eval()
    ids = torch.randint(V, (2, 12))
    with torch.no_grad():
        full = model(ids)
        assert full.shape == (2, 12, V)
        changed = ids.clone()
        changed[:, 8:] = (changed[:, 8:] + 1) % V
        assert torch.allclose(model(changed)[:, :8], full[:, :8], atol=1e-5), "a later token changed an earlier logit"
        logits, cache = model(ids[:, :7], return_cache=True)
        steps = [logits]
        for t in range(7, 12):
            logits, cache = model(ids[:, t:t + 1], cache=cache, return_cache=True)
            steps.append(logits)
        assert torch.allclose(torch.cat(steps, 1), full, atol=1e-5), "cached decoding differs from the full pass"
    floats = sum(t.numel() for layer in cache for t in layer) // (2 * 12)
    assert floats == model.cfg.cache_floats_per_token()


@pytest.mark.parametrize("norm,placement,ffn", list(itertools.product(NORMS, PLACEMENTS, FFNS)))
def test_norms_placements_ffns_run_and_learn(norm, placement, ffn):
    torch.manual_seed(0)
    rows = torch.randint(V, (4, 16)).repeat(8, 1)          # a tiny set of rows, seen again and again
    model = AblationLM(cfg(norm=norm, placement=placement, ffn=ffn))
    before = held_out_loss(model, rows[:4])
    train_lm(model, rows, steps=20, batch=8, lr=1e-2, progress=False)
    assert held_out_loss(model, rows[:4]) < 0.8 * before


def test_cache_sizes_order_and_mla_latent():
    sizes = {a: cfg(attention=a).cache_floats_per_token() for a in ATTENTIONS}
    assert sizes["mha"] == 2 * 2 * 32 and sizes["gqa"] == sizes["mha"] // 2 and sizes["mqa"] == sizes["mha"] // 4
    assert sizes["mla"] == 2 * (8 + 4)


def test_ffn_widths_match_parameters():
    swiglu, gelu = AblationLM(cfg(ffn="swiglu")), AblationLM(cfg(ffn="gelu"))
    assert abs(count_parameters(swiglu) - count_parameters(gelu)) < 0.01 * count_parameters(gelu)


@pytest.mark.parametrize("attention", ["gqa", "mqa", "mla"])
def test_with_params_matches_the_target(attention):
    base = cfg()
    target = count_parameters(AblationLM(base))
    matched = with_params(base, target, attention=attention)
    per_unit = 2 * 3 * 32                                   # two layers, three matrices of d_model per unit of d_ff
    assert matched.attention == attention
    assert abs(count_parameters(AblationLM(matched)) - target) <= per_unit
    with pytest.raises(ValueError, match="target"):
        with_params(base, 0)


def test_alibi_slopes_and_bias():
    assert torch.allclose(alibi_slopes(8), 2.0 ** (-torch.arange(1, 9).float()))
    s12 = alibi_slopes(12)
    assert len(s12) == 12 and torch.allclose(s12[:8], alibi_slopes(8)) and torch.allclose(s12[8:], alibi_slopes(16)[0::2][:4])
    b = alibi_bias(4, torch.arange(5), torch.arange(5))
    assert b.shape == (4, 5, 5) and torch.all(b.diagonal(dim1=1, dim2=2) == 0)
    assert torch.allclose(b[:, 4, 0], -4 * alibi_slopes(4))
    with pytest.raises(ValueError, match="n_heads"):
        alibi_slopes(0)


def test_rope_scores_depend_on_offset_only():
    q, k = torch.randn(2, 16)
    cos, sin = rope_cos_sin(torch.arange(64), 16, 10000.0)
    score = lambda m, n: (apply_rope(q, cos[m], sin[m]) @ apply_rope(k, cos[n], sin[n])).item()
    assert abs(score(5, 2) - score(45, 42)) < 1e-4


def test_learned_positions_refuse_long_rows():
    model = AblationLM(cfg(positions="learned"))
    with pytest.raises(ValueError, match="max_len"):
        model(torch.zeros(1, 65, dtype=torch.long))


def test_loss_helpers_and_determinism():
    torch.manual_seed(0)
    rows = torch.randint(V, (8, 10))
    m1, m2 = AblationLM(cfg(), seed=3), AblationLM(cfg(), seed=3)
    assert loss_per_position(m1, rows).shape == (9,)
    assert abs(lm_loss(m1(rows), rows).item() - held_out_loss(m1, rows)) < 1e-5
    h1 = train_lm(m1, rows, steps=5, batch=4, lr=1e-3, seed=2, progress=False)
    h2 = train_lm(m2, rows, steps=5, batch=4, lr=1e-3, seed=2, progress=False)
    assert h1.losses == h2.losses
    with pytest.raises(ValueError, match="lr"):
        train_lm(m1, rows, steps=1, batch=1, lr=0)
    with pytest.raises(ValueError, match="rows"):
        train_lm(m1, rows[0], steps=1, batch=1, lr=1e-3)
