"""Checks of project 2, the framework. Each takes the solution's framework namespace ``fw``.

Every check runs in ``torch.inference_mode()``, where autograd cannot record anything,
not even after ``torch.set_grad_enabled(True)``: the framework must compute its
gradients itself, so code that relies on autograd fails here.
"""

from __future__ import annotations

import functools
import inspect
import math
import pickle
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from . import describe, expect, fail
from .gradients import numeric_gradient, relative_error
from .source import forbidden_uses

GRADIENT_TOLERANCE = 1e-5  # float64 central differences agree to ~1e-9 with a correct backward
ACTIVATIONS = ("ReLU", "Tanh", "Sigmoid", "NoActivation")
CLOSED_FORMS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "ReLU": lambda s: s.clamp(min=0),
    "Tanh": torch.tanh,
    "Sigmoid": torch.sigmoid,
    "NoActivation": lambda s: s,
}
AUTOGRAD_HINT = (
    "the framework must compute gradients itself: these checks run in inference mode, "
    "so requires_grad, .backward() on tensors and torch.autograd cannot work"
)


def without_autograd(check: Callable[..., None]) -> Callable[..., None]:
    """Run a check in inference mode, where autograd is off, as the framework must work that way."""

    @functools.wraps(check)
    def run(*args: Any, **kwargs: Any) -> None:
        with torch.inference_mode():
            check(*args, **kwargs)

    return run


def generator(seed: int = 0) -> torch.Generator:
    """A seeded generator, so every check draws the same numbers on every run."""
    return torch.Generator().manual_seed(seed)


def away_from_zero(shape: tuple[int, ...], seed: int = 0) -> torch.Tensor:
    """Float64 values with |x| in [0.1, 2.1]: central differences never straddle ReLU's kink."""
    g = generator(seed)
    magnitude = 0.1 + 2 * torch.rand(shape, generator=g, dtype=torch.float64)
    sign = torch.randint(0, 2, shape, generator=g).to(torch.float64) * 2 - 1
    return sign * magnitude


def check_module_gradients(name: str, module: Any, x: torch.Tensor) -> None:
    """Compare a module's backward with central differences, for its input and every parameter."""
    projection = torch.randn(module(x).shape, generator=generator(1), dtype=torch.float64)

    def loss() -> torch.Tensor:
        return (module(x) * projection).sum()

    module.zero_grad()
    module(x)
    grad_input = module.backward(projection.clone())
    expect(
        isinstance(grad_input, torch.Tensor) and grad_input.shape == x.shape,
        f"{name}.backward(grad_output) returns the gradient with respect to the input",
        f"a tensor of the input's shape {tuple(x.shape)}",
        describe(grad_input),
        "return dLoss/dinput; its shape is the shape of forward's input",
    )
    expect_gradients(
        f"{name}.backward",
        loss,
        [(x, grad_input), *((parameter, grad) for parameter, grad in module.param())],
        input_hint="apply the chain rule: dL/dinput = dL/doutput times the derivative of forward",
        parameter_hint="accumulate dL/dW = grad_output^T x and dL/db = grad_output summed over the batch",
    )


def expect_gradients(
    name: str,
    loss: Callable[[], torch.Tensor],
    pairs: list[tuple[torch.Tensor, torch.Tensor]],
    *,
    input_hint: str,
    parameter_hint: str,
) -> None:
    """Compare analytic gradients with central differences of ``loss``.

    ``pairs`` holds ``(tensor, its analytic gradient)``: the input first, then the parameters.
    """
    for index, (tensor, analytic) in enumerate(pairs):
        error = relative_error(analytic, numeric_gradient(loss, tensor))
        what = "the input" if index == 0 else f"parameter {index - 1} ({describe(tensor)})"
        expect(
            error < GRADIENT_TOLERANCE,
            f"{name}: gradient with respect to {what}, against central differences (float64)",
            f"relative error < {GRADIENT_TOLERANCE:g}",
            f"relative error {error:.3g}",
            input_hint if index == 0 else parameter_hint,
        )


# Activations ------------------------------------------------------------------------------------


@without_autograd
def activation_forward(fw: Any) -> None:
    """Each activation's forward matches its closed form, keeps shape and dtype, in float32 and float64."""
    for name in ACTIVATIONS:
        for dtype in (torch.float64, torch.float32):
            s = 3 * torch.randn(6, 7, generator=generator(), dtype=dtype)
            y = getattr(fw, name)()(s.clone())
            expect(
                isinstance(y, torch.Tensor) and y.shape == s.shape and y.dtype == dtype,
                f"{name}().forward(s) for s of shape (6, 7), {dtype}",
                f"a tensor of shape (6, 7) and dtype {dtype}",
                describe(y),
                "activations work element-wise: keep the input's shape and dtype",
            )
            expected = CLOSED_FORMS[name](s)
            expect(
                torch.allclose(y, expected, rtol=1e-5, atol=1e-6),
                f"{name}().forward(s) values",
                f"{expected.flatten()[:4].tolist()} ...",
                f"{y.flatten()[:4].tolist()} ...",
                f"compare your formula with the docstring of {name}",
            )


@without_autograd
def activation_backward(fw: Any) -> None:
    """Each activation's backward agrees with central differences (ReLU away from its kink)."""
    for name in ACTIVATIONS:
        check_module_gradients(f"{name}()", getattr(fw, name)(), away_from_zero((5, 4)))


@without_autograd
def sigmoid_stability(fw: Any) -> None:
    """Sigmoid stays finite and exact at |s| up to 1e4, forward and backward, in float32 and float64."""
    for dtype in (torch.float32, torch.float64):
        s = torch.tensor([[-1e4, -100.0, 0.0, 100.0, 1e4]], dtype=dtype)
        module = fw.Sigmoid()
        y = module(s)
        grad = module.backward(torch.ones_like(s))
        expected = torch.tensor([[0.0, 0.0, 0.5, 1.0, 1.0]], dtype=dtype)
        expect(
            bool(torch.isfinite(y).all() and torch.isfinite(grad).all()) and torch.allclose(y, expected, atol=1e-6),
            f"Sigmoid on s = {s.flatten().tolist()} ({dtype})",
            f"finite outputs {expected.flatten().tolist()} and finite gradients",
            f"outputs {y.flatten().tolist()}, gradients {grad.flatten().tolist()}",
            "exp(-s) overflows for large negative s: write sigmoid with exp(-|s|), as the docstring shows",
        )


# Linear -----------------------------------------------------------------------------------------


@without_autograd
def linear_forward(fw: Any) -> None:
    """Linear computes x W^T + b, with a bias that does not depend on the batch size."""
    torch.manual_seed(0)
    layer = fw.Linear(3, 4, dtype=torch.float64)
    for n in (1, 5):
        x = torch.randn(n, 3, generator=generator(n), dtype=torch.float64)
        y = layer(x)
        expected = x @ layer.weight.T + layer.bias
        expect(
            isinstance(y, torch.Tensor) and y.shape == (n, 4),
            f"Linear(3, 4) on input of shape ({n}, 3)",
            f"output of shape ({n}, 4)",
            describe(y),
            "y = x @ weight.T + bias has one row per sample",
        )
        expect(
            torch.allclose(y, expected),
            f"Linear(3, 4) values on a batch of {n}",
            f"x @ weight.T + bias = {expected[0].tolist()} (first row)",
            f"{y[0].tolist()}",
            "the bias has shape (out_features,) and is broadcast over the batch: never make it depend on N",
        )
    no_bias = fw.Linear(3, 4, bias=False, dtype=torch.float64)
    y = no_bias(x)
    expect(
        torch.allclose(y, x @ no_bias.weight.T),
        "Linear(3, 4, bias=False) values",
        "x @ weight.T",
        describe(y),
        "without a bias, forward is the matrix product alone",
    )
    y32 = fw.Linear(3, 4)(x.float())
    expect(
        y32.dtype == torch.float32,
        "Linear(3, 4) on float32 input",
        "a float32 output",
        describe(y32),
        "keep the parameters' dtype; do not convert to float64",
    )


@without_autograd
def linear_backward(fw: Any) -> None:
    """Linear's backward agrees with central differences for input, weight and bias."""
    torch.manual_seed(0)
    x = torch.randn(6, 3, generator=generator(), dtype=torch.float64)
    check_module_gradients("Linear(3, 4)", fw.Linear(3, 4, dtype=torch.float64), x)
    check_module_gradients("Linear(3, 4, bias=False)", fw.Linear(3, 4, bias=False, dtype=torch.float64), x)


@without_autograd
def linear_accumulates(fw: Any) -> None:
    """Two backward passes add up their parameter gradients; zero_grad resets them."""
    torch.manual_seed(0)
    layer = fw.Linear(3, 2, dtype=torch.float64)
    x = torch.randn(4, 3, generator=generator(), dtype=torch.float64)
    grad_output = torch.randn(4, 2, generator=generator(1), dtype=torch.float64)
    layer.zero_grad()
    layer(x)
    layer.backward(grad_output)
    once = [grad.clone() for _, grad in layer.param()]
    layer(x)
    layer.backward(grad_output)
    twice = [grad.clone() for _, grad in layer.param()]
    expect(
        all(torch.allclose(b, 2 * a) for a, b in zip(once, twice, strict=True)),
        "two identical backward passes on Linear(3, 2) without zero_grad in between",
        "parameter gradients twice those of one pass (backward ADDS to the gradients)",
        f"ratio {float(twice[0].norm() / once[0].norm()) if once[0].norm() > 0 else float('nan'):.3f} for the weight",
        "use += (or addmm_) into weight_grad and bias_grad, never = (overwriting)",
    )
    layer.zero_grad()
    expect(
        all(not grad.any() for _, grad in layer.param()),
        "Linear.zero_grad() after backward",
        "all gradients zero",
        "non-zero gradients",
        "zero_grad must set every gradient returned by param() to zero in place",
    )


@without_autograd
def linear_parameters(fw: Any) -> None:
    """Linear's parameters: shapes, PyTorch's initialisation range, and the param() contract."""
    torch.manual_seed(0)
    layer = fw.Linear(9, 4)
    pairs = layer.param()
    expect(
        isinstance(pairs, list | tuple) and len(pairs) == 2 and all(len(pair) == 2 for pair in pairs),
        "Linear(9, 4).param()",
        "a list of two (parameter, gradient) pairs: weight then bias",
        describe(pairs),
        "return [(weight, weight_grad), (bias, bias_grad)]",
    )
    (weight, weight_grad), (bias, bias_grad) = pairs
    expect(
        weight.shape == weight_grad.shape == (4, 9) and bias.shape == bias_grad.shape == (4,),
        "shapes of Linear(9, 4)'s parameters and gradients",
        "weight and its gradient (4, 9); bias and its gradient (4,)",
        f"weight {tuple(weight.shape)}, weight gradient {tuple(weight_grad.shape)}, "
        f"bias {tuple(bias.shape)}, bias gradient {tuple(bias_grad.shape)}",
        "weight is (out_features, in_features); bias is (out_features,)",
    )
    bound = 1 / 3
    expect(
        bool(weight.abs().max() <= bound and bias.abs().max() <= bound and weight.std() > bound / 4),
        "initial values of Linear(9, 4)",
        f"drawn from U(-{bound:.3f}, {bound:.3f}) (1/sqrt(in_features))",
        f"weights in [{weight.min():.3f}, {weight.max():.3f}], biases in [{bias.min():.3f}, {bias.max():.3f}]",
        "initialise with uniform_(-1/sqrt(in_features), 1/sqrt(in_features))",
    )
    x = torch.randn(2, 9, generator=generator())
    before = layer(x).clone()
    weight.add_(1.0)
    expect(
        not torch.allclose(layer(x), before),
        "param() returns the tensors the layer computes with",
        "changing a parameter in place changes the layer's output",
        "the output did not change",
        "return the layer's own tensors, not copies: SGD updates them in place",
    )


# Sequential -------------------------------------------------------------------------------------


def epfl_network(fw: Any, activation: str = "ReLU", dtype: torch.dtype = torch.float32) -> Any:
    """The 2-25-25-25-2 network of the assignment, built from the solution's modules."""
    act = getattr(fw, activation)
    return fw.Sequential(
        fw.Linear(2, 25, dtype=dtype), act(),
        fw.Linear(25, 25, dtype=dtype), act(),
        fw.Linear(25, 25, dtype=dtype), act(),
        fw.Linear(25, 2, dtype=dtype),
    )  # fmt: skip


@without_autograd
def sequential_forward_and_param(fw: Any) -> None:
    """Sequential chains forward in order and concatenates param() in order."""
    torch.manual_seed(0)
    first, second = fw.Linear(3, 5, dtype=torch.float64), fw.Linear(5, 2, dtype=torch.float64)
    net = fw.Sequential(first, fw.Tanh(), second)
    x = torch.randn(4, 3, generator=generator(), dtype=torch.float64)
    y = net(x)
    expected = second(fw.Tanh()(first(x)))
    expect(
        isinstance(y, torch.Tensor) and y.shape == (4, 2) and torch.allclose(y, expected),
        "Sequential(Linear(3, 5), Tanh(), Linear(5, 2)).forward(x)",
        "the modules applied in order",
        describe(y),
        "feed each module's output to the next one",
    )
    params = net.param()
    expected_ids = [id(tensor) for pair in first.param() + second.param() for tensor in pair]
    expect(
        [id(tensor) for pair in params for tensor in pair] == expected_ids,
        "Sequential(...).param()",
        "the (parameter, gradient) pairs of every module, in order (4 pairs here)",
        f"{len(params)} pairs" if isinstance(params, list) else describe(params),
        "concatenate module.param() over the modules, first to last",
    )


@without_autograd
def network_gradients(fw: Any) -> None:
    """A whole 2-25-25-25-2 network with MSE agrees with central differences, input and parameters."""
    for activation in ("ReLU", "Tanh"):
        check_network_gradients(fw, activation)


def check_network_gradients(fw: Any, activation: str) -> None:
    """Gradient check of the EPFL network with one activation and the MSE loss."""
    torch.manual_seed(0)
    net = epfl_network(fw, activation, torch.float64)
    criterion = fw.MSELoss()
    x = torch.rand(8, 2, generator=generator(), dtype=torch.float64)
    target = torch.eye(2, dtype=torch.float64)[torch.randint(0, 2, (8,), generator=generator(1))]

    def loss() -> torch.Tensor:
        return criterion(net(x), target)

    net.zero_grad()
    loss()
    grad_input = net.backward(criterion.backward())
    expect_gradients(
        f"the 2-25-25-25-2 network with {activation} and MSELoss",
        loss,
        [(x, grad_input), *((parameter, grad) for parameter, grad in net.param())],
        input_hint="Sequential.backward must call each module's backward in reverse order, "
        "feeding each one the gradient the next one returned",
        parameter_hint="check the backward of every module on the way: Linear, the activation, MSELoss",
    )


# Loss -------------------------------------------------------------------------------------------


@without_autograd
def mse_forward(fw: Any) -> None:
    """MSELoss is the mean of the squared differences over all elements."""
    prediction = torch.randn(5, 3, generator=generator(), dtype=torch.float64)
    target = torch.randn(5, 3, generator=generator(1), dtype=torch.float64)
    value = fw.MSELoss()(prediction, target)
    expected = ((prediction - target) ** 2).mean()
    expect(
        isinstance(value, torch.Tensor) and value.numel() == 1 and math.isclose(value.item(), expected.item()),
        "MSELoss()(prediction, target) for shape (5, 3)",
        f"mean over all 15 elements = {expected.item():.6f}",
        f"{value.item():.6f}" if isinstance(value, torch.Tensor) and value.numel() == 1 else describe(value),
        "average (prediction - target)^2 over every element, not only over the batch",
    )


@without_autograd
def mse_backward(fw: Any) -> None:
    """MSELoss.backward() returns 2 (prediction - target) / M, M the number of elements."""
    prediction = torch.randn(5, 3, generator=generator(), dtype=torch.float64)
    target = torch.randn(5, 3, generator=generator(1), dtype=torch.float64)
    criterion = fw.MSELoss()
    criterion(prediction, target)
    grad = criterion.backward()
    expected = 2 * (prediction - target) / prediction.numel()
    expect(
        isinstance(grad, torch.Tensor) and grad.shape == (5, 3) and torch.allclose(grad, expected),
        "MSELoss.backward() after forward on shape (5, 3)",
        f"2 (prediction - target) / 15, first row {expected[0].tolist()}",
        f"first row {grad[0].tolist()}" if isinstance(grad, torch.Tensor) and grad.shape == (5, 3) else describe(grad),
        "differentiate the mean: the factor 2 from the square and 1/M from the mean over all M elements",
    )


# SGD --------------------------------------------------------------------------------------------


@without_autograd
def sgd_step(fw: Any) -> None:
    """SGD without momentum: p <- p - lr * g, in place."""
    parameter = torch.randn(3, 2, generator=generator(), dtype=torch.float64)
    grad = torch.randn(3, 2, generator=generator(1), dtype=torch.float64)
    start = parameter.clone()
    optimizer = fw.SGD([(parameter, grad)], lr=0.1)
    optimizer.step()
    expect(
        torch.allclose(parameter, start - 0.1 * grad),
        "SGD(lr=0.1).step() on one parameter",
        "p - 0.1 * g, written into the parameter tensor itself",
        "unchanged parameter" if torch.equal(parameter, start) else f"first row {parameter[0].tolist()}",
        "update in place (parameter.sub_(...) or add_(..., alpha=-lr)) and subtract: descend the gradient",
    )


@without_autograd
def sgd_momentum(fw: Any) -> None:
    """SGD with momentum: v <- mu v + g; p <- p - lr v, over three steps."""
    parameter = torch.zeros(4, dtype=torch.float64)
    grad = torch.zeros(4, dtype=torch.float64)
    optimizer = fw.SGD([(parameter, grad)], lr=0.5, momentum=0.9)
    expected, velocity = torch.zeros(4, dtype=torch.float64), torch.zeros(4, dtype=torch.float64)
    for step in range(3):
        grad.copy_(torch.randn(4, generator=generator(step), dtype=torch.float64))
        velocity = 0.9 * velocity + grad
        expected = expected - 0.5 * velocity
        optimizer.step()
        expect(
            torch.allclose(parameter, expected),
            f"SGD(lr=0.5, momentum=0.9): parameter after step {step + 1}",
            f"{expected.tolist()}",
            f"{parameter.tolist()}",
            "keep one velocity per parameter across steps: v = momentum * v + g, then p -= lr * v",
        )


# Training and accuracy --------------------------------------------------------------------------


class FixedOutputs:
    """A stand-in model whose output for input row i is ``outputs[i]`` (input holds row indices)."""

    def __init__(self, outputs: torch.Tensor) -> None:
        self.outputs = outputs

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.outputs[x[:, 0].long()]

    forward = __call__


@without_autograd
def accuracy_values(fw: Any) -> None:
    """accuracy thresholds one output at 0.5, takes the argmax of several, whatever the batch size."""
    index = torch.arange(10, dtype=torch.float32).unsqueeze(1)
    one_output = torch.tensor([0.9, 0.1, 0.7, 0.2, 0.6, 0.4, 0.8, 0.3, 0.95, 0.05]).unsqueeze(1)
    labels = torch.tensor([1, 0, 1, 0, 0, 0, 1, 1, 1, 0])  # 8 of 10 right
    two_outputs = torch.stack([1 - one_output[:, 0], one_output[:, 0]], dim=1)
    for name, outputs in (("one output (thresholded at 0.5)", one_output), ("two outputs (argmax)", two_outputs)):
        for batch_size in (None, 1, 3, 10, 64):
            value = fw.accuracy(FixedOutputs(outputs), index, labels, batch_size=batch_size)
            expect(
                isinstance(value, float | int) and math.isclose(value, 0.8),
                f"accuracy with {name}, batch_size={batch_size}, 8 of 10 predictions right",
                "0.8",
                repr(value),
                "count correct predictions over all batches, then divide by the number of samples "
                "(not by the number of batches, not by the batch size); return a Python float",
            )


@without_autograd
def train_matches_sgd(fw: Any) -> None:
    """train does exact SGD with momentum and gradient accumulation on a linear model.

    Each case makes the batch order irrelevant: one batch of the whole set, two halves
    accumulated (their means add up to twice the mean), or identical samples (every
    batch has the same mean gradient). So each SGD step, which sums the mean gradients
    of ``accumulate`` batches (fewer at the end of an epoch), is known in closed form.
    """
    varied = torch.rand(40, 3, generator=generator(), dtype=torch.float64)
    identical = varied[:1].expand(40, 3).clone()
    cases = ((varied, 40, 1, (1,)), (varied, 20, 2, (2,)), (identical, 10, 3, (3, 1)))  # batches per step
    for x, batch_size, accumulate, steps in cases:
        targets = x @ torch.tensor([[1.0], [-2.0], [0.5]], dtype=torch.float64) + 0.3
        torch.manual_seed(0)
        model = fw.Linear(3, 1, dtype=torch.float64)
        weight, bias = model.weight.clone(), model.bias.clone()
        velocity_w, velocity_b = torch.zeros_like(weight), torch.zeros_like(bias)
        for _ in range(5):
            for batches in steps:
                residual = x @ weight.T + bias - targets  # the mean gradient of the MSE is 2 r^T x / N
                velocity_w = 0.5 * velocity_w + batches * 2 / len(x) * residual.T @ x
                velocity_b = 0.5 * velocity_b + batches * 2 / len(x) * residual.sum(0)
                weight, bias = weight - 0.1 * velocity_w, bias - 0.1 * velocity_b
        history = fw.train(
            model, x, targets, epochs=5, batch_size=batch_size, lr=0.1, momentum=0.5, accumulate=accumulate, seed=0
        )
        expect(
            torch.allclose(model.weight, weight) and torch.allclose(model.bias, bias),
            f"train(Linear(3, 1), epochs=5, batch_size={batch_size}, accumulate={accumulate}, lr=0.1, "
            f"momentum=0.5) on 40 samples{' (all the same)' if x is identical else ''}",
            f"weight {weight.flatten().tolist()}",
            f"weight {model.weight.flatten().tolist()}",
            "per batch: forward, loss, backward of the loss's gradient through the model; every "
            "`accumulate` batches, and after the last batch of an epoch: optimizer.step() then zero "
            "the gradients (never skip zero_grad)",
        )
        expect(
            len(history.loss) == 5 and all(math.isfinite(value) for value in history.loss),
            "the history returned by train",
            "5 finite per-epoch losses",
            f"{history.loss}",
            "the scaffold records the loss of each batch: compute `loss` as the criterion's output",
        )


# The EPFL network trained by the solution's train with these settings (seed 0) must reach
# DISK_THRESHOLD. Measured on the reference over seeds 0..99 (data, initialisation and
# shuffling): mean 95.0%, std 2.1, min 87.7%; the threshold leaves 7.7 points below the worst.
DISK_EPOCHS = 60
DISK_THRESHOLD = 0.80


@without_autograd
def disk_accuracy(fw: Any) -> None:
    """The EPFL network trained by the solution's own train reaches >= 80% test accuracy on the disk."""
    data = fw.generate_disk_set(1000, seed=0)
    torch.manual_seed(0)
    model = epfl_network(fw)
    fw.train(model, data.train_input, data.train_target, epochs=DISK_EPOCHS, batch_size=50, lr=0.05,
             momentum=0.9, seed=0)  # fmt: skip
    value = fw.accuracy(model, data.test_input, data.test_target)
    expect(
        value >= DISK_THRESHOLD,
        f"test accuracy on the disk of the 2-25-25-25-2 ReLU network after train(epochs={DISK_EPOCHS}, "
        f"batch_size=50, lr=0.05, momentum=0.9, seed=0)",
        f">= {DISK_THRESHOLD:.0%}",
        f"{value:.1%}",
        "if the gradient checks pass, look at the training loop: shuffle, step, zero_grad, one-hot targets",
    )


# Saving and loading -----------------------------------------------------------------------------


@without_autograd
def save_load_round_trip(fw: Any, folder: Path) -> None:
    """load(save(model)) gives the same classes, bitwise-equal parameters and identical predictions."""
    for dtype in (torch.float32, torch.float64):
        torch.manual_seed(0)
        model = fw.Sequential(fw.Linear(2, 5, dtype=dtype), fw.ReLU(), fw.Linear(5, 3, bias=False, dtype=dtype),
                              fw.Tanh(), fw.Linear(3, 2, dtype=dtype), fw.Sigmoid())  # fmt: skip
        path = folder / f"model-{dtype}.pkl"
        fw.save(model, path)
        loaded = fw.load(path)
        names = [type(module).__name__ for module in model]
        expect(
            type(loaded).__name__ == "Sequential" and [type(module).__name__ for module in loaded] == names,
            f"load(path) after save(Sequential(Linear, ReLU, Linear, Tanh, Linear, Sigmoid) in {dtype}, path)",
            "a Sequential of the same modules",
            repr(loaded)[:200],
            "save the architecture (the modules and their settings), not only the tensors",
        )
        original, restored = model.param(), loaded.param()
        expect(
            len(original) == len(restored)
            and all(
                torch.equal(a, b) and a.dtype == b.dtype for (a, _), (b, _) in zip(original, restored, strict=True)
            ),
            f"parameters after a save/load round trip in {dtype}",
            f"{len(original)} parameters, bitwise equal to the saved ones, same dtype",
            f"{len(restored)} parameters, "
            + ("some differ" if len(original) == len(restored) else "a different number"),
            "store every parameter (weights and biases) exactly, with its dtype",
        )
        x = torch.rand(16, 2, generator=generator(), dtype=dtype)
        expect(
            torch.equal(model(x), loaded(x)),
            f"predictions of the loaded model in {dtype}",
            "identical to the saved model's",
            "they differ",
            "restore every attribute the forward pass uses",
        )


MALICIOUS_SOURCE = "open({marker!r}, 'w').write('code ran')"


class _Exploit:
    """Pickles as a call to exec: loading it with plain pickle would run the code."""

    def __init__(self, source: str) -> None:
        self.source = source

    def __reduce__(self) -> tuple:
        return (exec, (self.source,))


@without_autograd
def load_refuses_code(fw: Any, folder: Path) -> None:
    """load refuses a pickle that would run code, and nothing in it runs; it still loads real models."""
    torch.manual_seed(0)
    fw.save(fw.Linear(2, 2), folder / "genuine.pkl")
    genuine = fw.load(folder / "genuine.pkl")
    expect(
        type(genuine).__name__ == "Linear",
        "load() of a file written by save(Linear(2, 2), path)",
        "a Linear",
        describe(genuine),
        "a safe loader must still load the framework's own models",
    )
    marker = folder / "code-ran.txt"
    path = folder / "malicious.pkl"
    payload = _Exploit(MALICIOUS_SOURCE.format(marker=str(marker)))
    for content in (payload, {"format": "anything", "model": payload}):
        path.write_bytes(pickle.dumps(content))
        try:
            fw.load(path)
        except Exception:  # any clear refusal will do
            refused = True
        else:
            refused = False
        expect(
            not marker.exists(),
            "load() of a crafted file whose pickle calls exec()",
            "the file refused before anything in it runs",
            "the code in the file ran" + ("" if refused else " and load returned normally"),
            "never use plain pickle.load: subclass pickle.Unpickler and refuse every global in find_class",
        )
        expect(refused, "load() of a crafted file", "an error", "no error", "refuse files that name any global")


# Source inspection ------------------------------------------------------------------------------


def fail_if_forbidden(findings: list[str]) -> None:
    """Fail when a source scan found uses of torch.nn, torch.autograd or torch.optim."""
    if findings:
        fail(
            "the framework's source uses only tensor operations",
            "no torch.nn, torch.autograd, torch.optim, torch.func or requires_grad",
            "; ".join(findings),
            AUTOGRAD_HINT,
        )


def only_tensor_operations(fw: Any, *names: str) -> None:
    """The named classes and functions of a solution use only tensor operations (a source scan).

    The notebooks' counterpart of scanning the framework's files: the source of each
    named function, and of each method of each named class, is read back with
    ``inspect.getsource`` and scanned. Generated methods (a dataclass's ``__init__``)
    have no source and are skipped.
    """
    findings = []
    for name in names:
        for label, function in functions_of(getattr(fw, name, None), name):
            if function.__code__.co_filename.startswith("<"):
                continue
            try:
                source = textwrap.dedent(inspect.getsource(function))
            except OSError:
                findings.append(f"{label}: its source cannot be read")
                continue
            findings += forbidden_uses(source, label)
    fail_if_forbidden(findings)


def functions_of(value: Any, name: str) -> list[tuple[str, Any]]:
    """``(label, function)`` for a function, or for every method and property of a class."""
    if inspect.isfunction(value):
        return [(name, value)]
    if not inspect.isclass(value):
        return []
    functions = []
    for attribute, member in vars(value).items():
        member = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
        if inspect.isfunction(member):
            functions.append((f"{name}.{attribute}", inspect.unwrap(member)))
    return functions
