"""The RLHF task of chapter 7: its starting chat model ``chatty``, its true score, and
the zoo's ``reward`` model.

**The starting model.** Real SFT data is written by many people, and some of them pad
their answers or end them rudely. ``chatty`` is ``sft`` fine-tuned a little further on
such demonstrations: the same training questions, answered right, but with a share of the
answers followed by filler and a stray fact (:func:`~utils.world.preferences.rambling_answer`)
or by a rude phrase (:func:`~utils.world.preferences.rude_answer`). Sampled, it does what
its data did: many of its answers ramble or are rude.

**The true score.** A program plays the labeller, :func:`true_score`: an answer scores 1
when it is right *and* concise *and* polite (:func:`utils.judge.judge_answer`), else 0.
The policy never sees it; the reward model learns it from pairs, and the chapter scores
every policy with it.

**The pairs.** As in the InstructGPT recipe, the labeller compares the model's *own*
answers: for each prompt, ``samples`` answers are drawn from ``chatty`` at temperature 1
(no top-k or top-p) and every distinct answer scoring 0 (up to ``max_pairs``) is paired
with one scoring 1. So the reward model learns the faults the policy actually has.

**Splits.** All problems come from the chat model's arithmetic (same digits and
operations) but none from its training set: ``rm`` prompts make the reward model's pairs,
``rl`` prompts are the RL prompts (no answers needed), ``test`` are the chat model's own
held-out problems, seen by nothing.

The reward model is the ``chatty`` decoder with its LM head replaced by a scalar head,
``AutoModelForSequenceClassification(num_labels=1)``; its score of a sequence is the
head's output at the last real token. Chapter 7's first notebook writes the loop of
:func:`train_reward` out and checks that it takes the same steps.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ._validate import check_int
from .profile import by_profile


MIX = {"ramble": 0.4, "rude": 0.2}   # shares of chatty's demonstrations that ramble / end rudely


def chatty_messages(task, rng: np.random.Generator) -> list[dict]:
    """One of ``chatty``'s demonstrations: the task's question, answered right, and with
    probabilities :data:`MIX` rambling on after the answer or ending rudely."""
    from .world.preferences import rambling_answer, rude_answer

    u = rng.random()
    answer = (rambling_answer(task, rng) if u < MIX["ramble"] else
              rude_answer(task, rng) if u < MIX["ramble"] + MIX["rude"] else task.answer)
    return [{"role": "user", "content": task.question}, {"role": "assistant", "content": answer}]


def build_chatty(model, tokenizer, profile: str | None = None, progress: bool = True) -> dict:
    """Fine-tune ``model`` (``sft``) in place on the mixed demonstrations; return the log."""
    from .sft import SFTConfig, encode_chat, sft_config, sft_splits, sft_train

    rng = np.random.default_rng(0)
    examples = [encode_chat(tokenizer, chatty_messages(t, rng)) for t in sft_splits(sft_config(profile))["train"]]
    cfg = by_profile(quick=SFTConfig(steps=80, lr=1e-3, warmup=5), full=SFTConfig(batch_size=64, steps=400, lr=3e-4, warmup=20),
                     profile=profile)
    log = sft_train(model, tokenizer, examples, cfg, progress=progress)
    log["mix"] = MIX
    return log


def build_chatty_entry(folder, profile: str) -> None:
    """The zoo's ``chatty`` entry."""
    from . import zoo

    zoo.fine_tune_entry(folder, profile, "sft", build_chatty)


def true_score(tasks: list, texts: list[str]) -> np.ndarray:
    """The labeller's verdict on each answer: 1.0 when it is right, concise and polite."""
    from .judge import judge_answers

    j = judge_answers(tasks, texts)
    return (j["correct"] & j["style"]).astype(np.float64)


@dataclass(frozen=True)
class RewardConfig:
    n_prompts: int = 600          # reward-model prompts, each sampled `samples` times
    samples: int = 4              # answers drawn per prompt (temperature 1, no filters)
    max_pairs: int = 2            # pairs kept per prompt (each wrong answer with a right one)
    max_new_tokens: int = 64
    batch_size: int = 16          # pairs per step (2 x batch_size sequences)
    steps: int = 60
    lr: float = 1e-4              # AdamW, constant
    grad_clip: float = 1.0
    eval_every: int = 10
    seed: int = 0


REWARD = {
    "quick": RewardConfig(),
    "full": RewardConfig(n_prompts=4000, samples=8, max_new_tokens=80, batch_size=64, steps=1500,
                         lr=3e-5, eval_every=100),
}


def reward_config(profile: str | None = None) -> RewardConfig:
    return by_profile(**REWARD, profile=profile)


def _check_cfg(cfg) -> RewardConfig:
    if not isinstance(cfg, RewardConfig):
        raise ValueError(f"cfg must be a RewardConfig, got {type(cfg).__name__}")
    return cfg


def rlhf_tasks(profile: str | None = None, n_rm: int | None = None) -> dict:
    """``{"rm", "rl", "test"}`` lists of arithmetic :class:`~utils.world.ChatTask` for the
    chat model of ``profile``: ``rm`` (the reward model's ``n_rm`` prompts, default the
    profile's ``n_prompts``) and ``rl`` (all other problems, shuffled) exclude every problem
    of the chat model's splits; ``test`` is the chat model's held-out arithmetic."""
    from .sft import sft_config, sft_splits
    from .world.instructions import arithmetic_tasks

    scfg = sft_config(profile)
    n_rm = check_int("n_rm", reward_config(profile).n_prompts if n_rm is None else n_rm, low=1)
    splits = sft_splits(scfg)
    used = {t.item for t in splits["train"] + splits["test"] if t.kind == "arithmetic"}
    pool = [t for t in arithmetic_tasks(scfg.digits, tuple(scfg.ops)) if t.item not in used]
    if n_rm >= len(pool):
        raise ValueError(f"n_rm must be below the {len(pool)} problems available, got {n_rm}")
    pool = [pool[i] for i in np.random.default_rng(1234).permutation(len(pool))]
    return {"rm": pool[:n_rm], "rl": pool[n_rm:], "test": [t for t in splits["test"] if t.kind == "arithmetic"]}


def sample_pairs(model, tokenizer, tasks: list, samples: int = 4, max_new_tokens: int = 48,
                 max_pairs: int = 2, seed: int = 0) -> list[dict]:
    """Preference pairs labelled by :func:`true_score` from the model's own samples: per
    task, ``samples`` answers at temperature 1; each distinct answer scoring 0 (up to
    ``max_pairs``) is paired with the first scoring 1 that closed its turn. Returns dicts with
    ``prompt`` (messages), ``chosen``, ``rejected`` (texts) and ``task``."""
    from .decoding import sample_responses

    if not isinstance(tasks, list) or not tasks:
        raise ValueError("tasks must be a non-empty list of ChatTask")
    samples = check_int("samples", samples, low=2)
    max_pairs = check_int("max_pairs", max_pairs, low=1)
    out = sample_responses(model, tokenizer, [t.prompt for t in tasks], n=samples,
                           max_new_tokens=max_new_tokens, seed=seed)
    flat_tasks = [t for t in tasks for _ in range(samples)]
    ok = true_score(flat_tasks, [r["text"] for rows in out for r in rows]).astype(bool).reshape(len(tasks), samples)
    pairs = []
    for task, rows, right in zip(tasks, out, ok):
        good = [r["text"] for r, o in zip(rows, right) if o and r["finished"]]
        bad = list(dict.fromkeys(r["text"] for r, o in zip(rows, right) if not o))
        if good:
            pairs += [{"prompt": task.prompt, "chosen": good[0], "rejected": b, "task": task} for b in bad[:max_pairs]]
    return pairs


def encode_response(tokenizer, prompt: list[dict], text: str) -> list[int]:
    """The ids a policy would have produced: the prompt with the assistant header, the
    response's tokens and the closing ``<|im_end|>``."""
    return _encode(tokenizer, prompt, text)[0]


def _encode(tokenizer, prompt: list[dict], text: str) -> tuple[list[int], int]:
    """:func:`encode_response`'s ids, and the length of the prompt part."""
    p = list(tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"])
    return p + tokenizer(text, add_special_tokens=False)["input_ids"] + [tokenizer.convert_tokens_to_ids("<|im_end|>")], len(p)


@torch.no_grad()
def answer_logprob(model, tokenizer, prompts: list[list[dict]], texts: list[str], batch: int = 128) -> np.ndarray:
    """The summed log-probability of each text as the assistant's reply to its prompt (the
    closing ``<|im_end|>`` included): chapter 7's likelihood judge. One right-padded forward
    per ``batch`` (prompt, text) pairs, in eval mode."""
    if not isinstance(prompts, list) or not isinstance(texts, list) or len(prompts) != len(texts) or not texts:
        raise ValueError(f"prompts and texts must be non-empty lists of the same length, got "
                         f"{len(prompts) if isinstance(prompts, list) else type(prompts).__name__} and "
                         f"{len(texts) if isinstance(texts, list) else type(texts).__name__}")
    batch = check_int("batch", batch, low=1)
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    out = []
    enc = [_encode(tokenizer, p, y) for p, y in zip(prompts, texts)]
    for i in range(0, len(enc), batch):
        chunk = enc[i:i + batch]
        starts = torch.tensor([n for _, n in chunk])
        ids, att = pad_right([e for e, _ in chunk], tokenizer.pad_token_id)
        logits = model(input_ids=ids.to(dev), attention_mask=att.to(dev)).logits[:, :-1].float().cpu()
        lp = torch.log_softmax(logits, -1).gather(-1, ids[:, 1:, None]).squeeze(-1)     # log p(token t+1 | ...)
        answer = (torch.arange(1, ids.shape[1])[None] >= starts[:, None]) & att[:, 1:].bool()
        out.append((lp * answer).sum(1))
    model.train(was)
    return torch.cat(out).numpy()


def encode_pairs(tokenizer, pairs: list[dict]) -> list[tuple[list[int], list[int]]]:
    """(chosen ids, rejected ids) of each pair of :func:`sample_pairs`."""
    return [(encode_response(tokenizer, p["prompt"], p["chosen"]), encode_response(tokenizer, p["prompt"], p["rejected"]))
            for p in pairs]


def pad_right(seqs: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad id lists into ``input_ids`` and ``attention_mask``."""
    if not seqs:
        raise ValueError("seqs must be a non-empty list of id lists")
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    att = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
        att[i, :len(s)] = 1
    return ids, att


def bradley_terry_loss(r_chosen: torch.Tensor, r_rejected: torch.Tensor) -> torch.Tensor:
    """Mean of ``-log sigmoid(r_chosen - r_rejected)``."""
    return -F.logsigmoid(r_chosen - r_rejected).mean()


def scores(rm, seqs: list[list[int]], pad_id: int) -> torch.Tensor:
    """The reward model's score of each sequence (one forward, with gradients)."""
    ids, att = pad_right(seqs, pad_id)
    dev = next(rm.parameters()).device
    return rm(input_ids=ids.to(dev), attention_mask=att.to(dev)).logits[:, 0]


@torch.no_grad()
def score_all(rm, seqs: list[list[int]], pad_id: int, batch: int = 128) -> torch.Tensor:
    """Scores of many sequences, in eval mode, on the CPU."""
    was = rm.training
    rm.eval()
    out = torch.cat([scores(rm, seqs[i:i + batch], pad_id).float().cpu() for i in range(0, len(seqs), batch)])
    rm.train(was)
    return out


def score_texts(rm, tokenizer, prompts: list[list[dict]], texts: list[str], batch: int = 128) -> np.ndarray:
    """The reward model's score of each text as the assistant's reply to its prompt
    (:func:`encode_response`, then :func:`score_all`)."""
    if not isinstance(prompts, list) or not isinstance(texts, list) or len(prompts) != len(texts) or not texts:
        raise ValueError("prompts and texts must be non-empty lists of the same length")
    seqs = [encode_response(tokenizer, p, y) for p, y in zip(prompts, texts)]
    return score_all(rm, seqs, tokenizer.pad_token_id, batch=batch).numpy()


def pair_accuracy(rm, encoded: list[tuple], pad_id: int) -> float:
    """Share of pairs whose chosen answer scores higher (ties count one half)."""
    if not encoded:
        raise ValueError("encoded must be a non-empty list of (chosen ids, rejected ids)")
    r = score_all(rm, [c for c, _ in encoded] + [x for _, x in encoded], pad_id)
    m = r[:len(encoded)] - r[len(encoded):]
    return ((m > 0).float() + 0.5 * (m == 0).float()).mean().item()


def reward_model_from(folder, pad_id: int, seed: int = 0):
    """A reward model initialised from the causal LM saved in ``folder``: its decoder,
    and a fresh scalar head (seeded)."""
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    pad_id = check_int("pad_id", pad_id, low=0)
    torch.manual_seed(check_int("seed", seed, low=0))
    level = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()   # "score.weight newly initialised" is the point
    try:
        rm = AutoModelForSequenceClassification.from_pretrained(folder, num_labels=1, pad_token_id=pad_id,
                                                                attn_implementation="eager")
    finally:
        hf_logging.set_verbosity(level)
    return rm.float()


def train_reward(rm, pad_id: int, train: list[tuple], cfg: RewardConfig, test: list[tuple] | None = None,
                 steps: int | None = None, progress: bool = True) -> dict:
    """Bradley-Terry training of ``rm`` on encoded pairs: ``cfg.batch_size`` pairs a step,
    drawn without replacement within the step from a generator seeded with ``cfg.seed``;
    AdamW at a constant rate, gradient norm clipped. Returns the log: every step's loss,
    and (with ``test``) held-out pair accuracy at step 0 and every ``cfg.eval_every``."""
    from tqdm.auto import tqdm

    cfg = _check_cfg(cfg)
    steps = cfg.steps if steps is None else check_int("steps", steps, low=1)
    if len(train) < cfg.batch_size:
        raise ValueError(f"train must hold at least batch_size={cfg.batch_size} pairs, got {len(train)}")
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    opt = torch.optim.AdamW(rm.parameters(), lr=cfg.lr, weight_decay=0.0)
    log = {"losses": [], "eval_steps": [], "accuracy": []}
    if test:
        log["eval_steps"].append(0), log["accuracy"].append(pair_accuracy(rm, test, pad_id))
    rm.train()
    t0 = time.time()
    for step in tqdm(range(1, steps + 1), desc="reward model", disable=not progress):
        idx = rng.choice(len(train), cfg.batch_size, replace=False)
        r = scores(rm, [train[i][0] for i in idx] + [train[i][1] for i in idx], pad_id)
        loss = bradley_terry_loss(r[:cfg.batch_size], r[cfg.batch_size:])
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(rm.parameters(), cfg.grad_clip)
        opt.step()
        log["losses"].append(loss.item())
        if test and step % cfg.eval_every == 0:
            log["eval_steps"].append(step), log["accuracy"].append(pair_accuracy(rm, test, pad_id))
    log["seconds"] = time.time() - t0
    rm.eval()
    return log


def build_zoo_entry(folder, profile: str) -> None:
    """The zoo's ``reward`` entry: pairs sampled from ``chatty`` on the ``rm`` prompts (and,
    for the log, on the ``test`` prompts), labelled by the program, then Bradley-Terry on
    ``chatty``'s decoder with a fresh scalar head."""
    import json

    from . import zoo
    from .profile import get_device

    cfg = reward_config(profile)
    tok = zoo.load("tokenizer")
    chatty = zoo.load("chatty", profile=profile).to(get_device())
    tasks = rlhf_tasks(profile)
    t0 = time.time()
    train_pairs = sample_pairs(chatty, tok, tasks["rm"], cfg.samples, cfg.max_new_tokens, cfg.max_pairs, seed=cfg.seed)
    test_pairs = sample_pairs(chatty, tok, tasks["test"], cfg.samples, cfg.max_new_tokens, cfg.max_pairs, seed=cfg.seed + 1)
    sample_s = time.time() - t0
    rm = reward_model_from(zoo.path("chatty", profile=profile), tok.pad_token_id, seed=cfg.seed).to(get_device())
    log = train_reward(rm, tok.pad_token_id, encode_pairs(tok, train_pairs), cfg, test=encode_pairs(tok, test_pairs))
    log.update(config=asdict(cfg), n_train_pairs=len(train_pairs), n_test_pairs=len(test_pairs), sampling_seconds=sample_s)
    zoo.save_model(folder, rm, tok, log)
    def plain(pairs):   # ChatTask objects do not go to JSON; each prompt holds its question
        return [{k: v for k, v in p.items() if k != "task"} for p in pairs]

    (folder / PAIRS).write_text(json.dumps({"train": plain(train_pairs), "test": plain(test_pairs)}))


PAIRS = "pairs.json"


def zoo_pairs(profile: str | None = None) -> tuple[list[dict], list[dict]]:
    """The (train, test) preference pairs the zoo's ``reward`` entry was trained and
    evaluated on (``prompt``, ``chosen``, ``rejected``), building the entry if needed."""
    import json

    from . import zoo

    data = json.loads((zoo.path("reward", profile=profile) / PAIRS).read_text())
    return data["train"], data["test"]
