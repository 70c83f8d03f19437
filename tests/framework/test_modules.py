"""The framework's API contract: shapes, dtypes, param(), accumulation, errors."""

from pathlib import Path

import pytest
import torch

import reference.framework as fw
from autograder.checks.source import forbidden_uses

FRAMEWORK = Path(fw.__file__).parent


def test_only_tensor_operations():
    findings = [f for path in FRAMEWORK.glob("*.py") for f in forbidden_uses(path.read_text(), path.name)]
    assert findings == []


def test_exports_the_contract():
    for name in ("Module", "Linear", "ReLU", "Tanh", "Sigmoid", "NoActivation", "Identity", "Sequential",
                 "MSELoss", "SGD", "train", "accuracy", "save", "load", "generate_disk_set"):  # fmt: skip
        assert hasattr(fw, name), name
    assert fw.Identity is fw.NoActivation


def test_linear_shapes_and_initialisation():
    torch.manual_seed(0)
    layer = fw.Linear(100, 7)
    assert layer.weight.shape == (7, 100) and layer.bias.shape == (7,)
    assert layer.weight.abs().max() <= 0.1 and layer.bias.abs().max() <= 0.1
    assert layer.weight.std() == pytest.approx(0.1 / 3**0.5, rel=0.1)  # std of U(-k, k) is k / sqrt(3)
    assert [tuple(p.shape) for p, _ in fw.Linear(3, 2, bias=False).param()] == [(2, 3)]


def test_bias_does_not_depend_on_batch_size():
    layer = fw.Linear(2, 3)
    x = torch.rand(5, 2)
    assert torch.allclose(layer(x)[:1], layer(x[:1]))
    assert layer.bias.shape == (3,)


def test_linear_rejects_wrong_width():
    with pytest.raises(ValueError, match=r"Linear\(2, 25\).*\(N, 2\).*\(10, 3\)"):
        fw.Linear(2, 25)(torch.rand(10, 3))


@pytest.mark.parametrize("arguments", [(0, 2), (2, -1), (2.5, 3), (True, 3)])
def test_linear_rejects_bad_sizes(arguments):
    with pytest.raises(ValueError, match="positive integer"):
        fw.Linear(*arguments)


@pytest.mark.parametrize("module", [fw.Linear(2, 2), fw.ReLU(), fw.Tanh(), fw.Sigmoid(), fw.MSELoss()], ids=repr)
def test_backward_before_forward_is_a_clear_error(module):
    arguments = () if isinstance(module, fw.MSELoss) else (torch.ones(1, 2),)
    with pytest.raises(RuntimeError, match=r"backward\(\) was called before forward\(\)"):
        module.backward(*arguments)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_modules_keep_the_dtype(dtype):
    net = fw.Sequential(fw.Linear(2, 4, dtype=dtype), fw.ReLU(), fw.Linear(4, 3, dtype=dtype), fw.Tanh(),
                        fw.Linear(3, 2, dtype=dtype), fw.Sigmoid(), fw.NoActivation())  # fmt: skip
    x = torch.rand(5, 2, dtype=dtype)
    y = net(x)
    assert y.dtype == dtype
    assert net.backward(torch.ones_like(y)).dtype == dtype
    assert all(grad.dtype == dtype for _, grad in net.param())


def test_works_with_autograd_disabled_globally():
    previous = torch.is_grad_enabled()
    torch.set_grad_enabled(False)
    try:
        data = fw.generate_disk_set(100, seed=0)
        net = fw.Sequential(fw.Linear(2, 8), fw.ReLU(), fw.Linear(8, 2))
        history = fw.train(net, data.train_input, data.train_target, epochs=3, batch_size=10, lr=0.1, seed=0)
        assert len(history.loss) == 3
    finally:
        torch.set_grad_enabled(previous)


def test_sigmoid_is_stable_at_extremes():
    for dtype in (torch.float32, torch.float64):
        s = torch.tensor([-1e4, -745.0, -100.0, 0.0, 100.0, 1e4], dtype=dtype)
        sigmoid = fw.Sigmoid()
        y = sigmoid(s)
        grad = sigmoid.backward(torch.ones_like(s))
        assert torch.isfinite(y).all() and torch.isfinite(grad).all()
        assert torch.allclose(y, torch.sigmoid(s))


def test_gradients_accumulate_until_zero_grad():
    net = fw.Sequential(fw.Linear(3, 4), fw.Tanh(), fw.Linear(4, 1))
    x = torch.rand(6, 3)
    net(x)
    net.backward(torch.ones(6, 1))
    once = [grad.clone() for _, grad in net.param()]
    net(x)
    net.backward(torch.ones(6, 1))
    assert all(torch.allclose(grad, 2 * first) for (_, grad), first in zip(net.param(), once, strict=True))
    net.zero_grad()
    assert all(not grad.any() for _, grad in net.param())


def test_param_pairs_have_equal_shapes_and_concatenate_in_order():
    first, second = fw.Linear(2, 3), fw.Linear(3, 1, bias=False)
    net = fw.Sequential(first, fw.ReLU(), second)
    assert net.param() == first.param() + second.param() or all(
        a is c and b is d for (a, b), (c, d) in zip(net.param(), first.param() + second.param(), strict=True)
    )
    assert all(p.shape == g.shape for p, g in net.param())
    assert fw.ReLU().param() == []


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="argument 1 is a int, not a Module"):
        fw.Sequential(fw.Linear(2, 2), 3)


def test_mse_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"same shape.*\(4, 1\) and \(4,\)"):
        fw.MSELoss()(torch.zeros(4, 1), torch.zeros(4))


def test_sgd_with_momentum_matches_torch():
    torch.manual_seed(0)
    ours = torch.randn(3, 2, dtype=torch.float64)
    grad = torch.zeros_like(ours)
    theirs = ours.clone().requires_grad_()
    optimizer = fw.SGD([(ours, grad)], lr=0.1, momentum=0.9)
    reference = torch.optim.SGD([theirs], lr=0.1, momentum=0.9)
    for _ in range(5):
        step_grad = torch.randn(3, 2, dtype=torch.float64)
        grad.copy_(step_grad)
        theirs.grad = step_grad.clone()
        optimizer.step()
        reference.step()
    assert torch.allclose(ours, theirs.detach(), rtol=0, atol=1e-12)


@pytest.mark.parametrize(("lr", "momentum"), [(0, 0), (-1, 0), (0.1, 1.0), (0.1, -0.5)])
def test_sgd_rejects_bad_hyperparameters(lr, momentum):
    with pytest.raises(ValueError):
        fw.SGD(fw.Linear(2, 2).param(), lr=lr, momentum=momentum)


def test_repr_shows_constructor_arguments():
    assert repr(fw.Linear(2, 25)) == "Linear(in_features=2, out_features=25, bias=True)"
    assert "(1): ReLU()" in repr(fw.Sequential(fw.Linear(2, 2), fw.ReLU()))
