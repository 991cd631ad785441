import pytest

from utils.rag import ReaderConfig, passage_sets, passage_sets_for, rag_prompt, reader_config
from utils.world import World
from utils.world.cast import Fact
from utils.world.knowledge import (Document, Passage, chunk_document, chunk_documents, gold_passages,
                                   knowledge_base, rag_tasks, split_sentences)


def test_knowledge_base_holds_every_fact_once_and_is_deterministic():
    world = World(seed=0)
    docs = knowledge_base(world, seed=3)
    assert docs == knowledge_base(world, seed=3) and docs != knowledge_base(world, seed=4)
    assert len(docs) == len(world.characters) + len(world.places)
    text = " ".join(d.text for d in docs)
    for f in world.facts:
        assert text.count(f.sentence) == 1
    hidden = " ".join(d.text for d in knowledge_base(world, seed=3, held_out=False))
    assert not any(f.sentence in hidden for f in world.held_out_facts)
    assert all(f.sentence in hidden for f in world.known_facts)


def test_knowledge_base_never_contradicts_the_world():
    world = World(seed=0)
    sentences = [s for d in knowledge_base(world, seed=1) for s in split_sentences(d.text)]
    # the only sentences about homes, jobs, pets and colours of a character are its facts
    for s in sentences:
        if " lives in " in s or " works as " in s or " likes the colour " in s:
            if not s.startswith("Many people"):
                assert s in {f.sentence for f in world.facts}, s


def test_chunking_windows_and_overlap():
    doc = Document("d", "A one. B two. C three. D four. E five.")
    assert [p.text for p in chunk_document(doc, 2)] == ["A one. B two.", "C three. D four.", "E five."]
    assert [p.text for p in chunk_document(doc, 3, 1)] == [
        "A one. B two. C three.", "B two. C three. D four.", "C three. D four. E five."]
    assert [p.index for p in chunk_document(doc, 2)] == [0, 1, 2]
    assert [p.text for p in chunk_document(Document("x", "Only one."), 4)] == ["Only one."]
    world = World(seed=0)
    passages = chunk_documents(knowledge_base(world), 2)
    assert all(len(gold_passages(f, passages)) == 1 for f in world.facts)


def test_rag_tasks_split_held_out_from_known():
    world = World(seed=0)
    test, train = rag_tasks(world, "test"), rag_tasks(world, "train")
    assert {t.item for t in test} == set(world.held_out_facts)
    assert {t.item for t in train} == set(world.known_facts)
    assert all(t.kind == "fact" for t in test + train)


def test_prompt_and_passage_sets():
    assert rag_prompt("Where?", []) == [{"role": "user", "content": "Where?"}]
    content = rag_prompt("Where does Alice live?", ["a.", "b."])[0]["content"]
    assert content == "Passages:\n[1] a.\n[2] b.\nQuestion: Where does Alice live?"
    world = World(seed=0)
    train = rag_tasks(world, "train")
    kb = chunk_documents(knowledge_base(world, held_out=False), 2)
    sets = passage_sets(train, kb, n=200, max_passages=4, counterfactual=0.5, seed=0)
    assert sets == passage_sets(train, kb, n=200, max_passages=4, counterfactual=0.5, seed=0)
    flipped = 0
    for s in sets:
        assert 1 <= len(s["passages"]) <= 4
        assert s["answer"] in s["passages"][s["gold"]]
        flipped += s["answer"] != s["task"].answer
    assert 60 < flipped < 140
    for s, t in zip(passage_sets_for(train, kb, k=3), train):
        assert len(s) == 3 and sum(t.answer in p for p in s) == 1
    assert isinstance(reader_config("quick"), ReaderConfig)


@pytest.mark.parametrize("call, name", [
    (lambda: knowledge_base("world"), "world"),
    (lambda: knowledge_base(seed=-1), "seed"),
    (lambda: knowledge_base(held_out=1), "held_out"),
    (lambda: chunk_document(Document("d", "A."), 0), "size"),
    (lambda: chunk_document(Document("d", "A."), 2, 3), "stride"),
    (lambda: chunk_document("text"), "doc"),
    (lambda: chunk_documents([]), "docs"),
    (lambda: split_sentences(3), "text"),
    (lambda: rag_tasks(split="dev"), "split"),
    (lambda: gold_passages("fact", []), "fact"),
    (lambda: rag_prompt("", []), "question"),
    (lambda: rag_prompt("q", "p"), "passages"),
    (lambda: passage_sets(rag_tasks(), [Passage("d", 0, "x")], n=0, max_passages=2), "n"),
    (lambda: passage_sets(rag_tasks(), [Passage("d", 0, "x")], n=1, max_passages=2), "no passage"),
    (lambda: passage_sets(rag_tasks(), ["x"], n=1, max_passages=2), "passages"),
    (lambda: passage_sets(rag_tasks(), [Passage("d", 0, "x")], n=1, max_passages=2, counterfactual=2),
     "counterfactual"),
    (lambda: reader_config("huge"), "profile"),
])
def test_bad_input_raises_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_gold_passages_finds_the_sentence():
    p = [Passage("a", 0, "Alice lives in Ashford. Alice has a cat."), Passage("b", 0, "Bruno has a cat.")]
    assert gold_passages(Fact("Alice", "has_pet", "cat"), p) == [0]
    assert gold_passages(Fact("Bruno", "has_pet", "dog"), p) == []
