"""Every module's backward against central differences, and against PyTorch's autograd."""

import pytest
import torch

from autograder.checks.gradients import numeric_gradient, relative_error
from reference.framework import Linear, MSELoss, NoActivation, ReLU, Sequential, Sigmoid, Tanh

TOLERANCE = 1e-6  # ||analytic - numeric|| / (||analytic|| + ||numeric||), float64, h = 1e-6


def away_from_zero(*shape):
    """Float64 values with |x| >= 0.1, so that ReLU's kink is never straddled."""
    x = torch.randn(*shape, dtype=torch.float64)
    return torch.where(x >= 0, x + 0.1, x - 0.1)


def gradient_errors(module, x):
    """Relative errors of the input gradient and of each parameter gradient of sum(module(x) * R)."""
    projection = torch.randn(module(x).shape, dtype=torch.float64)
    module.zero_grad()
    module(x)
    analytic = [module.backward(projection)] + [grad.clone() for _, grad in module.param()]
    tensors = [x] + [parameter for parameter, _ in module.param()]
    return [
        relative_error(a, numeric_gradient(lambda: (module(x) * projection).sum(), t))
        for a, t in zip(analytic, tensors, strict=True)
    ]


@pytest.mark.parametrize(
    "module",
    [ReLU(), Tanh(), Sigmoid(), NoActivation(), Linear(4, 3, dtype=torch.float64),
     Linear(4, 3, bias=False, dtype=torch.float64)],
    ids=repr,
)  # fmt: skip
def test_module_gradients(module):
    torch.manual_seed(0)
    errors = gradient_errors(module, away_from_zero(5, 4))
    assert max(errors) < TOLERANCE, errors


def epfl_network(activation):
    return Sequential(
        Linear(2, 25, dtype=torch.float64), activation(),
        Linear(25, 25, dtype=torch.float64), activation(),
        Linear(25, 25, dtype=torch.float64), activation(),
        Linear(25, 2, dtype=torch.float64), NoActivation(),
    )  # fmt: skip


@pytest.mark.parametrize("activation", [ReLU, Tanh, Sigmoid])
def test_network_gradients_with_mse(activation):
    torch.manual_seed(0)
    net, criterion = epfl_network(activation), MSELoss()
    x = torch.rand(10, 2, dtype=torch.float64)
    target = torch.eye(2, dtype=torch.float64)[torch.randint(0, 2, (10,))]

    def loss():
        return criterion(net(x), target)

    net.zero_grad()
    loss()
    analytic = [net.backward(criterion.backward())] + [grad.clone() for _, grad in net.param()]
    tensors = [x] + [parameter for parameter, _ in net.param()]
    errors = [relative_error(a, numeric_gradient(loss, t)) for a, t in zip(analytic, tensors, strict=True)]
    assert max(errors) < TOLERANCE, errors


def test_mse_gradient():
    prediction, target = torch.randn(6, 2, dtype=torch.float64), torch.randn(6, 2, dtype=torch.float64)
    criterion = MSELoss()
    criterion(prediction, target)
    analytic = criterion.backward()
    numeric = numeric_gradient(lambda: criterion(prediction, target), prediction)
    assert relative_error(analytic, numeric) < TOLERANCE


def torch_copy(network):
    """The same network in torch.nn, with the same weights."""
    layers = []
    for module in network:
        if isinstance(module, Linear):
            layer = torch.nn.Linear(module.in_features, module.out_features, dtype=torch.float64)
            with torch.no_grad():
                layer.weight.copy_(module.weight)
                layer.bias.copy_(module.bias)
            layers.append(layer)
        elif not isinstance(module, NoActivation):
            layers.append(getattr(torch.nn, type(module).__name__)())
    return torch.nn.Sequential(*layers)


@pytest.mark.parametrize("activation", [ReLU, Tanh, Sigmoid])
def test_agrees_with_torch_autograd(activation):
    """Same weights: outputs, input gradients and parameter gradients match torch.nn to 1e-10."""
    torch.manual_seed(0)
    ours, criterion = epfl_network(activation), MSELoss()
    theirs = torch_copy(ours)
    x = torch.rand(32, 2, dtype=torch.float64)
    target = torch.eye(2, dtype=torch.float64)[torch.randint(0, 2, (32,))]

    ours.zero_grad()
    output = ours(x)
    loss = criterion(output, target)
    grad_input = ours.backward(criterion.backward())

    torch_x = x.clone().requires_grad_()
    torch_output = theirs(torch_x)
    torch_loss = torch.nn.functional.mse_loss(torch_output, target)
    torch_loss.backward()

    assert torch.allclose(output, torch_output, rtol=0, atol=1e-10)
    assert abs(loss.item() - torch_loss.item()) < 1e-10
    assert torch.allclose(grad_input, torch_x.grad, rtol=0, atol=1e-10)
    torch_linears = [layer for layer in theirs if isinstance(layer, torch.nn.Linear)]
    for layer, torch_layer in zip([m for m in ours if isinstance(m, Linear)], torch_linears, strict=True):
        assert torch.allclose(layer.weight_grad, torch_layer.weight.grad, rtol=0, atol=1e-10)
        assert torch.allclose(layer.bias_grad, torch_layer.bias.grad, rtol=0, atol=1e-10)
