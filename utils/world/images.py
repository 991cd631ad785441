"""Small images of coloured shapes on a grid, with captions and checkable questions (the VLM).

An image is ``IMAGE_SIZE`` x ``IMAGE_SIZE`` RGB pixels, a 2 x 2 grid of cells; each cell is
empty or holds one shape (:data:`SHAPES`) in one colour (:data:`COLOURS`). A :class:`Scene`
says what is where; :func:`render` draws scenes into a float tensor ``(N, 3, H, W)`` in
``[0, 1]`` (all scenes at once, from precomputed shape masks), and a scene writes its own
caption and questions::

    scene.caption      # 'a red circle top left and a blue square bottom right'
    scene.questions()  # What colour is the circle? -> red; What shape is at the top left? -> circle;
                       # How many shapes? -> two

Every question has a one-word answer that :func:`check_answer` checks by program. Four
shape-colour combinations (:data:`HELD_OUT`, each shape and each colour once) never appear
in a training image: :func:`image_splits` returns ``train`` and ``test`` scenes drawn from
the other twelve combinations (no test scene is also a training scene) and ``unseen`` scenes
that each hold exactly one held-out combination, so a test can ask about a green triangle
that no training image showed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .._validate import check_fraction, check_int

SHAPES = ("circle", "square", "triangle", "cross")
COLOURS = ("red", "green", "blue", "yellow")
POSITIONS = ("top left", "top right", "bottom left", "bottom right")   # cells in row-major order
NUMBERS = ("zero", "one", "two", "three", "four")
GRID = 2                       # cells per side
CELL = 12                      # pixels per cell side
IMAGE_SIZE = GRID * CELL
RGB = {"red": (0.86, 0.16, 0.16), "green": (0.16, 0.66, 0.22),
       "blue": (0.16, 0.32, 0.88), "yellow": (0.96, 0.82, 0.10)}
BACKGROUND = 1.0               # white
#: (colour, shape) pairs never drawn in training images: each colour once, each shape once.
HELD_OUT = frozenset({("red", "cross"), ("green", "triangle"), ("blue", "circle"), ("yellow", "square")})
SEEN = tuple((c, s) for c in COLOURS for s in SHAPES if (c, s) not in HELD_OUT)
QUESTION_KINDS = ("colour", "shape", "count")
ANSWERS = {"colour": COLOURS, "shape": SHAPES, "count": NUMBERS[1:GRID * GRID]}

Cell = tuple[str, str] | None   # (colour, shape), or None for an empty cell


@dataclass(frozen=True)
class Question:
    kind: str            # "colour", "shape" or "count"
    text: str
    answer: str          # one word
    about: Cell = None   # the (colour, shape) the question is about (None for "count")


@dataclass(frozen=True)
class Scene:
    cells: tuple          # one Cell per position of POSITIONS

    def __post_init__(self):
        if not isinstance(self.cells, tuple) or len(self.cells) != GRID * GRID:
            raise ValueError(f"cells must be a tuple of {GRID * GRID} cells, got {self.cells!r}")
        for c in self.cells:
            if c is not None and (not isinstance(c, tuple) or len(c) != 2 or c[0] not in COLOURS or c[1] not in SHAPES):
                raise ValueError(f"cells must hold None or a (colour, shape) pair from {COLOURS} x {SHAPES}, got {c!r}")

    @property
    def objects(self) -> list[tuple[str, str, str]]:
        """(colour, shape, position) of every shape, in reading order."""
        return [(c[0], c[1], p) for c, p in zip(self.cells, POSITIONS) if c is not None]

    @property
    def caption(self) -> str:
        parts = [f"a {colour} {shape} {pos}" for colour, shape, pos in self.objects]
        if not parts:
            return "an empty grid"
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    def questions(self) -> list[Question]:
        """Every question the scene answers unambiguously: the colour of each shape that occurs
        once, the shape in each occupied cell, and the number of shapes."""
        objs = self.objects
        shapes = [s for _, s, _ in objs]
        out = [Question("colour", f"What colour is the {s}?", c, (c, s)) for c, s, _ in objs if shapes.count(s) == 1]
        out += [Question("shape", f"What shape is at the {p}?", s, (c, s)) for c, s, p in objs]
        out.append(Question("count", "How many shapes?", NUMBERS[len(objs)]))
        return out


def check_answer(question: Question, text: str) -> bool:
    """Whether a model's answer ``text`` is the question's one-word answer (case, spaces and a
    final full stop ignored)."""
    if not isinstance(question, Question):
        raise ValueError(f"question must be a Question, got {type(question).__name__}")
    if not isinstance(text, str):
        raise ValueError(f"text must be a string, got {type(text).__name__}")
    return text.strip().rstrip(".").strip().lower() == question.answer


def _random_scenes(rng: np.random.Generator, n: int, min_shapes: int, max_shapes: int, combos: list) -> list[Scene]:
    counts = rng.integers(min_shapes, max_shapes + 1, size=n)
    order = rng.permuted(np.tile(np.arange(GRID * GRID), (n, 1)), axis=1)   # a random cell order per scene
    picks = rng.integers(len(combos), size=(n, GRID * GRID))
    scenes = []
    for k, cells_order, pick in zip(counts, order, picks):
        cells = [None] * (GRID * GRID)
        for cell, j in zip(cells_order[:k], pick[:k]):
            cells[cell] = combos[j]
        scenes.append(Scene(tuple(cells)))
    return scenes


def make_scenes(n: int, seed: int = 0, min_shapes: int = 1, max_shapes: int = 3, held_out: bool = False) -> list[Scene]:
    """``n`` random scenes of ``min_shapes``..``max_shapes`` shapes. With ``held_out=False``
    only the combinations of :data:`SEEN` are drawn; with ``held_out=True`` every scene holds
    exactly one combination of :data:`HELD_OUT` and its other shapes are seen ones."""
    n = check_int("n", n, low=0)
    seed = check_int("seed", seed, low=0)
    min_shapes = check_int("min_shapes", min_shapes, low=1, high=GRID * GRID)
    max_shapes = check_int("max_shapes", max_shapes, low=min_shapes, high=GRID * GRID)
    rng = np.random.default_rng(seed)
    scenes = _random_scenes(rng, n, min_shapes, max_shapes, list(SEEN))
    if not held_out:
        return scenes
    novel = sorted(HELD_OUT)
    out = []
    for scene, j in zip(scenes, rng.integers(len(novel), size=n)):
        occupied = [i for i, c in enumerate(scene.cells) if c is not None]
        cells = list(scene.cells)
        cells[occupied[rng.integers(len(occupied))]] = novel[j]   # one shape becomes a held-out combination
        out.append(Scene(tuple(cells)))
    return out


def image_splits(n_train: int, n_test: int, n_unseen: int | None = None, seed: int = 0,
                 min_shapes: int = 1, max_shapes: int = 3) -> dict[str, list[Scene]]:
    """Scenes for ``train`` and ``test`` (seen combinations only; no test scene is a training
    scene) and ``unseen`` (each with one held-out combination; ``n_unseen`` defaults to
    ``n_test``)."""
    n_train = check_int("n_train", n_train, low=1)
    n_test = check_int("n_test", n_test, low=1)
    n_unseen = n_test if n_unseen is None else check_int("n_unseen", n_unseen, low=0)
    seed = check_int("seed", seed, low=0)
    train = make_scenes(n_train, seed=seed, min_shapes=min_shapes, max_shapes=max_shapes)
    known = set(train)
    test, extra = [], 0
    while len(test) < n_test:       # draw more until n_test scenes outside the training set
        fresh = make_scenes(2 * n_test, seed=seed + 1_000_003 + extra, min_shapes=min_shapes, max_shapes=max_shapes)
        test += [s for s in fresh if s not in known][:n_test - len(test)]
        extra += 1
        if extra > 50:
            raise ValueError("n_test is too large: too few scenes remain outside the training set")
    unseen = make_scenes(n_unseen, seed=seed + 2_000_003, min_shapes=min_shapes, max_shapes=max_shapes, held_out=True)
    return {"train": train, "test": test, "unseen": unseen}


def _shape_masks() -> np.ndarray:
    """Masks (len(SHAPES), CELL, CELL) of the shapes, 1 inside."""
    yy, xx = np.mgrid[0:CELL, 0:CELL] + 0.5
    c, r = CELL / 2, CELL * 0.36
    circle = (xx - c) ** 2 + (yy - c) ** 2 <= r ** 2
    square = (np.abs(xx - c) <= r * 0.85) & (np.abs(yy - c) <= r * 0.85)
    top, bottom = c - r, c + r                                  # an upward triangle
    triangle = (yy >= top) & (yy <= bottom) & (np.abs(xx - c) <= (yy - top) / (bottom - top) * r)
    arm = CELL * 0.13
    cross = ((np.abs(xx - c) <= arm) & (np.abs(yy - c) <= r)) | ((np.abs(yy - c) <= arm) & (np.abs(xx - c) <= r))
    return np.stack([circle, square, triangle, cross]).astype(np.float32)


_MASKS = _shape_masks()


def render(scenes: list[Scene], noise: float = 0.03, seed: int = 0) -> torch.Tensor:
    """Draw ``scenes`` into a float tensor ``(N, 3, IMAGE_SIZE, IMAGE_SIZE)`` in ``[0, 1]``,
    with Gaussian pixel noise of standard deviation ``noise`` (seeded)."""
    if not isinstance(scenes, (list, tuple)) or not all(isinstance(s, Scene) for s in scenes):
        raise ValueError("scenes must be a list of Scene")
    noise = check_fraction("noise", noise)
    seed = check_int("seed", seed, low=0)
    n = len(scenes)
    shape = np.array([[SHAPES.index(c[1]) + 1 if c else 0 for c in s.cells] for s in scenes], dtype=np.int64).reshape(n, -1)
    colour = np.array([[COLOURS.index(c[0]) if c else 0 for c in s.cells] for s in scenes], dtype=np.int64).reshape(n, -1)
    masks = np.concatenate([np.zeros((1, CELL, CELL), np.float32), _MASKS])[shape]        # (N, cells, CELL, CELL)
    rgb = np.array([RGB[c] for c in COLOURS], dtype=np.float32)[colour]                   # (N, cells, 3)
    cells = BACKGROUND + masks[:, :, None] * (rgb[:, :, :, None, None] - BACKGROUND)       # (N, cells, 3, CELL, CELL)
    img = cells.reshape(n, GRID, GRID, 3, CELL, CELL).transpose(0, 3, 1, 4, 2, 5).reshape(n, 3, IMAGE_SIZE, IMAGE_SIZE)
    if noise > 0:
        img = img + noise * np.random.default_rng(seed).standard_normal(img.shape, dtype=np.float32)
    return torch.from_numpy(np.clip(img, 0.0, 1.0).astype(np.float32))
