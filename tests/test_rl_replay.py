import numpy as np
import pytest

from utils.rl.replay import ReplayBuffer


def _buf(cap=5):
    return ReplayBuffer(cap, obs=(2,), action=((), np.int64), reward=())


def test_add_sample_and_wraparound():
    buf = _buf()
    buf.add(obs=np.zeros((3, 2)), action=np.arange(3), reward=np.ones(3))
    assert len(buf) == 3
    buf.add(obs=np.ones((4, 2)), action=np.arange(3, 7), reward=np.ones(4))
    assert len(buf) == 5                                       # capacity reached
    assert sorted(buf._data["action"]) == [2, 3, 4, 5, 6]    # the two oldest were overwritten
    batch = buf.sample(64, np.random.default_rng(0))
    assert batch["obs"].shape == (64, 2) and batch["action"].dtype == np.int64
    assert set(batch["action"]) <= {2, 3, 4, 5, 6}
    buf.add(obs=np.zeros((9, 2)), action=np.arange(9), reward=np.zeros(9))   # larger than capacity
    assert sorted(buf._data["action"]) == [4, 5, 6, 7, 8]
    buf.add(obs=np.zeros((0, 2)), action=np.zeros(0, np.int64), reward=np.zeros(0))
    assert len(buf) == 5


def test_bad_arguments():
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(0, obs=(2,))
    with pytest.raises(ValueError, match="field"):
        ReplayBuffer(3)
    with pytest.raises(ValueError, match="shape"):
        ReplayBuffer(3, obs=[2])
    buf = _buf()
    with pytest.raises(ValueError, match="empty"):
        buf.sample(2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="fields"):
        buf.add(obs=np.zeros((1, 2)))
    with pytest.raises(ValueError, match="same batch length"):
        buf.add(obs=np.zeros((2, 2)), action=np.zeros(3), reward=np.zeros(2))
    with pytest.raises(ValueError, match="shape"):
        buf.add(obs=np.zeros((2, 3)), action=np.zeros(2), reward=np.zeros(2))
    buf.add(obs=np.zeros((2, 2)), action=np.zeros(2), reward=np.zeros(2))
    with pytest.raises(ValueError, match="batch_size"):
        buf.sample(0, np.random.default_rng(0))
