"""The zoo's ``reader``: the ``sft`` chat model fine-tuned to answer a question from the
passages placed in its prompt (the generator half of retrieval-augmented generation).

The prompt format, shared by the recipe and chapter 4's RAG notebook::

    user:      Passages:
               [1] Bruno lives in Cedar Hill. Bruno keeps boats in Elmstead.
               [2] Alice lives in Glenrock. Alice likes the colour blue.
               Question: Where does Alice live?
    assistant: Alice lives in Glenrock.

Training uses the *training* split only: questions about facts pre-training showed,
with passages cut from a knowledge base that leaves the held-out facts out. The gold
passage sits among distractors (passages about the same character, and random ones)
at a random position, and its fact is replaced by a counterfactual one (``Alice lives
in Dunmore.``) that the answer follows, so the reader learns to read rather than to
recall: no answer it is trained on can be remembered from pre-training.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ._validate import check_fraction, check_int
from .profile import by_profile
from .sft import SFTConfig
from .world.cast import POOLS

def rag_prompt(question: str, passages: list[str]) -> list[dict]:
    """The reader's chat prompt: the numbered passages, then the question (no passages:
    the bare question, as the ``sft`` model was asked)."""
    if not isinstance(question, str) or not question:
        raise ValueError("question must be a non-empty string")
    if not isinstance(passages, list) or not all(isinstance(p, str) for p in passages):
        raise ValueError("passages must be a list of strings")
    if not passages:
        return [{"role": "user", "content": question}]
    lines = "\n".join(f"[{i + 1}] {p}" for i, p in enumerate(passages))
    return [{"role": "user", "content": f"Passages:\n{lines}\nQuestion: {question}"}]


@dataclass(frozen=True)
class ReaderConfig:
    n_examples: int = 4000        # training prompts drawn (questions x passage sets)
    max_passages: int = 2         # each prompt holds 1..max_passages passages
    counterfactual: float = 1.0   # share of prompts whose gold fact is replaced
    chunk_size: int = 2           # sentences per passage
    kb_seed: int = 0              # arrangement of the knowledge base
    sft: SFTConfig = SFTConfig(batch_size=16, steps=800, lr=2e-3, warmup=10)


# Quick: 800 steps of 16 prompts. The same tokens as 400 steps of 32 at 3e-3, but twice the updates: copying from
# the prompt is learned late, and on some builds of the chat model 400 updates left the reader at about half its
# accuracy (gold passage alone: 0.50 against 0.83 to 1.00 with 800).

READER = {
    "quick": ReaderConfig(),
    "full": ReaderConfig(n_examples=20000, max_passages=4,
                         sft=SFTConfig(batch_size=64, steps=1500, lr=1e-3, warmup=100)),
}


def reader_config(profile: str | None = None) -> ReaderConfig:
    return by_profile(**READER, profile=profile)


def passage_sets(tasks, passages, n: int, max_passages: int, counterfactual: float = 0.0,
                 seed: int = 0) -> list[dict]:
    """``n`` reader examples: a task, 1..``max_passages`` passages holding its gold passage
    at a random position among distractors (half about the same character when there are
    such, the rest random), and the answer. With probability ``counterfactual`` the gold
    fact's object is swapped for another of its relation in the passage and the answer.
    Returns dicts with ``task``, ``passages`` (texts), ``gold`` (position) and ``answer``."""
    from .world.cast import Fact
    from .world.knowledge import Passage, gold_passages

    n = check_int("n", n, low=1)
    k_max = check_int("max_passages", max_passages, low=1)
    cf = check_fraction("counterfactual", counterfactual)
    if not isinstance(passages, list) or not passages or not all(isinstance(p, Passage) for p in passages):
        raise ValueError("passages must be a non-empty list of Passage")
    if not isinstance(tasks, list) or not tasks:
        raise ValueError("tasks must be a non-empty list of fact ChatTasks")
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    golds = []
    for t in tasks:
        g = gold_passages(t.item, passages)
        if not g:
            raise ValueError(f"no passage states {t.item.sentence!r}")
        golds.append(g[0])
    out = []
    for _ in range(n):
        i = int(rng.integers(len(tasks)))
        fact, g = tasks[i].item, golds[i]
        k = int(rng.integers(1, k_max + 1))
        same = [j for j, p in enumerate(passages) if j != g and fact.subject in p.text]
        rest = [j for j in range(len(passages)) if j != g and j not in same]
        n_same = min(len(same), (k - 1 + int(rng.integers(2))) // 2)
        picks = list(rng.choice(same, size=n_same, replace=False)) if n_same else []
        picks += list(rng.choice(rest, size=k - 1 - n_same, replace=False))
        texts = [passages[j].text for j in picks]
        gold_text, answer = passages[g].text, fact
        if rng.random() < cf:
            others = [o for o in POOLS[fact.relation] if o != fact.object]
            answer = Fact(fact.subject, fact.relation, others[int(rng.integers(len(others)))])
            gold_text = gold_text.replace(fact.sentence, answer.sentence)
        pos = int(rng.integers(k))
        texts.insert(pos, gold_text)
        out.append({"task": tasks[i], "passages": texts, "gold": pos, "answer": answer.sentence})
    return out


def evaluate_reader(model, tokenizer, tasks, passages, k: int = 3, seed: int = 0) -> dict:
    """Greedy answers to ``tasks`` with their gold passage among ``k - 1`` distractors
    (:func:`passage_sets`, no counterfactuals), scored by program, plus the answers to
    the bare questions (no passage)."""
    from .evaluation import generate_responses, score_responses

    sets = passage_sets_for(tasks, passages, k, seed)
    with_p = generate_responses(model, tokenizer, [rag_prompt(t.question, s) for t, s in zip(tasks, sets)],
                                max_new_tokens=16)
    without = generate_responses(model, tokenizer, [t.prompt for t in tasks], max_new_tokens=16)
    keep = ("n", "accuracy", "format")
    return {"with_passages": {k_: v for k_, v in score_responses(tasks, with_p).items() if k_ in keep},
            "no_passage": {k_: v for k_, v in score_responses(tasks, without).items() if k_ in keep},
            "samples": [{"prompt": rag_prompt(t.question, s)[0]["content"], "response": r["text"]}
                        for t, s, r in list(zip(tasks, sets, with_p))[:3]]}


def passage_sets_for(tasks, passages, k: int, seed: int = 0) -> list[list[str]]:
    """For each task in order: its gold passage among ``k - 1`` random distractors."""
    from .world.knowledge import gold_passages

    k = check_int("k", k, low=1)
    rng = np.random.default_rng(check_int("seed", seed, low=0))
    out = []
    for t in tasks:
        g = gold_passages(t.item, passages)[0]
        rest = [j for j in range(len(passages)) if j != g]
        texts = [passages[j].text for j in rng.choice(rest, size=k - 1, replace=False)]
        texts.insert(int(rng.integers(k)), passages[g].text)
        out.append(texts)
    return out


def build_reader(sft_model, tokenizer, cfg: ReaderConfig, progress: bool = True) -> dict:
    """Fine-tune ``sft_model`` in place into the reader; return the log (config, losses,
    held-out scores before and after)."""
    from .sft import encode_chat, sft_train
    from .world import World
    from .world.knowledge import chunk_documents, knowledge_base, rag_tasks

    if not isinstance(cfg, ReaderConfig):
        raise ValueError(f"cfg must be a ReaderConfig, got {type(cfg).__name__}")
    world = World(seed=0)
    train_kb = chunk_documents(knowledge_base(world, seed=cfg.kb_seed, held_out=False), cfg.chunk_size)
    full_kb = chunk_documents(knowledge_base(world, seed=cfg.kb_seed), cfg.chunk_size)
    train, test = rag_tasks(world, "train"), rag_tasks(world, "test")
    sets = passage_sets(train, train_kb, cfg.n_examples, cfg.max_passages, cfg.counterfactual,
                        seed=cfg.sft.seed)
    examples = [encode_chat(tokenizer, rag_prompt(s["task"].question, s["passages"])
                            + [{"role": "assistant", "content": s["answer"]}]) for s in sets]
    before = evaluate_reader(sft_model, tokenizer, test, full_kb)
    log = sft_train(sft_model, tokenizer, examples, cfg.sft, progress=progress)
    log["reader_config"] = asdict(cfg)
    log["n_train_questions"], log["n_test_questions"] = len(train), len(test)
    log["before"], log["after"] = before, evaluate_reader(sft_model, tokenizer, test, full_kb)
    return log


def build_zoo_entry(folder, profile: str) -> None:
    """The zoo recipe of ``reader``: load ``sft``, fine-tune it as a reader, save it."""
    from . import zoo
    from .profile import get_device

    tok = zoo.load("tokenizer")
    model = zoo.load("sft", profile=profile).to(get_device())
    cfg = reader_config(profile)
    log = build_reader(model, tok, cfg)
    zoo.save_model(folder, model, tok, log)


__all__ = ["rag_prompt", "ReaderConfig", "reader_config", "passage_sets", "passage_sets_for",
           "evaluate_reader", "build_reader", "build_zoo_entry"]
