"""A small decoder with one switch per architecture choice, for chapter 9's ablations.

    cfg = AblationConfig(vocab_size=len(tok), positions="alibi", attention="gqa", ffn="gelu")
    model = AblationLM(cfg, seed=0)
    logits = model(ids)                                   # (B, T, V)
    hist = train_lm(model, train_rows, steps=200, batch=16, lr=3e-3, seed=0)

The switches are ``positions`` (rope, alibi, learned, none), ``attention`` (mha, gqa, mqa,
mla), ``norm`` (rms, layer), ``placement`` (pre, post) and ``ffn`` (swiglu, gelu, relu).
Chapter 9's notebooks each write one of these parts from scratch, check it against the
library, and assert that it equals the version here before training the variants side by
side. Everything else (embedding, tied LM head, initialisation, the training loop) is
shared, so a difference in held-out loss comes from the switch alone.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ._validate import check_int

POSITIONS = ("rope", "alibi", "learned", "none")
ATTENTIONS = ("mha", "gqa", "mqa", "mla")
NORMS = ("rms", "layer")
PLACEMENTS = ("pre", "post")
FFNS = ("swiglu", "gelu", "relu")


@dataclass(frozen=True)
class AblationConfig:
    vocab_size: int
    d_model: int = 64
    n_layers: int = 2
    n_heads: int = 4
    positions: str = "rope"
    attention: str = "mha"
    n_kv_heads: int = 2          # key/value heads of "gqa" ("mha" uses n_heads, "mqa" one)
    kv_rank: int = 32            # "mla": width of the compressed key/value latent c_kv
    rope_dim: int = 8            # "mla": width of the decoupled RoPE part of each query/key head
    norm: str = "rms"
    placement: str = "pre"
    ffn: str = "swiglu"
    d_ff: int | None = None      # FFN width; None: 4 d for gelu/relu, 8 d / 3 for swiglu (equal parameters)
    max_len: int = 512           # longest sequence ("learned" positions have this many rows)
    rope_theta: float = 10000.0
    eps: float = 1e-6
    init_std: float = 0.02

    def __post_init__(self):
        check_int("vocab_size", self.vocab_size, low=2)
        check_int("d_model", self.d_model, low=2)
        check_int("n_layers", self.n_layers, low=1)
        check_int("n_heads", self.n_heads, low=1)
        check_int("n_kv_heads", self.n_kv_heads, low=1)
        check_int("kv_rank", self.kv_rank, low=1)
        check_int("rope_dim", self.rope_dim, low=2)
        check_int("max_len", self.max_len, low=1)
        for name, allowed in (("positions", POSITIONS), ("attention", ATTENTIONS), ("norm", NORMS),
                              ("placement", PLACEMENTS), ("ffn", FFNS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {getattr(self, name)!r}")
        if self.d_ff is not None:
            check_int("d_ff", self.d_ff, low=1)
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")
        if self.attention == "gqa" and self.n_heads % self.n_kv_heads:
            raise ValueError(f"n_heads ({self.n_heads}) must be divisible by n_kv_heads ({self.n_kv_heads})")
        if self.head_dim % 2 or self.rope_dim % 2:
            raise ValueError("the head size d_model / n_heads and rope_dim must be even (RoPE turns pairs)")
        if not (isinstance(self.rope_theta, (int, float)) and self.rope_theta > 1):
            raise ValueError(f"rope_theta must be a number > 1, got {self.rope_theta!r}")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @property
    def kv_heads(self) -> int:
        return {"mha": self.n_heads, "gqa": self.n_kv_heads, "mqa": 1, "mla": self.n_heads}[self.attention]

    @property
    def ffn_width(self) -> int:
        if self.d_ff is not None:
            return self.d_ff
        return round(8 * self.d_model / 3) if self.ffn == "swiglu" else 4 * self.d_model

    def cache_floats_per_token(self) -> int:
        """Numbers one token adds to the key/value cache, over all layers."""
        per_layer = (self.kv_rank + self.rope_dim) if self.attention == "mla" else 2 * self.kv_heads * self.head_dim
        return self.n_layers * per_layer


# ----------------------------------------------------------------------------- positions

def rope_cos_sin(positions: torch.Tensor, dim: int, theta: float = 10000.0):
    """cos(m θ_i), sin(m θ_i) for each position m and pair i (θ_i = theta^(-2i/dim)),
    each angle repeated for both halves (the rotate-half layout of Llama and Qwen2)."""
    inv_freq = 1.0 / theta ** (torch.arange(0, dim, 2, dtype=torch.float32, device=positions.device) / dim)
    angles = positions.float()[:, None] * inv_freq[None, :]
    angles = torch.cat([angles, angles], dim=-1)
    return angles.cos(), angles.sin()


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([-x2, x1], dim=-1)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    return x * cos + rotate_half(x) * sin


def alibi_slopes(n_heads: int) -> torch.Tensor:
    """ALiBi's head slopes: the geometric sequence 2^(-8/n), 2^(-16/n), ... for n a power of
    two; otherwise those of the power of two below, then every other slope of the one above."""
    n_heads = check_int("n_heads", n_heads, low=1)
    p = 2 ** math.floor(math.log2(n_heads))
    slopes = [2 ** (-8 * (i + 1) / p) for i in range(p)]
    if p < n_heads:
        slopes += [2 ** (-8 * (i + 1) / (2 * p)) for i in range(0, 2 * (n_heads - p), 2)]
    return torch.tensor(slopes, dtype=torch.float32)


def alibi_bias(n_heads: int, q_positions: torch.Tensor, k_positions: torch.Tensor) -> torch.Tensor:
    """(H, Tq, Tk) bias -m_h (i - j) added to the score of query position i for key position j."""
    dist = (q_positions[:, None] - k_positions[None, :]).float()
    return -alibi_slopes(n_heads).to(dist.device)[:, None, None] * dist


# ----------------------------------------------------------------------------- attention

def _causal_softmax_attend(scores, v, q_pos, k_pos):
    future = k_pos[None, :] > q_pos[:, None]
    return scores.masked_fill(future, float("-inf")).softmax(dim=-1) @ v


class Attention(nn.Module):
    """Multi-head (H_kv = H), grouped-query (1 < H_kv < H) or multi-query (H_kv = 1) attention.
    The cache holds K and V: 2 H_kv d_h numbers per token."""

    def __init__(self, cfg: AblationConfig):
        super().__init__()
        self.cfg, self.h, self.hkv, self.dh = cfg, cfg.n_heads, cfg.kv_heads, cfg.head_dim
        self.q_proj = nn.Linear(cfg.d_model, self.h * self.dh, bias=False)
        self.k_proj = nn.Linear(cfg.d_model, self.hkv * self.dh, bias=False)
        self.v_proj = nn.Linear(cfg.d_model, self.hkv * self.dh, bias=False)
        self.o_proj = nn.Linear(self.h * self.dh, cfg.d_model, bias=False)

    def forward(self, x, pos, cache=None):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.h, self.dh).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.hkv, self.dh).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.hkv, self.dh).transpose(1, 2)
        if self.cfg.positions == "rope":
            cos, sin = rope_cos_sin(pos, self.dh, self.cfg.rope_theta)
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if cache is not None:
            k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
        new_cache = (k, v)
        k_pos = torch.arange(k.shape[2], device=x.device)
        group = self.h // self.hkv
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.dh)
        if self.cfg.positions == "alibi":
            scores = scores + alibi_bias(self.h, pos, k_pos)
        out = _causal_softmax_attend(scores, v, pos, k_pos)
        return self.o_proj(out.transpose(1, 2).reshape(B, T, -1)), new_cache


class LatentAttention(nn.Module):
    """Multi-head latent attention (DeepSeek-V2): keys and values are rebuilt from a shared
    low-rank latent c_kv, and a small decoupled part k_rope (one for all heads) carries RoPE.
    The cache holds c_kv and k_rope: kv_rank + rope_dim numbers per token.
    Names follow ``transformers``' DeepseekV3Attention without query compression."""

    def __init__(self, cfg: AblationConfig):
        super().__init__()
        self.cfg, self.h, self.dn, self.dr, self.r = cfg, cfg.n_heads, cfg.head_dim, cfg.rope_dim, cfg.kv_rank
        self.q_proj = nn.Linear(cfg.d_model, self.h * (self.dn + self.dr), bias=False)
        self.kv_a_proj_with_mqa = nn.Linear(cfg.d_model, self.r + self.dr, bias=False)   # -> c_kv, k_rope
        self.kv_a_layernorm = nn.RMSNorm(self.r, eps=cfg.eps)
        self.kv_b_proj = nn.Linear(self.r, self.h * 2 * self.dn, bias=False)             # c_kv -> k_nope, v
        self.o_proj = nn.Linear(self.h * self.dn, cfg.d_model, bias=False)

    def forward(self, x, pos, cache=None):
        B, T, _ = x.shape
        q = self.q_proj(x).view(B, T, self.h, self.dn + self.dr).transpose(1, 2)
        q_nope, q_rope = q.split([self.dn, self.dr], dim=-1)
        c_kv, k_rope = self.kv_a_proj_with_mqa(x).split([self.r, self.dr], dim=-1)
        c_kv, k_rope = self.kv_a_layernorm(c_kv), k_rope[:, None]                         # (B, T, r), (B, 1, T, dr)
        if self.cfg.positions == "rope":
            cos, sin = rope_cos_sin(pos, self.dr, self.cfg.rope_theta)
            q_rope, k_rope = apply_rope(q_rope, cos, sin), apply_rope(k_rope, cos, sin)
        if cache is not None:
            c_kv, k_rope = torch.cat([cache[0], c_kv], dim=1), torch.cat([cache[1], k_rope], dim=2)
        new_cache = (c_kv, k_rope)
        S = c_kv.shape[1]
        k_nope, v = self.kv_b_proj(c_kv).view(B, S, self.h, 2 * self.dn).transpose(1, 2).split(self.dn, dim=-1)
        k_pos = torch.arange(S, device=x.device)
        scores = (q_nope @ k_nope.transpose(-2, -1) + q_rope @ k_rope.transpose(-2, -1)) / math.sqrt(self.dn + self.dr)
        if self.cfg.positions == "alibi":
            scores = scores + alibi_bias(self.h, pos, k_pos)
        out = _causal_softmax_attend(scores, v, pos, k_pos)
        return self.o_proj(out.transpose(1, 2).reshape(B, T, -1)), new_cache


# ----------------------------------------------------------------------------- FFN, block, model

class FFN(nn.Module):
    """SwiGLU: W_down(SiLU(W_gate x) * W_up x); GELU/ReLU: W_down(act(W_up x)). No biases."""

    def __init__(self, cfg: AblationConfig):
        super().__init__()
        self.kind, f = cfg.ffn, cfg.ffn_width
        if self.kind == "swiglu":
            self.gate_proj = nn.Linear(cfg.d_model, f, bias=False)
        self.up_proj = nn.Linear(cfg.d_model, f, bias=False)
        self.down_proj = nn.Linear(f, cfg.d_model, bias=False)

    def hidden(self, x):
        if self.kind == "swiglu":
            return F.silu(self.gate_proj(x)) * self.up_proj(x)
        return (F.gelu if self.kind == "gelu" else F.relu)(self.up_proj(x))

    def forward(self, x):
        return self.down_proj(self.hidden(x))


def make_norm(cfg: AblationConfig) -> nn.Module:
    return nn.RMSNorm(cfg.d_model, eps=cfg.eps) if cfg.norm == "rms" else nn.LayerNorm(cfg.d_model, eps=cfg.eps)


class Block(nn.Module):
    """Pre-norm: x + f(norm(x)). Post-norm (the original transformer): norm(x + f(x))."""

    def __init__(self, cfg: AblationConfig):
        super().__init__()
        self.pre = cfg.placement == "pre"
        self.norm1, self.norm2 = make_norm(cfg), make_norm(cfg)
        self.attn = LatentAttention(cfg) if cfg.attention == "mla" else Attention(cfg)
        self.ffn = FFN(cfg)

    def forward(self, x, pos, cache=None):
        if self.pre:
            a, cache = self.attn(self.norm1(x), pos, cache)
            x = x + a
            return x + self.ffn(self.norm2(x)), cache
        a, cache = self.attn(x, pos, cache)
        x = self.norm1(x + a)
        return self.norm2(x + self.ffn(x)), cache


class AblationLM(nn.Module):
    """Embedding (+ learned positions), ``n_layers`` blocks, a final norm for pre-norm stacks
    (post-norm stacks normalise the embeddings instead), and an LM head tied to the embedding."""

    def __init__(self, cfg: AblationConfig, seed: int = 0):
        super().__init__()
        if not isinstance(cfg, AblationConfig):
            raise ValueError(f"cfg must be an AblationConfig, got {type(cfg).__name__}")
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos_embed = nn.Embedding(cfg.max_len, cfg.d_model) if cfg.positions == "learned" else None
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        # pre-norm: one norm after the last block; post-norm normalises the embeddings instead (as BERT does),
        # since every block's output is already normalised
        self.norm = make_norm(cfg) if cfg.placement == "pre" else nn.Identity()
        self.embed_norm = make_norm(cfg) if cfg.placement == "post" else nn.Identity()
        gen = torch.Generator().manual_seed(check_int("seed", seed, low=0))
        for name, p in self.named_parameters():
            if p.dim() > 1:
                with torch.no_grad():
                    p.copy_(torch.randn(p.shape, generator=gen) * cfg.init_std)

    def forward(self, ids: torch.Tensor, cache: list | None = None, return_cache: bool = False):
        if not isinstance(ids, torch.Tensor) or ids.ndim != 2:
            raise ValueError(f"ids must be a (batch, time) tensor of token ids, got {getattr(ids, 'shape', ids)!r}")
        start = 0 if cache is None else (cache[0][0].shape[1] if self.cfg.attention == "mla" else cache[0][0].shape[2])
        T = ids.shape[1]
        if start + T > self.cfg.max_len:
            raise ValueError(f"sequence of {start + T} tokens is longer than max_len={self.cfg.max_len}")
        pos = torch.arange(start, start + T, device=ids.device)
        x = self.embed(ids)
        if self.pos_embed is not None:
            x = x + self.pos_embed(pos)
        x = self.embed_norm(x)
        new_cache = []
        for i, block in enumerate(self.blocks):
            x, c = block(x, pos, None if cache is None else cache[i])
            new_cache.append(c)
        logits = self.norm(x) @ self.embed.weight.T
        return (logits, new_cache) if return_cache else logits


def with_params(cfg: AblationConfig, target: int, **changes) -> AblationConfig:
    """``cfg`` with ``changes`` applied and the FFN width chosen so that the model's parameter
    count is as close as possible to ``target`` (to compare variants at matched size)."""
    from .models import count_parameters

    target = check_int("target", target, low=1)
    base = replace(cfg, **changes)
    count = lambda c: count_parameters(AblationLM(c))
    lo, hi = replace(base, d_ff=1), replace(base, d_ff=2 * base.ffn_width)
    n_lo, n_hi = count(lo), count(hi)
    per_unit = (n_hi - n_lo) / (hi.d_ff - 1)                  # parameters are linear in d_ff
    d_ff = max(1, round(1 + (target - n_lo) / per_unit))
    return replace(base, d_ff=d_ff)


# ----------------------------------------------------------------------------- data and training

def corpus_rows(tokenizer, n_docs: int, block: int, held_out: float = 0.1, seed: int = 0):
    """(train, held-out) rows of ``block`` tokens of the world's corpus."""
    from .pretraining import pack_documents
    from .world import pretraining_corpus, split_corpus

    n_docs, block = check_int("n_docs", n_docs, low=2), check_int("block", block, low=2)
    train, held = split_corpus(pretraining_corpus(n_docs, seed=seed), held_out=held_out, seed=seed)
    return pack_documents(tokenizer, train, block), pack_documents(tokenizer, held, block)


def lm_loss(logits: torch.Tensor, ids: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Next-token cross-entropy; ``reduction="none"`` gives one loss per (row, position)."""
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction=reduction)
    return loss.view(ids.shape[0], -1) if reduction == "none" else loss


@torch.no_grad()
def loss_per_position(model: nn.Module, rows: torch.Tensor, batch: int = 32) -> torch.Tensor:
    """Mean held-out loss at each predicted position 1..T-1 (a vector of T-1 values)."""
    check_int("batch", batch, low=1)
    was = model.training
    model.train(False)
    device = next(model.parameters()).device
    out = torch.cat([lm_loss(model(rows[i:i + batch].to(device)), rows[i:i + batch].to(device), "none").cpu()
                     for i in range(0, len(rows), batch)])
    model.train(was)
    return out.mean(0)


def held_out_loss(model: nn.Module, rows: torch.Tensor, batch: int = 32) -> float:
    return loss_per_position(model, rows, batch).mean().item()


def train_lm(model: nn.Module, rows: torch.Tensor, *, steps: int, batch: int, lr: float, seed: int = 0,
             warmup: int = 0, weight_decay: float = 0.1, clip: float | None = 1.0, held: torch.Tensor | None = None,
             eval_every: int = 0, desc: str = "train", progress: bool = True):
    """AdamW on random rows (the same rows in the same order for a given ``seed``), linear
    warm-up over ``warmup`` steps then a constant rate. Returns ``utils.History``; with
    ``held`` its evaluations hold the held-out loss."""
    from .training import fit

    steps, batch = check_int("steps", steps, low=1), check_int("batch", batch, low=1)
    warmup = check_int("warmup", warmup, low=0)
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if not isinstance(rows, torch.Tensor) or rows.ndim != 2 or len(rows) < 1:
        raise ValueError(f"rows must be a non-empty (n, T) tensor of token ids, got {getattr(rows, 'shape', rows)!r}")
    device = next(model.parameters()).device
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=weight_decay)
    gen = torch.Generator().manual_seed(check_int("seed", seed, low=0))

    def step(i):
        for g in opt.param_groups:
            g["lr"] = lr * min(1.0, (i + 1) / warmup) if warmup else lr
        x = rows[torch.randint(len(rows), (batch,), generator=gen)].to(device)
        loss = lm_loss(model(x), x)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        return loss

    model.train()
    eval_fn = (lambda: {"held-out loss": held_out_loss(model, held)}) if held is not None else None
    return fit(step, steps, eval_fn=eval_fn, eval_every=eval_every, desc=desc, progress=progress)


__all__ = [
    "AblationConfig", "AblationLM", "Attention", "LatentAttention", "FFN", "Block", "make_norm",
    "rope_cos_sin", "rotate_half", "apply_rope", "alibi_slopes", "alibi_bias", "with_params",
    "corpus_rows", "lm_loss", "loss_per_position", "held_out_loss", "train_lm",
    "POSITIONS", "ATTENTIONS", "NORMS", "PLACEMENTS", "FFNS",
]
