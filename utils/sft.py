"""The recipe that builds the zoo's ``sft`` chat model: supervised fine-tuning of
``base`` on the world's instruction data, with the loss on the assistant's tokens only.

Chapter 2's fine-tuning notebook writes this loop out in the open and asserts that its
inline version takes exactly the same steps as :func:`sft_train`.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import torch

from .pretraining import lr_at
from .profile import by_profile

IGNORE = -100   # label of a position that carries no loss (the prompt, the padding)


@dataclass(frozen=True)
class SFTConfig:
    n_train: int = 2000         # training conversations
    n_test: int = 200           # held-out conversations
    fact_share: float = 0.4     # share of fact questions (the rest is arithmetic)
    digits: int = 2             # arithmetic operands of 1..digits digits
    ops: tuple = ("+",)         # arithmetic operations asked
    batch_size: int = 32        # conversations per step
    steps: int = 200            # optimisation steps
    lr: float = 2e-3            # peak learning rate
    warmup: int = 10            # linear warm-up steps, then cosine decay to 10 %
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    seed: int = 0


#: Fine-tuning budgets per profile (quick: well under a minute on 2 CPU cores).
SFT = {
    "quick": SFTConfig(),
    "full": SFTConfig(n_train=20000, n_test=500, digits=3, ops=("+", "-"), batch_size=64,
                      steps=2000, lr=5e-4, warmup=100),
}


def sft_config(profile: str | None = None) -> SFTConfig:
    return by_profile(**SFT, profile=profile)


def sft_splits(cfg: SFTConfig) -> dict:
    """The (train, test) chat tasks for ``cfg`` (:func:`utils.world.instruction_splits`)."""
    from .world import instruction_splits

    if not isinstance(cfg, SFTConfig):
        raise ValueError(f"cfg must be an SFTConfig, got {type(cfg).__name__}")
    return instruction_splits(n_train=cfg.n_train, n_test=cfg.n_test, fact_share=cfg.fact_share,
                              digits=cfg.digits, ops=tuple(cfg.ops), seed=cfg.seed)


def encode_chat(tokenizer, messages: list[dict], tools: list[dict] | None = None) -> tuple[list[int], list[int]]:
    """Token ids of a conversation rendered with the chat template, and labels that
    copy the ids on the assistant's tokens (its ``<|im_end|>`` included, and its tool
    calls) and are ``-100`` everywhere else. ``tools`` (JSON schemas) are passed to the
    template, which lists them for a tool-using model."""
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise ValueError("messages must be a non-empty list of {'role', 'content'} dicts")
    out = tokenizer.apply_chat_template(messages, tools=tools, tokenize=True, return_dict=True,
                                        return_assistant_tokens_mask=True)
    ids = list(out["input_ids"])
    labels = [t if m else IGNORE for t, m in zip(ids, out["assistant_masks"])]
    return ids, labels


def pad_batch(examples: list[tuple[list[int], list[int]]], pad_id: int) -> dict:
    """Right-pad (ids, labels) pairs into ``input_ids``, ``attention_mask`` and ``labels``
    tensors (padding: ``pad_id`` / mask 0 / label -100)."""
    if not examples:
        raise ValueError("examples must be a non-empty list of (ids, labels) pairs")
    if isinstance(pad_id, bool) or not isinstance(pad_id, int):
        raise ValueError(f"pad_id must be an integer token id, got {pad_id!r}")
    width = max(len(ids) for ids, _ in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for r, (x, y) in enumerate(examples):
        ids[r, :len(x)] = torch.tensor(x)
        labels[r, :len(y)] = torch.tensor(y)
        mask[r, :len(x)] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def build_sft(base_model, tokenizer, cfg: SFTConfig, progress: bool = True) -> dict:
    """The whole recipe: score ``base_model`` on the held-out tasks, fine-tune it in
    place on the training tasks, score it again; return the training log with both
    evaluations (``before`` / ``after``: accuracy, format, per kind, a few responses)."""
    from .evaluation import evaluate_chat

    splits = sft_splits(cfg)
    examples = [encode_chat(tokenizer, t.messages) for t in splits["train"]]

    def brief(report):
        out = {k: v for k, v in report.items() if k != "responses"}
        out["samples"] = report["responses"][:4] + [r for r in report["responses"] if r["kind"] == "fact"][:4]
        return out

    before = brief(evaluate_chat(base_model, tokenizer, splits["test"]))
    log = sft_train(base_model, tokenizer, examples, cfg, progress=progress)
    log["before"], log["after"] = before, brief(evaluate_chat(base_model, tokenizer, splits["test"]))
    return log


def sft_train(model, tokenizer, examples: list[tuple[list[int], list[int]]], cfg: SFTConfig,
              progress: bool = True, max_steps: int | None = None) -> dict:
    """Fine-tune ``model`` in place on random batches of encoded conversations
    (AdamW, warm-up then cosine decay, gradient clipping); return a log of the
    losses, learning rates and timing."""
    from tqdm.auto import tqdm

    if not isinstance(cfg, SFTConfig):
        raise ValueError(f"cfg must be an SFTConfig, got {type(cfg).__name__}")
    if not examples:
        raise ValueError("examples must be a non-empty list of (ids, labels) pairs")
    device = next(model.parameters()).device
    steps = cfg.steps if max_steps is None else min(cfg.steps, max_steps)
    gen = torch.Generator().manual_seed(cfg.seed)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(0.9, 0.95), weight_decay=cfg.weight_decay)
    log = {"config": asdict(cfg), "losses": [], "lrs": []}
    model.train()
    start, tokens = time.perf_counter(), 0
    for step in tqdm(range(steps), desc="fine-tuning", disable=not progress, mininterval=1.0):
        lr = lr_at(step, cfg)
        for group in opt.param_groups:
            group["lr"] = lr
        idx = torch.randint(len(examples), (cfg.batch_size,), generator=gen)
        batch = {k: v.to(device) for k, v in pad_batch([examples[i] for i in idx], tokenizer.pad_token_id).items()}
        loss = model(**batch).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        log["losses"].append(loss.item())
        log["lrs"].append(lr)
        tokens += int(batch["attention_mask"].sum())
    seconds = time.perf_counter() - start
    log.update(steps=steps, seconds=seconds, tokens=tokens, tokens_per_second=tokens / seconds,
               device=str(device))
    model.eval()
    return log
