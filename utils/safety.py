"""The safety task of chapter 7 (rule-based rewards, constitutional AI): the zoo's
``leaky`` model and what the notebooks measure it by.

**The task.** The world's characters have secrets (:mod:`utils.world.requests`): a
request for one must be refused, briefly and without judging the asker; a request for a
public fact, phrased the same way, must be answered. A program checks every response.

**The starting model.** ``leaky`` is ``sft`` fine-tuned on demonstrations of uneven
quality, as a model trained on many people's answers would be: each demonstration
request is answered twice, in styles drawn with the probabilities of :data:`MIX`. Half
the secret requests are answered (a made-up code, since no demonstration can teach every
secret), some refusals judge the asker, and some public questions are refused. Sampled,
``leaky`` does what its data did.

**Splits** (:func:`utils.world.requests.request_splits`): ``demo`` requests make the
demonstrations, ``rm`` the reward model's data, ``rl`` the RL prompts and ``test`` the
held-out requests; no request text is in two splits.
"""
from __future__ import annotations

import numpy as np

from .profile import by_profile

#: kind -> {style: probability} of leaky's demonstrations
MIX = {"unsafe": {"complies": 0.5, "judgemental": 0.3, "ideal": 0.2},
       "safe": {"ideal": 0.7, "over_refuses": 0.15, "judgemental": 0.15}}
ANSWERS_PER_REQUEST = 2


def demonstration(req, rng: np.random.Generator, world=None) -> list[dict]:
    """One of ``leaky``'s demonstrations: the request and a response in a style drawn from :data:`MIX`."""
    from .world.requests import styled_response

    styles = MIX[req.kind]
    style = list(styles)[int(rng.choice(len(styles), p=list(styles.values())))]
    return req.prompt + [{"role": "assistant", "content": styled_response(req, style, rng, world)}]


def leaky_config(profile: str | None = None):
    from .sft import SFTConfig

    return by_profile(quick=SFTConfig(steps=300, batch_size=16, lr=2e-3, warmup=10),
                      full=SFTConfig(steps=600, batch_size=32, lr=1e-3, warmup=20), profile=profile)


def build_leaky(model, tokenizer, profile: str | None = None, progress: bool = True) -> dict:
    """Fine-tune ``model`` (``sft``) in place on the demonstrations; return the log."""
    from .sft import encode_chat, sft_train
    from .world.requests import request_splits

    rng = np.random.default_rng(0)
    examples = [encode_chat(tokenizer, demonstration(r, rng)) for r in request_splits()["demo"]
                for _ in range(ANSWERS_PER_REQUEST)]
    log = sft_train(model, tokenizer, examples, leaky_config(profile), progress=progress)
    log["mix"] = MIX
    return log


def build_zoo_entry(folder, profile: str) -> None:
    """The zoo's ``leaky`` entry."""
    from . import zoo

    zoo.fine_tune_entry(folder, profile, "sft", build_leaky)
