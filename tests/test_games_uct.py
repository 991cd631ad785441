import numpy as np
import pytest

from utils import games, uct
from utils.games import EMPTY, TicTacToeEnv, best_moves, legal_moves, play, result, solve


def test_rules_and_results():
    b = EMPTY
    for m in (0, 3, 1, 4):
        b = play(b, m)
    assert games.to_move(b) == 1 and result(b) is None
    b = play(b, 2)                                   # X: 0, 1, 2
    assert games.winner(b) == 1 and result(b) == 1 and legal_moves(b) == []
    draw = (1, -1, 1, 1, -1, -1, -1, 1, 1)
    assert result(draw) == 0


def test_solve_known_values():
    assert solve(EMPTY) == 0                         # tic-tac-toe is a draw
    assert len(games.all_positions()) == 5478
    b = (1, 1, 0, -1, -1, 0, 0, 0, 0)                # X to move wins at 2
    assert solve(b) == 1 and best_moves(b) == [2]
    b = (0, 1, -1, 1, 0, 0, 0, 0, 0)                 # O to move wins only with the corner 8
    assert solve(b) == 1 and best_moves(b) == [8]


def test_symmetries_preserve_values():
    assert games.SYMMETRIES.shape == (8, 9) and len({tuple(s) for s in games.SYMMETRIES}) == 8
    rng = np.random.default_rng(0)
    positions = games.all_positions()
    for i in rng.choice(len(positions), 50, replace=False):
        b = np.array(positions[i])
        for s in games.SYMMETRIES:
            assert solve(tuple(b[s])) == solve(positions[i])


def test_env_api():
    env = TicTacToeEnv(render_mode="ansi")
    obs, info = env.reset(seed=0)
    assert obs.shape == (9,) and info["to_move"] == 1 and info["legal"].all()
    rewards = []
    for a in (0, 3, 1, 4, 2):
        obs, r, term, trunc, info = env.step(a)
        rewards.append(r)
    assert term and not trunc and rewards == [0, 0, 0, 0, 1.0]
    assert env.render().splitlines()[0] == "XXX"
    with pytest.raises(RuntimeError):
        env.step(5)
    env.reset(options={"board": (1, 0, 0, 0, -1, 0, 0, 0, 0)})
    with pytest.raises(ValueError, match="move 0"):
        env.step(0)


def test_uct_finds_the_winning_move_and_is_reproducible():
    b = (0, 1, -1, 1, 0, 0, 0, 0, 0)
    r1, r2 = uct.search(b, 1500, 1.0, 0), uct.search(b, 1500, 1.0, 0)
    assert uct.visit_counts(r1) == uct.visit_counts(r2)
    assert r1.N == 1500 and sum(uct.visit_counts(r1).values()) == 1500
    assert uct.best_move(b, 1500, 1.0, 1) == 8


@pytest.mark.parametrize("call, word", [
    (lambda: games.solve((0,) * 8), "board"),
    (lambda: games.solve((1, 1, 0, 0, 0, 0, 0, 0, 0)), "X count"),
    (lambda: play(EMPTY, 9), "move"),
    (lambda: uct.search(EMPTY, 0), "n_iter"),
    (lambda: uct.search(EMPTY, 10, c=-1), "c"),
    (lambda: uct.search((1, 1, 1, -1, -1, 0, 0, 0, 0), 10), "finished"),
    (lambda: TicTacToeEnv(render_mode="human"), "render_mode"),
])
def test_clear_errors(call, word):
    with pytest.raises(ValueError, match=word):
        call()


def test_env_passes_gymnasium_checker():
    from gymnasium.utils.env_checker import check_env
    check_env(TicTacToeEnv(), skip_render_check=True)
