"""Model factories: small Qwen2-style decoder configs for each profile.

The book's LLMs are ordinary ``transformers`` causal LMs, so ``generate``, TRL and
PEFT work on them, and a real checkpoint id can replace them in one place.
"""
from __future__ import annotations

from .profile import by_profile

#: Decoder sizes per profile. quick: ~1M parameters (trains in a minute on 2 CPU
#: cores); full: ~25M parameters (minutes on one GPU).
SIZES = {
    "quick": dict(hidden_size=128, intermediate_size=384, num_hidden_layers=4,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512),
    "full": dict(hidden_size=512, intermediate_size=1408, num_hidden_layers=8,
                 num_attention_heads=8, num_key_value_heads=4, max_position_embeddings=1024),
}


def model_config(vocab_size: int, profile: str | None = None, **overrides):
    """A ``Qwen2Config`` for the profile (grouped-query attention, RoPE, RMSNorm,
    SwiGLU, tied embeddings). ``overrides`` replace any field."""
    from transformers import Qwen2Config

    size = by_profile(**SIZES, profile=profile)
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 2:
        raise ValueError(f"vocab_size must be an integer >= 2, got {vocab_size!r}")
    kw = dict(size, vocab_size=vocab_size, rope_theta=10000.0, rms_norm_eps=1e-6,
              hidden_act="silu", tie_word_embeddings=True, use_sliding_window=False,
              attention_dropout=0.0, initializer_range=0.02)
    unknown = [k for k in overrides if not hasattr(Qwen2Config(), k)]
    if unknown:
        raise ValueError(f"unknown config field(s) in overrides: {unknown}")
    kw.update(overrides)
    cfg = Qwen2Config(**kw)
    if cfg.hidden_size % cfg.num_attention_heads:
        raise ValueError("hidden_size must be divisible by num_attention_heads")
    if cfg.num_attention_heads % cfg.num_key_value_heads:
        raise ValueError("num_attention_heads must be divisible by num_key_value_heads")
    return cfg


def make_model(config, seed: int = 0):
    """A freshly initialised causal LM for ``config`` (deterministic for ``seed``), in float32."""
    import torch
    from transformers import AutoModelForCausalLM, PretrainedConfig

    if not isinstance(config, PretrainedConfig):
        raise ValueError(f"config must be a transformers PretrainedConfig, got {type(config).__name__}")
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, attn_implementation="eager")
    return model.float()


def count_parameters(model, trainable_only: bool = False) -> int:
    """Number of parameters (tied weights counted once)."""
    seen, total = set(), 0
    for p in model.parameters():
        if id(p) in seen or (trainable_only and not p.requires_grad):
            continue
        seen.add(id(p))
        total += p.numel()
    return total
