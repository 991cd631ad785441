"""Tic-tac-toe for the reasoning chapter's search notebooks (MCTS, AlphaGo Zero in miniature).

A position is a tuple of 9 ints, row-major, ``+1`` for X, ``-1`` for O, ``0`` for empty.
X moves first, so the player to move follows from the counts. The functions are pure and
positions are hashable, which is what memoised search needs:

* ``to_move(board)``, ``legal_moves(board)``, ``play(board, move)``, ``winner(board)``;
* ``result(board)``: ``None`` while the game goes on, else the outcome for X (+1, 0, -1);
* ``solve(board)``: the exact minimax value *for the player to move*, memoised
  (taught in ``chapters/08-reasoning/03-mcts``); ``best_moves(board)`` the moves that keep it;
* ``SYMMETRIES``: the 8 symmetries of the square as index permutations of the 9 cells;
* ``TicTacToeEnv``: the game written to the ``gymnasium.Env`` API (two players alternate
  on one board; the reward is for the player who just moved);
* ``draw_board(ax, board)``: a small matplotlib drawing of a position.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np

try:  # gymnasium is a dependency of the book; keep the import error readable if it is absent
    import gymnasium as gym
    from gymnasium import spaces
except ImportError as err:  # pragma: no cover
    raise ImportError("utils.games needs gymnasium: pip install gymnasium") from err

EMPTY: tuple[int, ...] = (0,) * 9
#: The 8 lines of three cells that win.
LINES = ((0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6))


def _symmetries() -> np.ndarray:
    grid = np.arange(9).reshape(3, 3)
    out = []
    for k in range(4):
        r = np.rot90(grid, k)
        out += [r.flatten(), np.fliplr(r).flatten()]
    return np.array(out)


#: ``board[SYMMETRIES[i]]`` is the board under symmetry ``i``; row 0 is the identity.
SYMMETRIES: np.ndarray = _symmetries()


def check_board(board) -> tuple[int, ...]:
    """Validate a position and return it as a tuple (clear errors naming ``board``)."""
    try:
        b = tuple(int(v) for v in board)
    except (TypeError, ValueError) as err:
        raise ValueError(f"board must be 9 cells in {{-1, 0, 1}}, got {board!r}") from err
    if len(b) != 9 or any(v not in (-1, 0, 1) for v in b):
        raise ValueError(f"board must be 9 cells in {{-1, 0, 1}}, got {board!r}")
    nx, no = b.count(1), b.count(-1)
    if nx - no not in (0, 1):
        raise ValueError(f"board has {nx} X and {no} O: X moves first, so X count - O count must be 0 or 1")
    return b


def to_move(board: Sequence[int]) -> int:
    """+1 if X is to move, -1 if O is."""
    return 1 if sum(board) == 0 else -1


def winner(board: Sequence[int]) -> int:
    """+1 or -1 if that player has three in a line, else 0."""
    for a, b, c in LINES:
        s = board[a] + board[b] + board[c]
        if s == 3 or s == -3:
            return s // 3
    return 0


def result(board: Sequence[int]) -> int | None:
    """``None`` if the game goes on, else the outcome for X: +1 win, 0 draw, -1 loss."""
    w = winner(board)
    if w != 0:
        return w
    return 0 if 0 not in board else None


def legal_moves(board: Sequence[int]) -> list[int]:
    """Empty cells (none once the game is over)."""
    if result(board) is not None:
        return []
    return [i for i, v in enumerate(board) if v == 0]


def play(board: tuple[int, ...], move: int) -> tuple[int, ...]:
    """The position after the player to move puts a mark on ``move``."""
    if isinstance(move, bool) or not isinstance(move, (int, np.integer)) or not 0 <= move < 9:
        raise ValueError(f"move must be a cell index 0..8, got {move!r}")
    if board[move] != 0:
        raise ValueError(f"move {move} is not legal: the cell is taken")
    if result(board) is not None:
        raise ValueError("move played after the game is over")
    b = list(board)
    b[move] = to_move(board)
    return tuple(b)


@lru_cache(maxsize=None)
def _solve(board: tuple[int, ...]) -> int:
    r = result(board)
    if r is not None:
        return r * to_move(board)           # the outcome seen by the player to move
    return max(-_solve(play(board, m)) for m in legal_moves(board))


def solve(board) -> int:
    """Exact minimax (negamax) value for the player to move: +1 win, 0 draw, -1 loss."""
    return _solve(check_board(board))


def best_moves(board) -> list[int]:
    """The legal moves that keep the minimax value (all of them are perfect play)."""
    b = check_board(board)
    v = solve(b)
    return [m for m in legal_moves(b) if -solve(play(b, m)) == v]


def all_positions() -> list[tuple[int, ...]]:
    """Every position reachable from the empty board (5478 of them), in breadth-first order."""
    seen, frontier = {EMPTY}, [EMPTY]
    out = []
    while frontier:
        out += frontier
        nxt = []
        for b in frontier:
            for m in legal_moves(b):
                c = play(b, m)
                if c not in seen:
                    seen.add(c)
                    nxt.append(c)
        frontier = nxt
    return out


class TicTacToeEnv(gym.Env):
    """Tic-tac-toe on the ``gymnasium.Env`` API, two players on one board.

    The observation is the board as an ``int8`` array (+1 X, -1 O, 0 empty); ``info``
    carries ``to_move`` and the ``legal`` mask. ``step(action)`` plays ``action`` for the
    player to move; the reward is +1 if that move wins, 0 otherwise (a player's loss is the
    other's win). An illegal move raises ``ValueError``.
    """

    metadata = {"render_modes": ["ansi"]}

    def __init__(self, render_mode: str | None = None):
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        self.render_mode = render_mode
        self.observation_space = spaces.Box(-1, 1, shape=(9,), dtype=np.int8)
        self.action_space = spaces.Discrete(9)
        self.board = EMPTY

    def _obs(self):
        legal = np.zeros(9, dtype=bool)
        legal[legal_moves(self.board)] = True
        return np.array(self.board, dtype=np.int8), {"to_move": to_move(self.board), "legal": legal}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        start = (options or {}).get("board", EMPTY)
        self.board = check_board(start)
        return self._obs()

    def step(self, action):
        if result(self.board) is not None:
            raise RuntimeError("step called after the game ended; call reset()")
        mover = to_move(self.board)
        self.board = play(self.board, int(action))
        r = result(self.board)
        obs, info = self._obs()
        return obs, float(r == mover) if r is not None else 0.0, r is not None, False, info

    def render(self):
        marks = {1: "X", -1: "O", 0: "."}
        return "\n".join("".join(marks[v] for v in self.board[i:i + 3]) for i in (0, 3, 6))


def draw_board(ax, board, *, title: str = "", values: dict | None = None) -> None:
    """Draw a position on ``ax``; ``values`` (cell -> text) labels empty cells, e.g. their values."""
    b = check_board(board)
    ax.set_xlim(0, 3), ax.set_ylim(3, 0), ax.set_aspect("equal")
    ax.set_xticks([]), ax.set_yticks([])
    for k in (1, 2):
        ax.plot([k, k], [0, 3], color="#4A4A4A", lw=1.5), ax.plot([0, 3], [k, k], color="#4A4A4A", lw=1.5)
    for s in ax.spines.values():
        s.set_visible(False)
    for i, v in enumerate(b):
        r, c = divmod(i, 3)
        if v:
            ax.text(c + 0.5, r + 0.5, "X" if v == 1 else "O", ha="center", va="center", fontsize=20,
                    color="#1F7FB0" if v == 1 else "#C2475B", fontweight="bold")
        elif values is not None and i in values:
            ax.text(c + 0.5, r + 0.5, str(values[i]), ha="center", va="center", fontsize=9, color="#4A4A4A")
    if title:
        ax.set_title(title, fontsize=9)
