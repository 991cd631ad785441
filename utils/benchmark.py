"""The multiple-choice benchmark of the world's facts, as ``09-extended/10-evaluation`` builds
and scores it (that notebook writes each piece out and asserts it equals this module):

    bench = mc_benchmark(World(seed=0), seed=0)             # items, few-shot prompt, held-out mask
    right = mc_correct(model, tok, bench)                   # {"letter", "sum", "normalised"}: bool per item
    low, high = wilson(int(right["sum"].sum()), len(right["sum"]))

One question per fact (minus the few-shot examples), the right object among ``n_options - 1``
wrong ones of the same kind in a seeded order. An option is scored by the log-likelihood of the
answer sentence that states it after the prompt (``sum``, or ``normalised`` by its length in
tokens), or by the next-token probability of its letter (``letter``).
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ._validate import check_int

Z95 = 1.959963984540054   # 95% two-sided normal quantile


def mc_benchmark(world, seed: int = 0, n_options: int = 4, n_shots: int = 2) -> dict:
    """The benchmark's ``items`` (dicts: ``fact``, ``options``, ``answer`` index, ``held_out``),
    the ``shots`` put in front of every question and their text ``few_shot``, the option
    ``letters`` and the ``prompts`` (few-shot text + question), in item order."""
    from .world.cast import POOLS

    seed = check_int("seed", seed, low=0)
    n_options = check_int("n_options", n_options, low=2, high=min(len(p) for p in POOLS.values()))
    n_shots = check_int("n_shots", n_shots, low=0)
    rng = np.random.default_rng(seed)
    letters = "ABCDEFGH"[:n_options]
    held_out = set(world.held_out_facts)
    items = []
    for fact in world.facts:
        wrong = [o for o in POOLS[fact.relation] if o != fact.object]
        options = [fact.object] + list(rng.choice(wrong, n_options - 1, replace=False))
        options = [options[i] for i in rng.permutation(n_options)]
        items.append({"fact": fact, "options": options, "answer": options.index(fact.object),
                      "held_out": fact in held_out})
    seen = [it for it in items if not it["held_out"]]
    shots = seen[::len(seen) // n_shots][:n_shots] if n_shots else []
    items = [it for it in items if all(it is not s for s in shots)]
    few_shot = "".join(mc_block(s, letters, with_answer=True) for s in shots)
    return {"items": items, "shots": shots, "few_shot": few_shot, "letters": letters,
            "prompts": [few_shot + mc_block(it, letters, with_answer=False) for it in items],
            "held_out": np.array([it["held_out"] for it in items])}


def mc_block(item: dict, letters: str, with_answer: bool) -> str:
    """One question with its lettered options, ending in ``Answer:`` (and the answer sentence)."""
    f = item["fact"]
    text = f"Question: {f.question}\n" + "".join(f"{L}. {o}\n" for L, o in zip(letters, item["options"])) + "Answer:"
    return text + (" " + f.sentence + "\n\n" if with_answer else "")


def answer_sentence(item: dict, option: str) -> str:
    """The continuation that states ``option`` as the answer (with its leading space)."""
    from .world.cast import RELATIONS

    f = item["fact"]
    return " " + RELATIONS[f.relation][0].format(s=f.subject, o=option)


@torch.no_grad()
def continuation_logprobs(model, tokenizer, contexts: list[str], continuations: list[str],
                          batch: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Sum of log p(continuation tokens | context) and the number of continuation tokens,
    per (context, continuation) pair; plain text, no chat template."""
    if not isinstance(contexts, list) or not isinstance(continuations, list) or len(contexts) != len(continuations) \
            or not contexts:
        raise ValueError("contexts and continuations must be non-empty lists of the same length")
    from .reward import pad_right

    batch = check_int("batch", batch, low=1)
    device = next(model.parameters()).device
    pairs = [(tokenizer(c)["input_ids"], tokenizer(x)["input_ids"]) for c, x in zip(contexts, continuations)]
    out_sum, out_len = [], []
    for start in range(0, len(pairs), batch):
        chunk = pairs[start:start + batch]
        ids, mask = pad_right([a + b for a, b in chunk], tokenizer.pad_token_id)
        starts = torch.tensor([len(a) for a, _ in chunk])
        cont = (torch.arange(ids.shape[1])[None] >= starts[:, None]) & mask.bool()   # the continuation's tokens
        logp = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits[:, :-1].float().log_softmax(-1).cpu()
        token_lp = logp.gather(-1, ids[:, 1:, None])[..., 0] * cont[:, 1:]      # position t predicts token t+1
        out_sum += token_lp.sum(1).tolist()
        out_len += cont[:, 1:].sum(1).tolist()
    return np.array(out_sum), np.array(out_len)


@torch.no_grad()
def letter_choice(model, tokenizer, prompts: list[str], letters: str, batch: int = 64) -> np.ndarray:
    """The option letter (its index) with the highest next-token probability after each prompt."""
    from .reward import pad_right

    device = next(model.parameters()).device
    letter_ids = [tokenizer(" " + L)["input_ids"][0] for L in letters]
    choice = []
    for start in range(0, len(prompts), batch):
        enc = [tokenizer(p)["input_ids"] for p in prompts[start:start + batch]]
        ids, mask = pad_right(enc, tokenizer.pad_token_id)
        logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits.cpu()
        last = logits[torch.arange(len(enc)), torch.tensor([len(e) - 1 for e in enc])]
        choice += last[:, letter_ids].argmax(-1).tolist()
    return np.array(choice)


def mc_correct(model, tokenizer, bench: dict, batch: int = 64) -> dict[str, np.ndarray]:
    """Whether each item of ``bench`` (:func:`mc_benchmark`) is answered right, by each scoring:
    ``letter``, ``sum`` and ``normalised``."""
    if not isinstance(bench, dict) or not {"items", "prompts", "letters"} <= set(bench):
        raise ValueError("bench must be the dict mc_benchmark returns")
    items, k = bench["items"], len(bench["letters"])
    ctx = [p for p in bench["prompts"] for _ in range(k)]
    cont = [answer_sentence(it, o) for it in items for o in it["options"]]
    lp, n = continuation_logprobs(model, tokenizer, ctx, cont, batch)
    lp, n = lp.reshape(len(items), k), n.reshape(len(items), k)
    gold = np.array([it["answer"] for it in items])
    return {"letter": letter_choice(model, tokenizer, bench["prompts"], bench["letters"], batch) == gold,
            "sum": lp.argmax(1) == gold, "normalised": (lp / n).argmax(1) == gold}


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion ``k / n`` (95% by default)."""
    n = check_int("n", n, low=1)
    k = check_int("k", k, low=0, high=n)
    p = k / n
    centre, half = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - half) / (1 + z * z / n), (centre + half) / (1 + z * z / n)
