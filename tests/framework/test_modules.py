"""The framework's API contract: shapes, dtypes, param(), accumulation, saved tensors, modes, errors."""

import pytest
import torch

import reference.framework as fw
from reference.framework.module import check_positive_integer


def test_exports_the_contract():
    for name in ("Module", "Linear", "ReLU", "Tanh", "Sigmoid", "NoActivation", "Identity", "Sequential",
                 "MSELoss", "SGD", "train", "train_epoch", "accuracy", "History", "save", "load",
                 "ModelFileError", "generate_disk_set", "DiskSets", "one_hot"):  # fmt: skip
        assert hasattr(fw, name), name
    assert fw.Identity is fw.NoActivation


def test_linear_shapes_and_initialisation():
    torch.manual_seed(0)
    layer = fw.Linear(100, 7)
    assert layer.weight.shape == (7, 100) and layer.bias.shape == (7,)
    assert layer.weight.abs().max() <= 0.1 and layer.bias.abs().max() <= 0.1
    assert layer.weight.std() == pytest.approx(0.1 / 3**0.5, rel=0.1)  # std of U(-k, k) is k / sqrt(3)
    assert not layer.weight_grad.any() and layer.bias_grad.shape == (7,)
    assert [tuple(p.shape) for p, _ in fw.Linear(3, 2, bias=False).param()] == [(2, 3)]
    assert fw.Linear(3, 2, bias=False).bias is None


def test_linear_param_returns_its_own_tensors():
    layer = fw.Linear(2, 3)
    (weight, weight_grad), (bias, bias_grad) = layer.param()
    assert weight is layer.weight and weight_grad is layer.weight_grad
    assert bias is layer.bias and bias_grad is layer.bias_grad


def test_linear_forward_is_x_wt_plus_b():
    layer = fw.Linear(3, 2, dtype=torch.float64)
    x = torch.randn(5, 3, dtype=torch.float64)
    assert torch.allclose(layer(x), x @ layer.weight.T + layer.bias)


def test_bias_does_not_depend_on_batch_size():
    layer = fw.Linear(2, 3)
    x = torch.rand(5, 2)
    assert torch.allclose(layer(x)[:1], layer(x[:1]))


def test_linear_rejects_wrong_width():
    with pytest.raises(ValueError, match=r"Linear\(2, 25\).*\(N, 2\).*\(10, 3\)"):
        fw.Linear(2, 25)(torch.rand(10, 3))


@pytest.mark.parametrize("arguments", [(0, 2), (2, -1), (2.5, 3), (True, 3)])
def test_linear_rejects_bad_sizes(arguments):
    with pytest.raises(ValueError, match=r"Linear: .* must be a positive integer"):
        fw.Linear(*arguments)


def test_linear_supports_float32_and_float64_only():
    with pytest.raises(ValueError, match=r"dtype must be torch\.float32 or torch\.float64"):
        fw.Linear(2, 3, dtype=torch.int64)


@pytest.mark.parametrize("value", [0, -3, 2.0, True, "4", None])
def test_one_positive_integer_check(value):
    with pytest.raises(ValueError, match=rf"count must be a positive integer, got {value!r}"):
        check_positive_integer("count", value)
    check_positive_integer("count", 3)


@pytest.mark.parametrize("module", [fw.Linear(2, 2), fw.ReLU(), fw.Tanh(), fw.Sigmoid(), fw.MSELoss()], ids=repr)
def test_backward_before_forward_is_a_clear_error(module):
    arguments = () if isinstance(module, fw.MSELoss) else (torch.ones(1, 2),)
    with pytest.raises(RuntimeError, match=r"backward\(\) was called before forward\(\)"):
        module.backward(*arguments)


def test_each_backward_pops_its_own_forward():
    """Two forwards, then two backwards: last in, first out, as autograd keeps one context per call."""
    tanh = fw.Tanh()
    first, second = torch.tensor([0.0]), torch.tensor([1.0])
    tanh(first)
    tanh(second)
    ones = torch.ones(1)
    assert torch.allclose(tanh.backward(ones), 1 - torch.tanh(second) ** 2)
    assert torch.allclose(tanh.backward(ones), 1 - torch.tanh(first) ** 2)
    with pytest.raises(RuntimeError, match="before forward"):
        tanh.backward(ones)


def test_eval_mode_saves_nothing_and_train_mode_saves_again():
    net = fw.Sequential(fw.Linear(2, 3), fw.ReLU(), fw.Linear(3, 1))
    net(torch.rand(4, 2))
    net.eval()  # also forgets what the forward above saved
    assert not net.training and not any(module.training for module in net)
    for _ in range(3):
        net(torch.rand(4, 2))
    assert all(not module.saved for module in net)
    net.train()
    net(torch.rand(4, 2))
    assert net.backward(torch.ones(4, 1)).shape == (4, 2)
    assert all(not module.saved for module in net)


def test_accuracy_leaves_the_mode_as_it_was():
    net = fw.Sequential(fw.Linear(2, 2))
    fw.accuracy(net, torch.rand(5, 2), torch.zeros(5, dtype=torch.long))
    assert net.training and not net[0].saved
    net.eval()
    fw.accuracy(net, torch.rand(5, 2), torch.zeros(5, dtype=torch.long))
    assert not net.training


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_modules_keep_the_dtype(dtype):
    net = fw.Sequential(fw.Linear(2, 4, dtype=dtype), fw.ReLU(), fw.Linear(4, 3, dtype=dtype), fw.Tanh(),
                        fw.Linear(3, 2, dtype=dtype), fw.Sigmoid(), fw.NoActivation())  # fmt: skip
    x = torch.rand(5, 2, dtype=dtype)
    y = net(x)
    assert y.dtype == dtype
    assert net.backward(torch.ones_like(y)).dtype == dtype
    assert all(grad.dtype == dtype for _, grad in net.param())


def test_works_in_inference_mode():
    """No autograd anywhere: training runs with torch's autograd switched off entirely."""
    with torch.inference_mode():
        data = fw.generate_disk_set(100, seed=0)
        net = fw.Sequential(fw.Linear(2, 8), fw.ReLU(), fw.Linear(8, 2))
        history = fw.train(net, data.train_input, fw.one_hot(data.train_target, 2), epochs=3, batch_size=10,
                           lr=0.1, seed=0)  # fmt: skip
        assert len(history.loss) == 3
        assert 0 <= fw.accuracy(net, data.test_input, data.test_target) <= 1


def test_sigmoid_is_stable_at_extremes():
    for dtype in (torch.float32, torch.float64):
        s = torch.tensor([-1e4, -745.0, -100.0, 0.0, 100.0, 1e4], dtype=dtype)
        sigmoid = fw.Sigmoid()
        y = sigmoid(s)
        grad = sigmoid.backward(torch.ones_like(s))
        assert torch.isfinite(y).all() and torch.isfinite(grad).all()
        assert torch.allclose(y, torch.sigmoid(s))


def test_gradients_accumulate_in_place_until_zero_grad():
    net = fw.Sequential(fw.Linear(3, 4), fw.Tanh(), fw.Linear(4, 1))
    grads = [grad for _, grad in net.param()]
    x = torch.rand(6, 3)
    net(x)
    net.backward(torch.ones(6, 1))
    once = [grad.clone() for grad in grads]
    net(x)
    net.backward(torch.ones(6, 1))
    assert all(grad is same for (_, grad), same in zip(net.param(), grads, strict=True))
    assert all(torch.allclose(grad, 2 * first) for grad, first in zip(grads, once, strict=True))
    net.zero_grad()
    assert all(not grad.any() for grad in grads)


def test_param_pairs_have_equal_shapes_and_concatenate_in_order():
    first, second = fw.Linear(2, 3), fw.Linear(3, 1, bias=False)
    net = fw.Sequential(first, fw.ReLU(), second)
    expected = first.param() + second.param()
    assert all(a is c and b is d for (a, b), (c, d) in zip(net.param(), expected, strict=True))
    assert all(p.shape == g.shape for p, g in net.param())
    assert fw.ReLU().param() == []


def test_sequential_is_a_container():
    modules = (fw.Linear(2, 3), fw.ReLU(), fw.Linear(3, 1))
    net = fw.Sequential(*modules)
    assert len(net) == 3 and net[2] is modules[2] and tuple(net) == modules


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="argument 1 is a int, not a Module"):
        fw.Sequential(fw.Linear(2, 2), 3)


def test_mse_rejects_mismatched_shapes_and_names_the_fix():
    with pytest.raises(ValueError, match=r"same shape.*\(4, 1\) and \(4,\).*one_hot"):
        fw.MSELoss()(torch.zeros(4, 1), torch.zeros(4))


def test_mse_is_a_scalar_whose_backward_takes_no_argument():
    loss = fw.MSELoss()
    value = loss(torch.zeros(3, 2, dtype=torch.float64), torch.ones(3, 2, dtype=torch.float64))
    assert value.dim() == 0 and value.item() == 1.0
    assert torch.equal(loss.backward(), torch.full((3, 2), -1 / 3, dtype=torch.float64))


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


def test_sgd_updates_a_parameter_listed_twice_once():
    layer = fw.Linear(2, 2)
    before = layer.weight.clone()
    layer.weight_grad.fill_(1.0)
    optimizer = fw.SGD(fw.Sequential(layer, fw.Tanh(), layer).param(), lr=0.1)
    optimizer.step()
    assert torch.allclose(layer.weight, before - 0.1)
    optimizer.zero_grad()
    assert not layer.weight_grad.any()


@pytest.mark.parametrize(("lr", "momentum"), [(0, 0), (-1, 0), (0.1, 1.0), (0.1, -0.5)])
def test_sgd_rejects_bad_hyperparameters(lr, momentum):
    with pytest.raises(ValueError):
        fw.SGD(fw.Linear(2, 2).param(), lr=lr, momentum=momentum)


def test_repr_shows_constructor_arguments():
    assert repr(fw.Linear(2, 25)) == "Linear(in_features=2, out_features=25, bias=True)"
    assert "(1): ReLU()" in repr(fw.Sequential(fw.Linear(2, 2), fw.ReLU()))


def test_architecture_is_plain_data():
    net = fw.Sequential(fw.Linear(2, 3, dtype=torch.float64), fw.Tanh(), fw.Linear(3, 1, bias=False))
    assert net.architecture() == {
        "module": "Sequential",
        "modules": [
            {"module": "Linear", "arguments": {"in_features": 2, "out_features": 3, "bias": True,
                                                "dtype": torch.float64}},
            {"module": "Tanh", "arguments": {}},
            {"module": "Linear", "arguments": {"in_features": 3, "out_features": 1, "bias": False,
                                                "dtype": torch.float32}},
        ],
    }  # fmt: skip


def test_state_dict_names_parameters_as_pytorch_does():
    net = fw.Sequential(fw.Linear(2, 3), fw.Tanh(), fw.Linear(3, 1, bias=False))
    state = net.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight"]
    assert state["0.weight"] is net[0].weight  # the tensors themselves, as in PyTorch


def test_load_state_dict_copies_in_place():
    source, target = fw.Sequential(fw.Linear(2, 3), fw.ReLU()), fw.Sequential(fw.Linear(2, 3), fw.ReLU())
    weight = target[0].weight
    target.load_state_dict(source.state_dict())
    assert target[0].weight is weight and torch.equal(weight, source[0].weight)


@pytest.mark.parametrize(
    ("state", "message"),
    [({"weight": torch.zeros(3, 2)}, r"expected the parameters \['bias', 'weight'\]"),
     ({"weight": torch.zeros(2, 3), "bias": torch.zeros(3)}, r"weight must be \(3, 2\)"),
     ({"weight": torch.zeros(3, 2, dtype=torch.float64), "bias": torch.zeros(3)}, "torch.float64")],
    ids=["missing", "shape", "dtype"],
)  # fmt: skip
def test_load_state_dict_rejects_what_does_not_fit(state, message):
    with pytest.raises(ValueError, match=message):
        fw.Linear(2, 3).load_state_dict(state)


def test_one_hot():
    encoded = fw.one_hot(torch.tensor([1, 0, 1]), 2, dtype=torch.float64)
    assert encoded.dtype == torch.float64
    assert torch.equal(encoded, torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]], dtype=torch.float64))


@pytest.mark.parametrize(
    ("labels", "classes", "message"),
    [(torch.tensor([0, 2]), 2, r"in \[0, 1\]"), (torch.tensor([-1]), 2, r"in \[0, 1\]"),
     (torch.tensor([0.0, 1.0]), 2, "integers"), (torch.zeros(2, 1, dtype=torch.long), 2, "shape"),
     (torch.tensor([0]), 0, "positive integer")],
)  # fmt: skip
def test_one_hot_rejects_bad_labels(labels, classes, message):
    with pytest.raises(ValueError, match=message):
        fw.one_hot(labels, classes)


def test_generate_disk_set_checks_n():
    with pytest.raises(ValueError, match="n must be a positive integer"):
        fw.generate_disk_set(0)
