"""Best-of-N plumbing that chapters 4 and 8 share: the held-out additions the chat model
``sft`` never saw, N sampled traces per problem with their checks, their log-likelihood
under a model, continuations sampled from a trace's prefix, and accuracy against N from
random sub-samples of the N_max samples drawn once.

    problems = heldout_additions(sft_config(profile), 40, np.random.default_rng(seed))
    s = sample_traces(sft, tok, problems, n=64, temperature=0.8, seed=seed)
    s["correct"]        # (P, N) bool: the sampled trace's final answer is right
    curve = accuracy_vs_n(s["answers"], truth, [1, 2, 4], scores=logp, n_subsets=20, seed=0)

Chapter 8's first notebook writes the vote, best-of-N and oracle of
:func:`accuracy_vs_n` out and checks that they agree with this module.
"""
from __future__ import annotations

import numpy as np
import torch

from ._validate import check_int
from .cot import majority_vote
from .world.arithmetic import Problem, check_trace, parse_answer


def heldout_additions(cfg, n: int, rng: np.random.Generator, min_operand: int = 10) -> list[Problem]:
    """``n`` additions (operands of 1..``cfg.digits`` digits, the larger at least
    ``min_operand``) that ``sft``'s fine-tuning set of ``cfg`` (an
    :class:`~utils.sft.SFTConfig`) never showed, drawn without replacement with ``rng``
    (which it advances by one ``choice`` call)."""
    from .sft import SFTConfig, sft_splits
    from .world.instructions import arithmetic_tasks

    if not isinstance(cfg, SFTConfig):
        raise ValueError(f"cfg must be an SFTConfig, got {type(cfg).__name__}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, got {type(rng).__name__}")
    n = check_int("n", n, low=1)
    min_operand = check_int("min_operand", min_operand, low=0)
    seen = {t.item for t in sft_splits(cfg)["train"] if t.kind == "arithmetic"}
    pool = [t.item for t in arithmetic_tasks(cfg.digits, ("+",))
            if t.item not in seen and max(t.item.a, t.item.b) >= min_operand]
    if n > len(pool):
        raise ValueError(f"n must be at most the {len(pool)} held-out additions, got {n}")
    return [pool[i] for i in rng.choice(len(pool), n, replace=False)]


def prompt_of(problem: Problem) -> list[dict]:
    """The chat prompt that asks ``problem`` (as the fine-tuning set asked it)."""
    from .world.instructions import ChatTask

    if not isinstance(problem, Problem):
        raise ValueError(f"problem must be a Problem, got {type(problem).__name__}")
    return ChatTask("arithmetic", problem).prompt


def _check_problems(problems) -> list[Problem]:
    if not isinstance(problems, list) or not problems or not all(isinstance(p, Problem) for p in problems):
        raise ValueError("problems must be a non-empty list of Problem")
    return problems


def sample_traces(model, tokenizer, problems: list[Problem], n: int, temperature: float,
                  max_new_tokens: int = 48, seed: int = 0, rows_per_call: int = 1024) -> dict:
    """``n`` traces per problem sampled at ``temperature`` (no top-k/top-p) with
    :func:`utils.decoding.sample_responses`, and what a program reads off them.

    Returns ``texts`` (P lists of n strings), ``answers`` (P lists of n ints or ``None``),
    ``correct`` and ``finished`` ((P, n) bool arrays), ``n_tokens`` ((P, n) ints)."""
    from .decoding import sample_responses

    problems = _check_problems(problems)
    n = check_int("n", n, low=1)
    rows_per_call = check_int("rows_per_call", rows_per_call, low=1)
    out = sample_responses(model, tokenizer, [prompt_of(p) for p in problems], n=n, temperature=temperature,
                           max_new_tokens=max_new_tokens, batch_size=max(1, rows_per_call // n), seed=seed)
    texts = [[r["text"] for r in rows] for rows in out]
    answers = [[parse_answer(t) for t in row] for row in texts]
    return {"texts": texts, "answers": answers,
            "correct": np.array([[a == p.answer for a in row] for row, p in zip(answers, problems)]),
            "finished": np.array([[r["finished"] for r in rows] for rows in out]),
            "n_tokens": np.array([[r["n_tokens"] for r in rows] for rows in out])}


def response_ids(tokenizer, problem: Problem, text: str, close: bool = True) -> tuple[list[int], int]:
    """The token ids of ``problem``'s prompt (with the assistant header) followed by the
    response ``text`` (and ``<|im_end|>`` when ``close``), and the prompt's length."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    p = list(tokenizer.apply_chat_template(prompt_of(problem), add_generation_prompt=True, tokenize=True,
                                           return_dict=True)["input_ids"])
    r = tokenizer(text, add_special_tokens=False)["input_ids"]
    return p + list(r) + ([tokenizer.convert_tokens_to_ids("<|im_end|>")] if close else []), len(p)


def sequence_logprob(model, tokenizer, problems: list[Problem], texts: list[str], batch: int = 256) -> np.ndarray:
    """Each response's log-likelihood under ``model``, ``sum_t log p(y_t | x, y_<t)`` over
    its tokens and the closing ``<|im_end|>``: :func:`utils.reward.answer_logprob` on the
    problems' prompts."""
    from .reward import answer_logprob

    problems = _check_problems(problems)
    if not isinstance(texts, list) or len(texts) != len(problems):
        raise ValueError("texts must be a list of strings, one per problem")
    return answer_logprob(model, tokenizer, [prompt_of(p) for p in problems], texts, batch=batch)


def rollout_answers(model, tokenizer, problems: list[Problem], prefixes: list[str], k: int, temperature: float = 1.0,
                    max_new_tokens: int = 40, seed: int = 0, rows_per_call: int = 1024) -> list[list]:
    """``k`` continuations of each partial trace ``prefixes[i]`` of ``problems[i]``
    sampled at ``temperature``; returns the final answer each one reaches (``None`` for
    none), P lists of k."""
    from .evaluation import _stop_ids, left_pad

    problems = _check_problems(problems)
    if not isinstance(prefixes, list) or len(prefixes) != len(problems):
        raise ValueError("prefixes must be a list of strings, one per problem")
    k = check_int("k", k, low=1)
    torch.manual_seed(check_int("seed", seed, low=0))
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    enc = [response_ids(tokenizer, p, t, close=False)[0] for p, t in zip(problems, prefixes)]
    per_call = max(1, rows_per_call // k)
    out = []
    for i in range(0, len(enc), per_call):
        ids, att = left_pad(enc[i:i + per_call], tokenizer.pad_token_id)
        with torch.no_grad():
            gen = model.generate(input_ids=ids.to(dev), attention_mask=att.to(dev), do_sample=True, top_k=0,
                                 temperature=temperature, max_new_tokens=max_new_tokens, num_return_sequences=k,
                                 eos_token_id=_stop_ids(tokenizer), pad_token_id=tokenizer.pad_token_id)
        texts = tokenizer.batch_decode(gen[:, ids.shape[1]:].cpu(), skip_special_tokens=True)
        for j in range(len(texts) // k):
            pre = prefixes[i + j]
            out.append([parse_answer(pre + t) for t in texts[j * k:(j + 1) * k]])
    model.train(was)
    return out


def accuracy_vs_n(answers: list[list], truth, ns: list[int], scores: dict | None = None, n_subsets: int = 20,
                  seed: int = 0) -> dict:
    """Accuracy with N of the N_max samples per problem, averaged over ``n_subsets``
    random subsets of size N (drawn without replacement, the same for every problem).

    ``answers``: P lists of N_max final answers (``None`` = no answer); ``truth``: the P
    right answers; ``scores``: optional ``{name: (P, N_max) array}`` of scorers, higher is
    better. Returns ``{"n": ns, "single", "vote", "oracle", "bon:<name>"...}``, each a
    list over ``ns``: one sample, the majority vote (:func:`utils.cot.majority_vote`),
    pass@N (some sample right) and the best-scored sample's correctness."""
    if not isinstance(answers, list) or not answers or not all(isinstance(a, (list, tuple)) for a in answers):
        raise ValueError("answers must be a non-empty list of lists of answers")
    n_max = len(answers[0])
    if any(len(a) != n_max for a in answers):
        raise ValueError("answers must hold the same number of samples for every problem")
    truth = list(truth)
    if len(truth) != len(answers):
        raise ValueError(f"truth must hold one answer per problem ({len(answers)}), got {len(truth)}")
    if not isinstance(ns, (list, tuple)) or not ns or any(check_int("ns[i]", x, low=1) > n_max for x in ns):
        raise ValueError(f"ns must be a non-empty list of sample counts in 1..{n_max}, got {ns!r}")
    scores = {} if scores is None else scores
    for name, s in scores.items():
        if np.shape(s) != (len(answers), n_max):
            raise ValueError(f"scores[{name!r}] must have shape {(len(answers), n_max)}, got {np.shape(s)}")
    n_subsets = check_int("n_subsets", n_subsets, low=1)
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    correct = np.array([[x == t for x in a] for a, t in zip(answers, truth)])
    out = {"n": list(ns), "single": [], "vote": [], "oracle": [], **{f"bon:{k}": [] for k in scores}}
    for n in ns:
        subsets = np.stack([rng.permutation(n_max)[:n] for _ in range(n_subsets)])        # (n_subsets, n)
        c = correct[:, subsets]                                                          # (P, n_subsets, n)
        out["single"].append(c.mean())
        out["oracle"].append(c.any(-1).mean())
        out["vote"].append(np.mean([majority_vote([a[j] for j in sub])[0] == t
                                    for a, t in zip(answers, truth) for sub in subsets]))
        for name, s in scores.items():
            s = np.asarray(s, dtype=float)[:, subsets]                                   # (P, n_subsets, n)
            best = s.argmax(-1)
            out[f"bon:{name}"].append(np.take_along_axis(c, best[..., None], -1).mean())
    return {k: (v if k == "n" else [float(x) for x in v]) for k, v in out.items()}


def step_checks(problems: list[Problem], texts: list[str]) -> list[list[bool]]:
    """Per trace, whether each step so far is right *and* all steps before it were (the
    prefix is still on a right path), from :func:`utils.world.check_trace`."""
    from .reward import pad_right

    problems = _check_problems(problems)
    if not isinstance(texts, list) or len(texts) != len(problems):
        raise ValueError("texts must be a list of strings, one per problem")
    return [list(np.logical_and.accumulate(check_trace(p, t).steps_ok).tolist()) if t else []
            for p, t in zip(problems, texts)]
