"""Bad input to utils gets a clear error naming the argument; numpy integers are integers."""
import numpy as np
import pytest
import torch

import utils
from utils.pretraining import held_out_loss, pretrain, pretrain_config
from utils.rl import ReplayBuffer, epsilon_greedy, evaluate_policy


def test_fit_accepts_numpy_integers():
    hist = utils.fit(lambda step: 1.0 / (step + 1), np.int64(3), progress=False)
    assert len(hist.losses) == 3


def test_rng_must_be_a_generator():
    with pytest.raises(ValueError, match="rng"):
        epsilon_greedy(np.zeros((2, 3)), 0.1, rng=0)
    buf = ReplayBuffer(10, obs=(2,))
    buf.add(obs=np.zeros((1, 2)))
    with pytest.raises(ValueError, match="rng"):
        buf.sample(1, rng=np.random)


def test_pretrain_and_held_out_loss_check_their_arguments():
    model = torch.nn.Linear(2, 2)
    blocks = torch.zeros(4, 8, dtype=torch.long)
    with pytest.raises(ValueError, match="cfg"):
        pretrain(model, blocks, {"steps": 3})
    with pytest.raises(ValueError, match="max_steps"):
        pretrain(model, blocks, pretrain_config("quick"), max_steps=0)
    with pytest.raises(ValueError, match="train_blocks"):
        pretrain(model, [[1, 2]], pretrain_config("quick"))
    with pytest.raises(ValueError, match="blocks"):
        held_out_loss(model, torch.zeros(3, dtype=torch.long))


def test_evaluate_policy_closes_an_environment_it_made(monkeypatch):
    import gymnasium as gym

    closed = []
    real_make = gym.make

    def make(*args, **kwargs):
        env = real_make(*args, **kwargs)
        original = env.close
        env.close = lambda: (closed.append(True), original())
        return env

    monkeypatch.setattr(gym, "make", make)
    returns = evaluate_policy("CartPole-v1", lambda obs: 0, n_episodes=np.int64(2))
    assert returns.shape == (2,) and closed
