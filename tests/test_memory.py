import pytest
import torch
from torch.utils.checkpoint import checkpoint

from utils.memory import forward_bytes, peak_bytes, saved_tensor_bytes


def _net(d=16):
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(d, 4 * d), torch.nn.Tanh(), torch.nn.Linear(4 * d, d))


def test_saved_bytes_attribute_and_dedupe():
    net = _net()
    x = torch.randn(8, 16)
    out, per = saved_tensor_bytes(lambda: net(x).sum(), modules={"fc1": net[0], "tanh": net[1], "fc2": net[2]},
                                  exclude=net.parameters())
    assert out.requires_grad
    assert per["fc1"] == x.nbytes                 # Linear saves its input (its weight is excluded)
    assert per["tanh"] == 8 * 64 * 4              # tanh saves its output
    assert "fc2" not in per                       # fc2's input is tanh's output: the same storage, counted once


def test_saved_bytes_grow_with_batch():
    net = _net()
    _, small = saved_tensor_bytes(lambda: net(torch.randn(4, 16)).sum(), exclude=net.parameters())
    _, big = saved_tensor_bytes(lambda: net(torch.randn(8, 16)).sum(), exclude=net.parameters())
    assert sum(big.values()) == 2 * sum(small.values())


def test_forward_bytes_sees_checkpointing():
    net = _net(64)
    x = torch.randn(256, 64)
    _, plain = forward_bytes(lambda: net(x).sum())
    _, ckpt = forward_bytes(lambda: checkpoint(net, x, use_reentrant=False).sum())
    assert ckpt < plain / 4
    _, per = saved_tensor_bytes(lambda: net(x).sum(), exclude=[*net.parameters(), x])
    assert abs(plain - sum(per.values())) <= 0.05 * plain   # what was saved (the input existed before) is what was held


def test_bad_input():
    with pytest.raises(ValueError, match="run"):
        saved_tensor_bytes(3)
    with pytest.raises(ValueError, match="modules"):
        saved_tensor_bytes(lambda: None, modules={"a": 1})
    with pytest.raises(ValueError, match="run"):
        forward_bytes(None)


def test_peak_bytes_sees_a_freed_buffer():
    def run():
        a = torch.zeros(1000, 1000)          # 4 MB, kept
        b = torch.zeros(2000, 1000)          # 8 MB, freed below: the peak is 12 MB
        del b
        c = torch.zeros(500, 1000)           # 2 MB after the free: 6 MB held at the end
        return a, c
    (a, c), peak, held = peak_bytes(run)
    assert peak == 12_000_000 and held == 6_000_000
    assert forward_bytes(run)[1] == held


def test_peak_bytes_rejects_a_non_callable():
    with pytest.raises(ValueError, match="run"):
        peak_bytes(3)
