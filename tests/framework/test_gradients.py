"""Every module's backward against central differences, and against PyTorch's autograd (float64).

The numeric check is vectorised: along a few random directions ``d`` of a tensor ``t``,
the directional derivative ``(f(t + h d) - f(t - h d)) / 2h`` must equal ``<grad, d>``.
"""

import pytest
import torch

from reference.framework import Linear, MSELoss, NoActivation, ReLU, Sequential, Sigmoid, Tanh

TOLERANCE = 1e-6  # |analytic - numeric| / (|analytic| + |numeric|), float64, h = 1e-6
DIRECTIONS = 4


def away_from_zero(*shape):
    """Float64 values with |x| >= 0.1, so that ReLU's kink is never straddled."""
    x = torch.randn(*shape, dtype=torch.float64)
    return torch.where(x >= 0, x + 0.1, x - 0.1)


def directional_error(function, tensor, gradient, h=1e-6):
    """Largest relative error between <gradient, d> and the central difference of ``function`` along d."""
    errors = []
    for _ in range(DIRECTIONS):
        direction = torch.randn_like(tensor)
        tensor += h * direction
        above = function()
        tensor -= 2 * h * direction
        below = function()
        tensor += h * direction
        numeric = (above - below) / (2 * h)
        analytic = (gradient * direction).sum().item()
        errors.append(abs(analytic - numeric) / (abs(analytic) + abs(numeric) + 1e-12))
    return max(errors)


def evaluated(module, function):
    """``function`` run with ``module`` in eval mode, so that the numeric passes save nothing."""

    def run():
        module.eval()
        value = function().item()
        module.train()
        return value

    return run


def gradient_errors(module, x):
    """Relative errors of the input gradient and of each parameter gradient of sum(module(x) * R)."""
    projection = torch.randn(module(x).shape, dtype=torch.float64)
    module.eval().train()  # forget the shape probe's saved tensors
    module.zero_grad()
    module(x)
    analytic = [module.backward(projection)] + [grad.clone() for _, grad in module.param()]
    tensors = [x] + [parameter for parameter, _ in module.param()]
    function = evaluated(module, lambda: (module(x) * projection).sum())
    return [directional_error(function, t, a) for a, t in zip(analytic, tensors, strict=True)]


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


def loss_gradient_errors(net, x, target):
    """Relative errors of the input and parameter gradients of MSE(net(x), target)."""
    criterion = MSELoss()
    net.zero_grad()
    criterion(net(x), target)
    analytic = [net.backward(criterion.backward())] + [grad.clone() for _, grad in net.param()]
    tensors = [x] + [parameter for parameter, _ in net.param()]
    function = evaluated(net, lambda: criterion(net(x), target))
    return [directional_error(function, t, a) for a, t in zip(analytic, tensors, strict=True)]


@pytest.mark.parametrize("activation", [ReLU, Tanh, Sigmoid])
def test_network_gradients_with_mse(activation):
    torch.manual_seed(0)
    x = torch.rand(10, 2, dtype=torch.float64)
    target = torch.eye(2, dtype=torch.float64)[torch.randint(0, 2, (10,))]
    errors = loss_gradient_errors(epfl_network(activation), x, target)
    assert max(errors) < TOLERANCE, errors


def test_mse_gradient():
    torch.manual_seed(0)
    prediction, target = torch.randn(6, 2, dtype=torch.float64), torch.randn(6, 2, dtype=torch.float64)
    criterion = MSELoss()
    criterion(prediction, target)
    analytic = criterion.backward()
    function = evaluated(criterion, lambda: criterion(prediction, target))
    assert directional_error(function, prediction, analytic) < TOLERANCE


def shared_network():
    """A layer used twice: its two calls save different inputs, its gradient sums both uses."""
    layer = Linear(3, 3, dtype=torch.float64)
    return Sequential(layer, Tanh(), layer), layer


def test_a_layer_used_twice_against_central_differences():
    torch.manual_seed(0)
    net, _ = shared_network()
    x = torch.randn(8, 3, dtype=torch.float64)
    errors = loss_gradient_errors(net, x, torch.randn(8, 3, dtype=torch.float64))
    assert max(errors) < TOLERANCE, errors
    assert len({id(parameter) for parameter, _ in net.param()}) == 2  # weight and bias, listed twice


def test_a_layer_used_twice_against_torch_autograd():
    torch.manual_seed(0)
    net, layer = shared_network()
    criterion = MSELoss()
    x, target = torch.randn(8, 3, dtype=torch.float64), torch.randn(8, 3, dtype=torch.float64)
    net.zero_grad()
    criterion(net(x), target)
    grad_input = net.backward(criterion.backward())

    weight = layer.weight.clone().requires_grad_()
    bias = layer.bias.clone().requires_grad_()
    torch_x = x.clone().requires_grad_()
    hidden = torch.tanh(torch_x @ weight.T + bias)
    torch.nn.functional.mse_loss(hidden @ weight.T + bias, target).backward()

    assert torch.allclose(layer.weight_grad, weight.grad, rtol=0, atol=1e-12)
    assert torch.allclose(layer.bias_grad, bias.grad, rtol=0, atol=1e-12)
    assert torch.allclose(grad_input, torch_x.grad, rtol=0, atol=1e-12)


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
            layers.append({ReLU: torch.nn.ReLU, Tanh: torch.nn.Tanh, Sigmoid: torch.nn.Sigmoid}[type(module)]())
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


def test_the_old_single_slot_would_fail_the_shared_check():
    """The check has teeth: a backward that reuses the last forward's input is caught."""
    torch.manual_seed(0)
    net, layer = shared_network()
    x, target = torch.randn(8, 3, dtype=torch.float64), torch.randn(8, 3, dtype=torch.float64)
    criterion = MSELoss()
    net.zero_grad()
    criterion(net(x), target)
    layer.saved[0] = layer.saved[1]  # both backward calls now see the second call's input
    net.backward(criterion.backward())
    function = evaluated(net, lambda: criterion(net(x), target))
    assert directional_error(function, layer.weight, layer.weight_grad) > 1e-3
