import pytest
import torch

from utils.distributed import make_batch, make_net, run_data_parallel, single_process


def test_single_process_is_deterministic():
    a, b = single_process(8, seed=1), single_process(8, seed=1)
    assert all(torch.equal(x, y) for x, y in zip(a["grads"], b["grads"]))
    assert len(a["grads"]) == len(list(make_net(1).parameters()))
    x, y = make_batch(8, seed=1)
    assert x.shape == (8, 64) and y.shape == (8, 1)


def test_two_gloo_processes_give_the_full_batch_gradient():
    ref = single_process(16, seed=0)
    both = run_data_parallel(("ddp", "fsdp"), world_size=2, batch=16, seed=0, steps=1)
    for mode, out in both.items():
        assert max((a - b).abs().max().item() for a, b in zip(out["grads"], ref["grads"])) < 1e-6, mode
        assert out["seconds"] > 0


def test_bad_input():
    with pytest.raises(ValueError, match="mode"):
        run_data_parallel("zero3")
    with pytest.raises(ValueError, match="batch"):
        run_data_parallel("ddp", world_size=2, batch=5)
    with pytest.raises(ValueError, match="world_size"):
        run_data_parallel("ddp", world_size=0)
    with pytest.raises(ValueError, match="backend"):
        run_data_parallel("ddp", world_size=1, batch=2, backend="mpi")
