"""Function calling: the tool-aware chat template, the call -> run -> answer loop, and the
zoo recipe of the ``tool`` entry (``sft`` fine-tuned on the world's tool-use episodes).

    tok = tool_tokenizer()                  # the book's tokenizer with the tool-aware template
    model = utils.load("tool")
    out = tool_loop(model, tok, [e.prompt for e in episodes], tools=tool_schemas())

Chapter 4's function-calling notebook writes the loop out and asserts that its inline
version gives the same conversations as :func:`tool_loop`.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from .profile import by_profile
from .sft import SFTConfig

#: ChatML with tools, in the Qwen2.5 / Hermes style: the tools are listed in a system block as
#: one JSON object (each tool's name -> its argument names, read from its schema; Qwen2.5 prints
#: the whole schemas, hundreds of tokens); the assistant calls one inside
#: <tool_call>{"name": ..., "arguments": {...}}</tool_call>; the result comes back as role ``tool``.
#: Without tools (and tool calls) it renders exactly as the book's plain ChatML template.
TOOL_CHAT_TEMPLATE = (
    "{%- if tools %}"
    "{{ '<|im_start|>system\\n' }}"
    "{%- if messages[0]['role'] == 'system' %}{{ messages[0]['content'] + '\\n' }}{%- endif %}"
    "{{ '<tools>{' }}"
    "{%- for tool in tools %}"
    "{%- set f = tool['function'] if tool['function'] is defined else tool %}"
    "{{ (f['name'] | tojson) + ': ' + (f['parameters']['properties'] | list | tojson) }}"
    "{%- if not loop.last %}{{ ', ' }}{%- endif %}"
    "{%- endfor %}"
    "{{ '}</tools><|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{%- if tools and loop.first and message['role'] == 'system' %}"
    "{%- elif message['role'] == 'assistant' %}"
    "{{ '<|im_start|>assistant\\n' }}"
    "{% generation %}"
    "{{ message['content'] if message['content'] else '' }}"
    "{%- if message['tool_calls'] is defined and message['tool_calls'] %}"
    "{%- for call in message['tool_calls'] %}"
    "{%- set fn = call['function'] if call['function'] is defined else call %}"
    "{%- if fn['arguments'] is string %}"
    "{{ '<tool_call>{\"name\": ' + (fn['name'] | tojson) + ', \"arguments\": ' + fn['arguments'] + '}</tool_call>' }}"
    "{%- else %}"
    "{{ '<tool_call>' + ({'name': fn['name'], 'arguments': fn['arguments']} | tojson) + '</tool_call>' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- endif %}"
    "{{ '<|im_end|>' }}"
    "{% endgeneration %}"
    "{{ '\\n' }}"
    "{%- else %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}"
)


def tool_tokenizer(tokenizer=None):
    """A copy of the book's tokenizer (or ``tokenizer``) with :data:`TOOL_CHAT_TEMPLATE`."""
    import copy

    if tokenizer is None:
        from .zoo import load

        tokenizer = load("tokenizer")
    tok = copy.deepcopy(tokenizer)
    tok.chat_template = TOOL_CHAT_TEMPLATE
    return tok


def load_tokenizer(profile: str | None = None):
    """The tokenizer saved with the zoo's ``tool`` entry (it carries the tool-aware template)."""
    from transformers import AutoTokenizer

    from .zoo import path

    return AutoTokenizer.from_pretrained(path("tool", profile))


# ----------------------------------------------------------------------------- the loop

def tool_loop(model, tokenizer, prompts: list[list[dict]], tools: list[dict] | None = None,
              max_calls: int = 2, max_new_tokens: int = 96, batch_size: int = 64) -> list[dict]:
    """Run each conversation to its final answer: generate (batched over the conversations
    still open); a turn with ``<tool_call>`` is parsed with ``json.loads``, checked against
    the schemas and run (:func:`utils.world.tools.run_call`), and its result -- or the error --
    goes back as a ``tool`` message; a turn without one is the answer. After ``max_calls``
    calls the conversation is closed without an answer.

    Returns per prompt ``{"messages", "calls": [{"text", "call", "ok", "result"}], "answer"}``.
    """
    from .evaluation import generate_responses
    from .world.tools import parse_call_text, run_call

    if not isinstance(max_calls, int) or isinstance(max_calls, bool) or max_calls < 0:
        raise ValueError(f"max_calls must be a non-negative integer, got {max_calls!r}")
    state = [{"messages": list(p), "calls": [], "answer": None} for p in prompts]
    open_ = list(range(len(state)))
    while open_:
        turns = [r["text"] for r in generate_responses(model, tokenizer, [state[i]["messages"] for i in open_],
                                                       max_new_tokens, batch_size, tools=tools)]
        still = []
        for i, text in zip(open_, turns):
            s = state[i]
            if "<tool_call>" not in text:
                s["messages"].append({"role": "assistant", "content": text})
                s["answer"] = text
                continue
            if len(s["calls"]) >= max_calls:
                s["answer"] = ""
                continue
            call, err = parse_call_text(text)
            ok, result = (False, err) if call is None else run_call(call, tools)
            if call is not None and isinstance(call, dict) and ok:
                s["messages"].append({"role": "assistant", "content": "",
                                      "tool_calls": [{"type": "function", "function": call}]})
            else:
                s["messages"].append({"role": "assistant", "content": text})
            s["messages"].append({"role": "tool", "content": result if ok else f"error: {result}"})
            s["calls"].append({"text": text, "call": call, "ok": ok, "result": result})
            still.append(i)
        open_ = still
    return state


def evaluate_tools(model, tokenizer, episodes: list, tools: list[dict] | None = None,
                   batch_size: int = 64) -> dict:
    """Run the loop on ``episodes`` and score it by program: ``accuracy`` (final answer
    right), ``call_rate`` (first turn is a call), ``valid`` (first call parsed, fit its schema
    and ran), ``right_call`` (it is exactly the episode's call), the same per tool, and rows."""
    from .world.tools import ToolEpisode, score_answer

    if not isinstance(episodes, list) or not episodes or not all(isinstance(e, ToolEpisode) for e in episodes):
        raise ValueError("episodes must be a non-empty list of ToolEpisode")
    runs = tool_loop(model, tokenizer, [e.prompt for e in episodes], tools, batch_size=batch_size)
    rows = []
    for e, r in zip(episodes, runs):
        first = r["calls"][0] if r["calls"] else None
        rows.append({"tool": e.tool, "digits": e.digits, "question": e.question,
                     "called": first is not None, "valid": bool(first and first["ok"]),
                     "right_call": bool(first and first["call"] == e.call),
                     "call_text": first["text"] if first else "", "answer": r["answer"] or "",
                     "correct": score_answer(e, r["answer"] or "")})

    def summary(sel):
        return {"n": len(sel), **{k: float(np.mean([x[k] for x in sel]))
                                  for k in ("correct", "called", "valid", "right_call")}}

    out = summary(rows)
    out["by_tool"] = {t: summary([x for x in rows if x["tool"] == t]) for t in sorted({x["tool"] for x in rows})}
    out["rows"] = rows
    return out


# ----------------------------------------------------------------------------- the recipe

@dataclass(frozen=True)
class ToolConfig:
    n_train: int = 1500                    # tool-use training episodes
    lookup_share: float = 0.4              # share of lookups among them (known facts)
    train_digits: tuple = (1, 3)           # operand digits of the training calculations
    test_digits: tuple = (1, 2, 3)         # digit counts of the test calculations
    n_test_per_digits: int = 24            # test calculations per digit count
    n_plain: int = 1000                    # plain SFT conversations mixed in (no tools offered)
    sft: SFTConfig = field(default_factory=lambda: SFTConfig(batch_size=6, steps=1000, lr=2e-3, warmup=20))


#: Budgets per profile (quick: 1000 steps of 6 conversations, about 2 minutes on 2 CPU cores). Copying a
#: looked-up word into the answer is learned late: 500 steps of 12 (the same tokens, half the updates) left it
#: at chance on some builds of the chat model, and with 500 plain conversations mixed in instead of 1000 the
#: model forgot up to half of its plain-chat accuracy.
TOOL = {
    "quick": ToolConfig(),
    "full": ToolConfig(n_train=8000, train_digits=(1, 6), test_digits=(1, 2, 3, 4, 5, 6), n_test_per_digits=50,
                       n_plain=3000, sft=SFTConfig(batch_size=32, steps=1500, lr=3e-4, warmup=50)),
}


def tool_config(profile: str | None = None) -> ToolConfig:
    return by_profile(**TOOL, profile=profile)


def training_examples(tokenizer, cfg: ToolConfig, profile: str | None = None) -> tuple[list, list]:
    """Encoded (ids, labels) of the tool episodes (tools offered) and of the plain SFT
    conversations mixed in (no tools), and the splits they came from."""
    from .sft import encode_chat, sft_config, sft_splits
    from .world.tools import tool_schemas, tool_splits

    if not isinstance(cfg, ToolConfig):
        raise ValueError(f"cfg must be a ToolConfig, got {type(cfg).__name__}")
    splits = tool_splits(cfg.n_train, cfg.lookup_share, tuple(cfg.train_digits), tuple(cfg.test_digits),
                         cfg.n_test_per_digits, seed=cfg.sft.seed)
    schemas = tool_schemas()
    examples = [encode_chat(tokenizer, e.messages, tools=schemas) for e in splits["train"]]
    plain = sft_splits(sft_config(profile))["train"][:cfg.n_plain]
    examples += [encode_chat(tokenizer, t.messages) for t in plain]
    return examples, splits


def build_zoo_entry(folder, profile: str) -> None:
    from .evaluation import evaluate_chat
    from .profile import get_device
    from .sft import sft_config, sft_splits, sft_train
    from .world.tools import tool_schemas
    from .zoo import load, save_model

    cfg = tool_config(profile)
    tok = tool_tokenizer(load("tokenizer"))
    model = load("sft", profile=profile).to(get_device())
    examples, splits = training_examples(tok, cfg, profile)
    plain_test = sft_splits(sft_config(profile))["test"][:64]

    def scores(every: int = 1):
        rep = evaluate_tools(model, tok, splits["test"][::every], tool_schemas())
        chat = evaluate_chat(model, tok, plain_test)
        return {"tools": {k: v for k, v in rep.items() if k != "rows"}, "samples": rep["rows"][::12][:8],
                "plain_accuracy": chat["accuracy"], "plain_by_kind": chat["by_kind"]}

    before = scores(every=4)   # sft never calls: a quarter of the test set shows it
    log = sft_train(model, tok, examples, cfg.sft)
    log["tool_config"] = {k: v for k, v in asdict(cfg).items() if k != "sft"}
    log["n_examples"] = len(examples)
    log["before"], log["after"] = before, scores()
    save_model(folder, model, tok, log)


def describe(log: dict) -> str:
    """One line on a built ``tool`` entry's log."""
    b, a = log["before"]["tools"], log["after"]["tools"]
    return (f"tool-loop accuracy {b['correct']:.2f} -> {a['correct']:.2f}, valid calls {b['valid']:.2f} -> "
            f"{a['valid']:.2f}; plain chat accuracy {log['before']['plain_accuracy']:.2f} -> "
            f"{log['after']['plain_accuracy']:.2f}")


__all__ = ["TOOL_CHAT_TEMPLATE", "tool_tokenizer", "load_tokenizer", "tool_loop",
           "evaluate_tools", "ToolConfig", "TOOL", "tool_config", "training_examples", "build_zoo_entry", "describe"]
