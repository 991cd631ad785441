import numpy as np
import pytest
import torch

from utils.world import images
from utils.world.images import (COLOURS, HELD_OUT, IMAGE_SIZE, POSITIONS, SHAPES, Question, Scene, check_answer,
                                image_splits, make_scenes, render)


def test_scenes_and_pixels_are_deterministic_by_seed():
    a, b = make_scenes(50, seed=3), make_scenes(50, seed=3)
    assert a == b and make_scenes(50, seed=4) != a
    x, y = render(a, seed=1), render(b, seed=1)
    assert x.shape == (50, 3, IMAGE_SIZE, IMAGE_SIZE) and x.dtype == torch.float32
    assert torch.equal(x, y) and not torch.equal(x, render(a, seed=2))
    assert 0.0 <= x.min() and x.max() <= 1.0


def test_rendering_puts_the_colour_in_the_right_cell():
    scene = Scene((("red", "square"), None, None, ("blue", "circle")))
    img = render([scene], noise=0.0)[0]
    c = images.CELL
    top_left, top_right = img[:, :c, :c], img[:, :c, c:]
    assert torch.all(top_right == images.BACKGROUND)                  # empty cell: background only
    centre = img[:, c // 2, c // 2]
    assert torch.allclose(centre, torch.tensor(images.RGB["red"]))
    assert torch.allclose(img[:, c + c // 2, c + c // 2], torch.tensor(images.RGB["blue"]))
    assert (top_left != images.BACKGROUND).any(dim=0).float().mean() > 0.2   # the square covers the cell's middle
    shapes = [render([Scene(((colour, s), None, None, None))], noise=0.0)[0] for s in SHAPES for colour in ["red"]]
    assert len({tuple(x.flatten().tolist()) for x in shapes}) == len(SHAPES)   # the shapes look different


def test_caption_and_questions_are_checkable():
    scene = Scene((("red", "circle"), None, None, ("blue", "square")))
    assert scene.caption == "a red circle top left and a blue square bottom right"
    qs = {q.text: q for q in scene.questions()}
    assert qs["What colour is the circle?"].answer == "red"
    assert qs["What shape is at the bottom right?"].answer == "square"
    assert qs["How many shapes?"].answer == "two"
    q = qs["What colour is the circle?"]
    assert check_answer(q, " Red.") and not check_answer(q, "blue") and not check_answer(q, "red circle")


def test_every_question_is_answered_by_the_scene():
    for scene in make_scenes(300, seed=0, held_out=False) + make_scenes(100, seed=1, held_out=True):
        objs = scene.objects
        for q in scene.questions():
            assert q.answer in images.ANSWERS[q.kind]
            if q.kind == "count":
                assert q.answer == images.NUMBERS[len(objs)]
            elif q.kind == "shape":
                pos = q.text[len("What shape is at the "):-1]
                assert scene.cells[POSITIONS.index(pos)][1] == q.answer
            else:
                shape = q.text[len("What colour is the "):-1]
                matches = [c for c, s, _ in objs if s == shape]
                assert matches == [q.answer]                            # asked only when the shape is unique


def test_held_out_combinations_are_absent_from_training():
    assert len(HELD_OUT) == 4 and {c for c, _ in HELD_OUT} == set(COLOURS) and {s for _, s in HELD_OUT} == set(SHAPES)
    sp = image_splits(500, 100, seed=2)
    for name in ("train", "test"):
        assert not any((c, s) in HELD_OUT for scene in sp[name] for c, s, _ in scene.objects)
    assert all(sum((c, s) in HELD_OUT for c, s, _ in scene.objects) == 1 for scene in sp["unseen"])
    assert not set(sp["test"]) & set(sp["train"])
    assert len(sp["test"]) == 100 and len(sp["unseen"]) == 100


@pytest.mark.parametrize("kwargs, name", [({"n": -1}, "n"), ({"n": 2.0}, "n"), ({"n": 3, "seed": -2}, "seed"),
                                          ({"n": 3, "min_shapes": 0}, "min_shapes"),
                                          ({"n": 3, "min_shapes": 3, "max_shapes": 2}, "max_shapes"),
                                          ({"n": 3, "max_shapes": 5}, "max_shapes")])
def test_make_scenes_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        make_scenes(**kwargs)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="n_train"):
        image_splits(0, 10)
    with pytest.raises(ValueError, match="n_test"):
        image_splits(10, True)
    with pytest.raises(ValueError, match="noise"):
        render(make_scenes(2), noise=2.0)
    with pytest.raises(ValueError, match="scenes"):
        render([np.zeros(3)])
    with pytest.raises(ValueError, match="cells"):
        Scene((("purple", "circle"), None, None, None))
    with pytest.raises(ValueError, match="cells"):
        Scene((None, None))
    with pytest.raises(ValueError, match="question"):
        check_answer("What?", "red")
    with pytest.raises(ValueError, match="text"):
        check_answer(Question("count", "How many shapes?", "one"), 1)
