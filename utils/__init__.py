"""The book's shared plumbing: profiles and devices, the data world, the tokenizer,
model factories, the model zoo, a training-loop helper and plotting style.

Every algorithm the book teaches is written in its notebook; this package holds only
what many notebooks share. ``import utils`` imports torch (for profiles and devices)
and nothing heavier; the other submodules (``world``, ``zoo``, ``tokenizer``, ``models``,
``pretraining``, ``sft``, ``dpo``, ``judge``, ``evaluation``, ``decoding``, ``cot``, ``rag``, ``tool_use``,
``reward``, ``safety``, ``rlhf``, ``grpo``, ``best_of_n``, ``uct``, ``games``, ``ablation``, ``memory``,
``distributed``, ``rl``) are imported on first use, as ``utils.zoo`` or ``from utils.sft import ...``.
"""
from __future__ import annotations

import importlib
import logging

# transformers imports torchao when it is installed (chapter 9's quantisation referee); on a
# CPU-only torch, torchao logs that its CUDA kernels cannot load, and torch's pytree module
# logs a deprecation that torchao triggers. Neither concerns the book's pages.
for _name in ("torchao", "torch.utils._pytree"):
    logging.getLogger(_name).setLevel(logging.ERROR)

from .plotting import INK, PALETTE, explore, plot_curves, smooth, training_panels, use_book_style
from .profile import PROFILE_ENV, by_profile, get_device, get_profile, seed_everything, setup
from .training import History, fit, warmup_cosine

__all__ = [
    "PALETTE", "INK", "explore", "plot_curves", "smooth", "training_panels", "use_book_style",
    "PROFILE_ENV", "by_profile", "get_device", "get_profile", "seed_everything", "setup",
    "History", "fit", "warmup_cosine", "load", "info",
]

_LAZY = {"world", "tokenizer", "models", "zoo", "pretraining", "sft", "dpo", "judge", "evaluation", "rl",
         "decoding", "cot", "rag", "tool_use", "reward", "safety", "rlhf", "grpo", "best_of_n", "uct", "games",
         "ablation", "memory", "distributed", "benchmark"}


def load(name: str, **kwargs):
    """Shortcut for :func:`utils.zoo.load`: ``utils.load("base")``."""
    from .zoo import load as _load

    return _load(name, **kwargs)


def __getattr__(name: str):
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'utils' has no attribute {name!r}")


def info(name: str, **kwargs) -> dict:
    """Shortcut for :func:`utils.zoo.info`: how a zoo entry was built (manifest and training log)."""
    from .zoo import info as _info

    return _info(name, **kwargs)
