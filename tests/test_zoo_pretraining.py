import json
import multiprocessing as mp
import time
from pathlib import Path

import pytest
import torch

from utils import zoo
from utils.models import make_model, model_config
from utils.pretraining import PretrainConfig, lr_at, pack_documents, pretrain, pretrain_config
from utils.tokenizer import train_tokenizer
from utils.world import pretraining_corpus

TINY = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
            num_key_value_heads=1)


def _tiny_build(folder: Path, profile: str) -> None:
    """A cheap model entry; counts its builds in a file next to the zoo."""
    counter = folder.parent.parent / "builds.txt"
    with open(counter, "a") as f:
        f.write("x")
    time.sleep(0.5)
    make_model(model_config(64, profile, **TINY), seed=0).save_pretrained(folder)


@pytest.fixture
def tiny_entry():
    zoo.register(zoo.Entry("tiny", 1, _tiny_build, zoo._load_model, per_profile=True,
                           description="test entry"), replace=True)
    yield "tiny"
    zoo._ENTRIES.pop("tiny", None)


def test_unknown_name_lists_known(zoo_tmp):
    with pytest.raises(ValueError, match="known entries: .*base.*tokenizer"):
        zoo.load("gpt-5")


def test_tokenizer_entry_builds_and_reloads(zoo_tmp):
    from transformers import AutoTokenizer

    tok = zoo.load("tokenizer")
    folder = zoo.path("tokenizer")
    assert folder.parent == zoo_tmp and (folder / zoo.MANIFEST).exists()
    again = AutoTokenizer.from_pretrained(folder)
    assert again.get_vocab() == tok.get_vocab() and again.chat_template == tok.chat_template


def test_model_entry_cached_reloadable_and_rebuilt_when_corrupt(zoo_tmp, tiny_entry):
    from transformers import AutoModelForCausalLM

    m = zoo.load("tiny", profile="quick")
    folder = zoo.path("tiny", profile="quick")
    assert (zoo_tmp / "builds.txt").read_text() == "x"
    zoo.load("tiny", profile="quick")                   # cached: no new build
    assert (zoo_tmp / "builds.txt").read_text() == "x"
    ref = AutoModelForCausalLM.from_pretrained(folder)  # plain transformers reload
    assert all(torch.equal(a, b) for a, b in zip(m.state_dict().values(), ref.state_dict().values()))
    before = {k: v.clone() for k, v in m.state_dict().items()}   # weights may be memory-mapped
    weights = next(folder.glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:100])     # corrupt the weights
    m2 = zoo.load("tiny", profile="quick")
    assert (zoo_tmp / "builds.txt").read_text() == "xx"
    assert all(torch.equal(before[k], v) for k, v in m2.state_dict().items())   # deterministic rebuild
    (folder / zoo.MANIFEST).write_text(json.dumps({"version": 0}))   # stale recipe version
    zoo.load("tiny", profile="quick")
    assert (zoo_tmp / "builds.txt").read_text() == "xxx"
    manifest = json.loads((folder / zoo.MANIFEST).read_text())
    assert manifest["libraries"] == zoo.library_versions() and manifest["device"] == "cpu"
    manifest["libraries"] = dict(manifest["libraries"], transformers="4.0.0")   # built by another version
    (folder / zoo.MANIFEST).write_text(json.dumps(manifest))
    assert "4.0.0" in zoo._stale_reason(zoo._entry("tiny"), folder)
    zoo.load("tiny", profile="quick")
    assert (zoo_tmp / "builds.txt").read_text() == "xxxx"


def test_an_entry_is_rebuilt_when_a_parent_changes_version(zoo_tmp, monkeypatch):
    monkeypatch.setattr(zoo, "_ENTRIES", dict(zoo._ENTRIES))   # the test's entries leave with it
    zoo.register(zoo.Entry("tiny", 1, _tiny_build, zoo._load_model, per_profile=True,
                           description="test entry"), replace=True)
    zoo.register(zoo.Entry("child", 1, _tiny_build, zoo._load_model, per_profile=True,
                           description="built from tiny", parents=("tiny",)), replace=True)
    folder = zoo.path("child", profile="quick")
    assert json.loads((folder / zoo.MANIFEST).read_text())["parents"] == {"tiny": 1}
    zoo.register(zoo.Entry("tiny", 2, _tiny_build, zoo._load_model, per_profile=True,
                           description="test entry, new recipe"), replace=True)
    assert "the recipe now uses {'tiny': 2}" in zoo._stale_reason(zoo._entry("child"), folder)


def _load_in_child(zoo_dir: str) -> None:
    import os

    os.environ["BOOK_ZOO_DIR"] = zoo_dir
    zoo.register(zoo.Entry("tiny", 1, _tiny_build, zoo._load_model, per_profile=True,
                           description="test entry"), replace=True)
    zoo.load("tiny", profile="quick")


def test_concurrent_builders_build_once(zoo_tmp, tiny_entry):
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_load_in_child, args=(str(zoo_tmp),)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert all(p.exitcode == 0 for p in procs)
    assert (zoo_tmp / "builds.txt").read_text() == "x"
    assert not list(zoo_tmp.glob("quick/.tiny.tmp-*"))


def test_zoo_errors(zoo_tmp, tiny_entry):
    with pytest.raises(ValueError, match="profile"):
        zoo.path("tiny", profile="medium")
    with pytest.raises(ValueError, match="already registered"):
        zoo.register(zoo.Entry("tiny", 1, _tiny_build, zoo._load_model, True, "dup"))
    with pytest.raises(ValueError, match="entry"):
        zoo.register("tiny")


def test_pretraining_is_deterministic_and_learns():
    docs = pretraining_corpus(300, seed=0)
    tok = train_tokenizer(docs, vocab_size=400)
    cfg = PretrainConfig(block_size=32, batch_size=8, steps=25, lr=3e-3, warmup=5, eval_every=25)
    blocks = pack_documents(tok, docs, cfg.block_size)
    assert blocks.shape[1] == 32 and blocks.dtype == torch.long
    runs = []
    for _ in range(2):
        model = make_model(model_config(len(tok), "quick", **TINY), seed=0)
        log = pretrain(model, blocks[:-4], cfg, held_blocks=blocks[-4:], progress=False)
        runs.append((model.state_dict(), log))
    (sd1, log1), (sd2, log2) = runs
    assert all(torch.equal(sd1[k], sd2[k]) for k in sd1)
    assert log1["losses"] == log2["losses"]
    assert log1["evals"][-1][1] < log1["evals"][0][1] - 0.5
    assert log1["tokens_per_second"] > 0 and log1["flops_per_second"] > 0


def test_pretraining_helpers():
    cfg = PretrainConfig(steps=100, warmup=10, lr=1.0)
    assert lr_at(0, cfg) == pytest.approx(0.1) and lr_at(9, cfg) == pytest.approx(1.0)
    assert lr_at(99, cfg) == pytest.approx(0.1, abs=0.01)
    assert pretrain_config("quick").steps < pretrain_config("full").steps
    with pytest.raises(ValueError, match="profile"):
        pretrain_config("tiny")
    tok = train_tokenizer(pretraining_corpus(50), vocab_size=300)
    with pytest.raises(ValueError, match="block_size"):
        pack_documents(tok, ["a b"], 1)
    with pytest.raises(ValueError, match="docs"):
        pack_documents(tok, [], 8)
    with pytest.raises(ValueError, match="fewer than one block"):
        pack_documents(tok, ["a"], 64)


def test_builds_run_on_the_default_threads_whatever_the_caller_set(zoo_tmp, monkeypatch):
    """A notebook that called utils.setup(threads=1) must build the same weights as one that
    did not: the build runs on zoo.BUILD_THREADS and the caller's setting comes back."""
    seen = []

    def build(folder: Path, profile: str) -> None:
        seen.append(torch.get_num_threads())
        make_model(model_config(64, profile, **TINY), seed=0).save_pretrained(folder)

    zoo.register(zoo.Entry("threads", 1, build, zoo._load_model, per_profile=True, description="test entry"),
                 replace=True)
    monkeypatch.setattr(zoo, "BUILD_THREADS", 2)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        zoo.load("threads", profile="quick")
        assert seen == [2] and torch.get_num_threads() == 1
        manifest = json.loads((zoo.path("threads", profile="quick") / zoo.MANIFEST).read_text())
        assert manifest["threads"] == 2
    finally:
        torch.set_num_threads(before)
        zoo._ENTRIES.pop("threads", None)


def test_family_lists_every_entry_with_registered_parents_and_no_cycle():
    fam = zoo.family()
    assert set(fam) == set(zoo.known()) and {"rlhf", "reward", "sft", "base"} <= set(fam)
    assert fam["rlhf"]["parents"] == ["tokenizer", "chatty", "reward"]

    def chain(name, seen=()):
        assert name not in seen, f"cycle through {name}"
        for p in fam[name]["parents"]:
            assert p in fam
            chain(p, seen + (name,))

    for name in fam:
        chain(name)
