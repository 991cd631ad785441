"""The recipe that builds the zoo's ``base`` model: next-token pre-training on the
world's corpus.

Chapter 1's pre-training notebook writes this loop out in the open and asserts that
its inline version takes exactly the same steps as :func:`pretrain`.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import torch

from ._validate import check_int
from .profile import by_profile


@dataclass(frozen=True)
class PretrainConfig:
    n_docs: int = 8000          # documents generated for the corpus
    held_out: float = 0.05      # fraction of documents kept for evaluation
    block_size: int = 128       # tokens per training row
    batch_size: int = 32        # rows per step
    steps: int = 180            # optimisation steps
    lr: float = 3e-3            # peak learning rate
    warmup: int = 20            # linear warm-up steps, then cosine decay to 10 %
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    eval_every: int = 30
    seed: int = 0


#: Pre-training budgets per profile (quick: about a minute on 2 CPU cores).
PRETRAIN = {
    "quick": PretrainConfig(),
    "full": PretrainConfig(n_docs=60000, block_size=256, batch_size=64, steps=3000, lr=1e-3,
                           warmup=100, eval_every=250),
}


def pretrain_config(profile: str | None = None) -> PretrainConfig:
    return by_profile(**PRETRAIN, profile=profile)


def pack_documents(tokenizer, docs: list[str], block_size: int) -> torch.Tensor:
    """Tokenise documents, join them with the end-of-text token and cut the stream
    into rows of ``block_size`` tokens (the tail that does not fill a row is dropped)."""
    if not isinstance(block_size, int) or block_size < 2:
        raise ValueError(f"block_size must be an integer >= 2, got {block_size!r}")
    if not docs:
        raise ValueError("docs must be a non-empty list of strings")
    ids = tokenizer([d + tokenizer.eos_token for d in docs])["input_ids"]
    stream = torch.tensor([t for row in ids for t in row], dtype=torch.long)
    n = len(stream) // block_size
    if n == 0:
        raise ValueError(f"the documents hold {len(stream)} tokens, fewer than one block of {block_size}")
    return stream[: n * block_size].view(n, block_size)


def lr_at(step: int, cfg: PretrainConfig) -> float:
    """Linear warm-up to ``cfg.lr``, then cosine decay to a tenth of it."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    t = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, t))))


def corpus_blocks(tokenizer, cfg: PretrainConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """(train, held-out) token blocks of the world's corpus for ``cfg``."""
    from .world import pretraining_corpus, split_corpus

    docs = pretraining_corpus(cfg.n_docs, seed=cfg.seed)
    train, held = split_corpus(docs, cfg.held_out, seed=cfg.seed)
    return pack_documents(tokenizer, train, cfg.block_size), pack_documents(tokenizer, held, cfg.block_size)


@torch.no_grad()
def held_out_loss(model, blocks: torch.Tensor, batch_size: int = 64) -> float:
    """Mean next-token cross-entropy (nats per token) over the blocks."""
    if not isinstance(blocks, torch.Tensor) or blocks.ndim != 2 or blocks.shape[0] < 1 or blocks.shape[1] < 2:
        raise ValueError("blocks must be a 2-D tensor of token ids with at least one row of two or more tokens, "
                         f"got {getattr(blocks, 'shape', type(blocks).__name__)}")
    batch_size = check_int("batch_size", batch_size, low=1)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    total, count = 0.0, 0
    for i in range(0, len(blocks), batch_size):
        x = blocks[i: i + batch_size].to(device)
        logits = model(input_ids=x).logits[:, :-1].float()
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.size(-1)), x[:, 1:].reshape(-1), reduction="sum")
        total += loss.item()
        count += x[:, 1:].numel()
    model.train(was_training)
    return total / count


def pretrain(model, train_blocks: torch.Tensor, cfg: PretrainConfig, held_blocks: torch.Tensor | None = None,
             progress: bool = True, max_steps: int | None = None) -> dict:
    """Pre-train ``model`` in place on random rows of ``train_blocks``; return a log
    (losses, evaluations, tokens/s, achieved FLOP/s)."""
    from tqdm.auto import tqdm

    from .models import count_parameters

    if not isinstance(cfg, PretrainConfig):
        raise ValueError(f"cfg must be a PretrainConfig (utils.pretraining.pretrain_config()), got {type(cfg).__name__}")
    if max_steps is not None:
        max_steps = check_int("max_steps", max_steps, low=1)
    if not isinstance(train_blocks, torch.Tensor) or train_blocks.ndim != 2 or len(train_blocks) < 1:
        raise ValueError(f"train_blocks must be a non-empty 2-D tensor of token ids, "
                         f"got {getattr(train_blocks, 'shape', type(train_blocks).__name__)}")
    device = next(model.parameters()).device
    steps = cfg.steps if max_steps is None else min(cfg.steps, max_steps)
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.95),
                            weight_decay=cfg.weight_decay)
    log = {"config": asdict(cfg), "losses": [], "lrs": [], "evals": []}
    model.train()
    if held_blocks is not None:
        log["evals"].append((0, held_out_loss(model, held_blocks)))
    start = time.perf_counter()
    eval_seconds = 0.0
    for step in tqdm(range(steps), desc="pre-training", disable=not progress, mininterval=1.0):
        lr = lr_at(step, cfg)
        for group in opt.param_groups:
            group["lr"] = lr
        idx = torch.randint(len(train_blocks), (cfg.batch_size,), generator=gen)
        x = train_blocks[idx].to(device)
        loss = model(input_ids=x, labels=x).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        log["losses"].append(loss.item())
        log["lrs"].append(lr)
        if held_blocks is not None and ((step + 1) % cfg.eval_every == 0 or step + 1 == steps):
            t0 = time.perf_counter()
            log["evals"].append((step + 1, held_out_loss(model, held_blocks)))
            eval_seconds += time.perf_counter() - t0
    seconds = time.perf_counter() - start - eval_seconds
    tokens = steps * cfg.batch_size * cfg.block_size
    n_params = count_parameters(model)
    log.update(steps=steps, seconds=seconds, tokens=tokens, tokens_per_second=tokens / seconds,
               parameters=n_params,
               # 6 N FLOPs per token for forward + backward of the weights (attention scores excluded)
               flops_per_second=6 * n_params * tokens / seconds, device=str(device))
    model.eval()
    return log
