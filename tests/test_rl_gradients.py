import pytest
import torch

from utils.rl import flat_grad, gradient_spread, mean_gap


def test_flat_grad_matches_backward_and_fills_unused_parameters():
    torch.manual_seed(0)
    lin, unused = torch.nn.Linear(3, 2), torch.nn.Parameter(torch.ones(4))
    x = torch.randn(5, 3)
    loss = lin(x).pow(2).mean()
    g = flat_grad(loss, list(lin.parameters()) + [unused])
    lin(x).pow(2).mean().backward()
    want = torch.cat([lin.weight.grad.flatten(), lin.bias.grad.flatten(), torch.zeros(4)])
    assert torch.allclose(g, want) and g.shape == (2 * 3 + 2 + 4,)
    with pytest.raises(ValueError, match="loss"):
        flat_grad(lin(x), lin.parameters())
    with pytest.raises(ValueError, match="params"):
        flat_grad(lin(x).sum(), [])


def test_gradient_spread_and_mean_gap():
    torch.manual_seed(0)
    a = torch.randn(4000, 3) * torch.tensor([1.0, 2.0, 3.0])
    s = gradient_spread(a)
    assert s["variance"] == pytest.approx(14.0, rel=0.05)
    assert s["noise"] == pytest.approx((14.0 / 4000) ** 0.5, rel=0.05)
    assert mean_gap(a + 0.0, a) == 0.0
    assert mean_gap(torch.randn(4000, 3) * torch.tensor([1.0, 2.0, 3.0]), a) < 4
    assert mean_gap(a + 1.0, a) > 10          # a shifted mean is far outside the noise
    with pytest.raises(ValueError, match="samples"):
        gradient_spread(torch.randn(1, 3))
    with pytest.raises(ValueError, match="same d"):
        mean_gap(torch.randn(5, 3), torch.randn(5, 2))
