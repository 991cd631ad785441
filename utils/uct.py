"""Monte Carlo tree search with UCT selection and random rollouts, on tic-tac-toe (``utils.games``).

Taught step by step in ``chapters/08-reasoning/03-mcts`` (which asserts that its inline
version grows the same tree as this one); used again in ``05-alphago-zero`` as the
classical search player that has no network.

Each iteration runs the four steps: **selection** (descend with the UCT rule while the
node is fully expanded), **expansion** (add one untried child, chosen at random),
**simulation** (play uniformly random moves to the end), **backpropagation** (add the
outcome to every node on the path, each from the point of view of the player who made
the move into it).
"""
from __future__ import annotations

import math

import numpy as np

from . import games
from ._validate import check_int


class Node:
    """A position in the tree: ``N`` visits and ``W`` total outcome for the player who moved into it."""

    __slots__ = ("board", "parent", "move", "children", "untried", "N", "W")

    def __init__(self, board: tuple[int, ...], parent: "Node | None" = None, move: int | None = None):
        self.board, self.parent, self.move = board, parent, move
        self.children: list[Node] = []
        self.untried = games.legal_moves(board)
        self.N, self.W = 0, 0.0


def uct_score(child: Node, c: float) -> float:
    """Mean outcome plus the exploration bonus ``c * sqrt(ln N_parent / N_child)``."""
    return child.W / child.N + c * math.sqrt(math.log(child.parent.N) / child.N)


def selection(node: Node, c: float) -> Node:
    while not node.untried and node.children:
        node = max(node.children, key=lambda ch: uct_score(ch, c))
    return node


def expansion(node: Node, rng: np.random.Generator) -> Node:
    if not node.untried:                       # a finished game: nothing to expand
        return node
    move = node.untried.pop(int(rng.integers(len(node.untried))))
    child = Node(games.play(node.board, move), node, move)
    node.children.append(child)
    return child


def simulation(board: tuple[int, ...], rng: np.random.Generator) -> int:
    while (r := games.result(board)) is None:
        moves = games.legal_moves(board)
        board = games.play(board, moves[int(rng.integers(len(moves)))])
    return r                                   # outcome for X


def backpropagation(node: Node, outcome: int) -> None:
    while node is not None:
        node.N += 1
        if node.parent is not None:
            node.W += outcome * games.to_move(node.parent.board)
        node = node.parent


def search(board, n_iter: int, c: float = 1.0, rng: np.random.Generator | int | None = None) -> Node:
    """Run ``n_iter`` MCTS iterations from ``board``; returns the root (children carry ``N``, ``W``)."""
    board = games.check_board(board)
    n_iter = check_int("n_iter", n_iter, low=1)
    if isinstance(c, bool) or not isinstance(c, (int, float)) or c < 0:
        raise ValueError(f"c must be a non-negative number, got {c!r}")
    if games.result(board) is not None:
        raise ValueError("board is a finished game: there is nothing to search")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    root = Node(board)
    for _ in range(n_iter):
        leaf = expansion(selection(root, c), rng)
        backpropagation(leaf, simulation(leaf.board, rng))
    return root


def visit_counts(root: Node) -> dict[int, int]:
    """Visits of each root move."""
    return {ch.move: ch.N for ch in root.children}


def best_move(board, n_iter: int, c: float = 1.0, rng: np.random.Generator | int | None = None) -> int:
    """The most visited root move after ``n_iter`` iterations (the usual way to play MCTS's choice)."""
    counts = visit_counts(search(board, n_iter, c, rng))
    return max(counts, key=counts.get)
