"""The model zoo: trained artefacts that notebooks share, built on first use.

    tok = utils.load("tokenizer")
    model = utils.load("base")        # the pre-trained base model for the profile

Each entry is built deterministically by its recipe when it is absent, with a
progress bar, and saved with ``save_pretrained`` (safetensors) under the cache
directory (``$BOOK_ZOO_DIR``, default ``~/.cache/llm-algorithms-book/zoo``), one
folder per profile for models. A manifest with the SHA-256 of every file is written
last, with the library versions and device that built it and the versions of the
entries it was built from. An entry whose manifest is missing, stale (older recipe
version, a parent entry rebuilt at a newer version, other versions of torch,
transformers or tokenizers) or does not match its files is rebuilt, and the reason is
printed. Builds hold a file lock and write to a temporary folder
that is renamed into place, so two processes never clobber each other.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
from filelock import FileLock

from .profile import DEFAULT_THREADS, PROFILES, get_profile

ZOO_ENV = "BOOK_ZOO_DIR"
MANIFEST = "zoo-manifest.json"
LOG = "train_log.json"


@dataclass(frozen=True)
class Entry:
    name: str
    version: int
    build: Callable[[Path, str], None]   # build(directory, profile): write the artefact's files
    load: Callable[[Path], Any]          # load(directory) -> object
    per_profile: bool
    description: str
    parents: tuple[str, ...] = ()        # entries this one is built from (their versions are recorded)


_ENTRIES: dict[str, Entry] = {}


def register(entry: Entry, replace: bool = False) -> None:
    """Add an entry to the zoo (later chapters register their models here)."""
    if not isinstance(entry, Entry):
        raise ValueError(f"entry must be a zoo Entry, got {type(entry).__name__}")
    if entry.name in _ENTRIES and not replace:
        raise ValueError(f"zoo entry {entry.name!r} is already registered")
    _ENTRIES[entry.name] = entry


def known() -> list[str]:
    """Names of the zoo's entries."""
    return sorted(_ENTRIES)


def family() -> dict[str, dict]:
    """Every registered entry, built or not: ``{name: {"version", "description", "parents",
    "per_profile"}}``, parents in the order the recipe names them (read a built entry's
    manifest with :func:`info` for the versions it was actually built from)."""
    return {name: {"version": e.version, "description": e.description, "parents": list(e.parents),
                   "per_profile": e.per_profile} for name, e in sorted(_ENTRIES.items())}


def zoo_dir() -> Path:
    root = os.environ.get(ZOO_ENV)
    path = Path(root).expanduser() if root else Path.home() / ".cache" / "llm-algorithms-book" / "zoo"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _entry(name: str) -> Entry:
    if not isinstance(name, str) or name not in _ENTRIES:
        raise ValueError(f"unknown zoo entry {name!r}; known entries: {', '.join(known())}")
    return _ENTRIES[name]


def _folder(entry: Entry, profile: str) -> Path:
    base = zoo_dir() / profile if entry.per_profile else zoo_dir()
    base.mkdir(parents=True, exist_ok=True)
    return base / entry.name


def _hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): _hash(p) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != MANIFEST}


#: Libraries whose version changes what a build produces (weights, tokenisation).
BUILD_LIBRARIES = ("torch", "transformers", "tokenizers")


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for lib in BUILD_LIBRARIES:
        try:
            out[lib] = version(lib)
        except PackageNotFoundError:
            out[lib] = "absent"
    return out


def _parents(entry: Entry) -> dict[str, int]:
    return {p: _entry(p).version for p in entry.parents}


def _stale_reason(entry: Entry, folder: Path) -> str | None:
    """Why the entry in ``folder`` must be (re)built, or None when it is good."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return "not built yet" if not folder.exists() else "its manifest is missing or unreadable"
    if manifest.get("version") != entry.version:
        return f"recipe version {manifest.get('version')} is older than {entry.version}"
    if manifest.get("parents", {}) != _parents(entry):
        return f"built from {manifest.get('parents', {})}, the recipe now uses {_parents(entry)}"
    built, now = manifest.get("libraries"), library_versions()
    if built != now:
        return f"built with {built or 'unrecorded library versions'}, this environment has {now}"
    if manifest.get("files") != _files(folder):
        return "its files do not match the manifest (corrupt or edited)"
    return None


def _valid(entry: Entry, folder: Path) -> bool:
    return _stale_reason(entry, folder) is None


#: CPU threads every build runs on: PyTorch's default for this machine, read when the book is
#: imported, before a notebook's ``utils.setup(threads=...)`` changes it. Float sums depend on
#: how a matrix product is split over threads, so without this an entry's weights would depend
#: on which notebook happened to build it first.
BUILD_THREADS = DEFAULT_THREADS


def _build(entry: Entry, folder: Path, profile: str) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.tmp-", dir=folder.parent))
    caller_threads = torch.get_num_threads()
    try:
        start = time.perf_counter()
        print(f"zoo: building {entry.name!r} ({entry.description}) for profile {profile!r} ...", flush=True)
        torch.set_num_threads(BUILD_THREADS)
        entry.build(tmp, profile)
        from .profile import get_device

        manifest = {"name": entry.name, "version": entry.version, "profile": profile,
                    "parents": _parents(entry), "libraries": library_versions(),
                    "device": str(get_device()), "threads": BUILD_THREADS,
                    "seconds": round(time.perf_counter() - start, 2),
                    "files": _files(tmp)}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1))
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
        print(f"zoo: {entry.name!r} built in {manifest['seconds']:.1f} s -> {folder}", flush=True)
    finally:
        torch.set_num_threads(caller_threads)
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def path(name: str, profile: str | None = None, rebuild: bool = False) -> Path:
    """The folder of a zoo entry, built first if it is absent, stale or corrupt."""
    entry = _entry(name)
    profile = get_profile() if profile is None else profile
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
    folder = _folder(entry, profile)
    if not rebuild and _valid(entry, folder):
        return folder
    with FileLock(str(folder) + ".lock"):
        reason = "asked to rebuild" if rebuild else _stale_reason(entry, folder)   # another process may have built it
        if reason is not None:
            if folder.exists():
                print(f"zoo: rebuilding {entry.name!r} ({profile}): {reason}", flush=True)
            _build(entry, folder, profile)
    return folder


def load(name: str, profile: str | None = None, rebuild: bool = False):
    """Load a zoo entry (see :func:`known`), building it on first use.

    An entry that fails to load is rebuilt once; a fresh build that still fails raises.
    """
    entry = _entry(name)
    folder = path(name, profile, rebuild)
    try:
        return entry.load(folder)
    except Exception as err:  # corrupt in a way the manifest could not see
        if rebuild:
            raise
        print(f"zoo: {name!r} failed to load ({type(err).__name__}: {err}); rebuilding", flush=True)
        return entry.load(path(name, profile, rebuild=True))


def info(name: str, profile: str | None = None) -> dict:
    """The manifest of a built entry, plus its training log if it has one."""
    folder = path(name, profile)
    out = json.loads((folder / MANIFEST).read_text())
    if (folder / LOG).exists():
        out["log"] = json.loads((folder / LOG).read_text())
    return out


# ----------------------------------------------------------------------------- recipes

TOKENIZER_VOCAB = 1024


def tokenizer_texts() -> list[str]:
    """What the tokenizer is trained on: the pre-training corpus, every fact of the
    world (held-out ones included, so retrieval text tokenises like the rest) and the
    chat roles."""
    from .world import World, pretraining_corpus

    world = World(seed=0)
    texts = pretraining_corpus(8000, seed=0, world=world)
    texts += [f.sentence + " " + f.question for f in world.facts]
    texts += ["system user assistant tool"] * 10
    return texts


def _build_tokenizer(folder: Path, profile: str) -> None:
    from .tokenizer import train_tokenizer

    train_tokenizer(tokenizer_texts(), vocab_size=TOKENIZER_VOCAB).save_pretrained(folder)


def _load_tokenizer(folder: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder)


def save_model(folder: Path, model, tok, log: dict) -> None:
    """Write a trained model (safetensors), its tokenizer and its training log."""
    model.to("cpu").save_pretrained(folder, safe_serialization=True)
    tok.save_pretrained(folder)
    (folder / LOG).write_text(json.dumps(log))


def fine_tune_entry(folder: Path, profile: str, parent: str, recipe) -> None:
    """Build an entry that fine-tunes another: load the tokenizer and ``parent`` for
    ``profile``, let ``recipe(model, tokenizer, profile)`` train the model in place and return
    its log, and save both."""
    from .profile import get_device

    tok = load("tokenizer")
    model = load(parent, profile=profile).to(get_device())
    save_model(folder, model, tok, recipe(model, tok, profile))


def _build_base(folder: Path, profile: str) -> None:
    from .models import make_model, model_config
    from .pretraining import corpus_blocks, held_out_loss, pretrain, pretrain_config

    tok = load("tokenizer")
    cfg = pretrain_config(profile)
    train, held = corpus_blocks(tok, cfg)
    model = make_model(model_config(len(tok), profile), seed=cfg.seed)
    from .profile import get_device

    model.to(get_device())
    log = pretrain(model, train, cfg, held_blocks=held)
    log["held_out_loss"] = held_out_loss(model, held)
    save_model(folder, model, tok, log)


def _build_sft(folder: Path, profile: str) -> None:
    from .profile import get_device
    from .sft import build_sft, sft_config

    tok = load("tokenizer")
    model = load("base", profile=profile)
    model.to(get_device())
    log = build_sft(model, tok, sft_config(profile))
    save_model(folder, model, tok, log)


def _recipe(module: str, function: str = "build_zoo_entry"):
    """A build function that calls ``utils.<module>.<function>(folder, profile)``:
    recipes of later chapters live in modules of their own, imported only when built."""
    def build(folder: Path, profile: str) -> None:
        import importlib

        getattr(importlib.import_module(f".{module}", __package__), function)(folder, profile)
    return build


def _load_model(folder: Path):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager")
    return model.float().eval()


def _load_scorer(folder: Path):
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(folder, attn_implementation="eager")
    return model.float().eval()


register(Entry("tokenizer", 1, _build_tokenizer, _load_tokenizer, per_profile=False,
               description="byte-level BPE on the world's corpus, ChatML template"))
register(Entry("base", 1, _build_base, _load_model, per_profile=True,
               description="decoder pre-trained on the world's corpus", parents=("tokenizer",)))
register(Entry("sft", 1, _build_sft, _load_model, per_profile=True,
               description="base fine-tuned on the world's chat instructions", parents=("tokenizer", "base")))
register(Entry("direct", 1, _recipe("cot"), _load_model, per_profile=True,
               description="base fine-tuned like sft, but answering arithmetic without the trace",
               parents=("tokenizer", "base")))
register(Entry("reader", 2, _recipe("rag"), _load_model, per_profile=True,
               description="sft fine-tuned to answer from retrieved passages in its prompt",
               parents=("tokenizer", "sft")))
register(Entry("tool", 2, _recipe("tool_use"), _load_model, per_profile=True,
               description="sft fine-tuned to call a calculator and a lookup tool with JSON",
               parents=("tokenizer", "sft")))
register(Entry("chatty", 1, _recipe("reward", "build_chatty_entry"), _load_model,
               per_profile=True, description="sft fine-tuned on demonstrations of mixed quality: some ramble, some are rude",
               parents=("tokenizer", "sft")))
register(Entry("leaky", 1, _recipe("safety"), _load_model, per_profile=True,
               description="sft fine-tuned on requests answered unevenly: it gives out secrets, judges, over-refuses",
               parents=("tokenizer", "sft")))
register(Entry("critic", 1, _recipe("safety", "build_critic_entry"), _load_model, per_profile=True,
               description="leaky fine-tuned to critique and revise answers by a three-principle constitution",
               parents=("tokenizer", "leaky")))
register(Entry("reward", 1, _recipe("reward"), _load_scorer, per_profile=True,
               description="chatty's decoder with a scalar head, trained on program-labelled pairs of chatty's own answers",
               parents=("tokenizer", "chatty")))
register(Entry("rlhf", 1, _recipe("rlhf"), _load_model, per_profile=True,
               description="chatty trained by PPO-RLHF against the reward model, with a KL penalty to chatty",
               parents=("tokenizer", "chatty", "reward")))
