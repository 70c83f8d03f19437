"""train_epoch, train and accuracy: the loop's contract, accumulation, validation, batch-size independence."""

import warnings

import pytest
import torch

import reference.framework as fw
from reference.framework.experiment import Phase, epfl_network, fit


def small_net():
    torch.manual_seed(0)
    return fw.Sequential(fw.Linear(2, 16), fw.ReLU(), fw.Linear(16, 2))


def disk(n, seed=0):
    data = fw.generate_disk_set(n, seed=seed)
    return data, fw.one_hot(data.train_target, 2)


class Recorder(fw.Module):
    """A model that records the inputs of each forward: y = x w, one parameter w."""

    def __init__(self):
        super().__init__()
        self.weight = torch.ones(1, dtype=torch.float64)
        self.weight_grad = torch.zeros(1, dtype=torch.float64)
        self.batches = []

    def forward(self, x):
        self.batches.append(x[:, 0].tolist())
        self.save_for_backward(x)
        return x * self.weight

    def backward(self, grad_output):
        (x,) = self.pop_saved()
        self.weight_grad += (grad_output * x).sum()
        return grad_output * self.weight

    def param(self):
        return [(self.weight, self.weight_grad)]


class CountingSGD(fw.SGD):
    """SGD that records the gradient it sees at each step, and counts the zero_grad calls."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.steps, self.zeroed = [], 0

    def step(self):
        self.steps.append(self.parameters[0][1].item())
        super().step()

    def zero_grad(self):
        self.zeroed += 1
        super().zero_grad()


def test_train_epoch_visits_the_randperm_order_in_batches():
    inputs = torch.arange(10, dtype=torch.float64).unsqueeze(1)
    model = Recorder()
    generator = torch.Generator().manual_seed(3)
    fw.train_epoch(model, fw.MSELoss(), fw.SGD(model.param(), lr=1e-3), inputs, inputs.clone(), batch_size=4,
                   generator=generator)  # fmt: skip
    order = torch.randperm(10, generator=torch.Generator().manual_seed(3)).tolist()
    assert model.batches == [order[:4], order[4:8], order[8:]]


def test_train_epoch_accumulates_then_steps_and_zeroes():
    """7 batches, accumulate 3: steps after batches 3, 6 and 7, each with the sum of its batches' gradients."""
    inputs = torch.arange(1, 8, dtype=torch.float64).unsqueeze(1)
    targets = torch.zeros_like(inputs)
    model = Recorder()
    optimizer = CountingSGD(model.param(), lr=1e-9)
    fw.train_epoch(model, fw.MSELoss(), optimizer, inputs, targets, batch_size=1, accumulate=3,
                   generator=torch.Generator().manual_seed(0))  # fmt: skip
    per_batch = [2 * x * x for (x,) in model.batches]  # d/dw of (w x)^2 at w = 1
    expected = [sum(per_batch[0:3]), sum(per_batch[3:6]), per_batch[6]]
    assert optimizer.steps == pytest.approx(expected)
    assert optimizer.zeroed == 3 and not model.weight_grad.any()


def test_train_epoch_returns_the_mean_loss_over_samples():
    """Batches of 4, 4 and 2 samples: the mean weights each batch's loss by its size."""
    inputs = torch.arange(10, dtype=torch.float64).unsqueeze(1)
    model = Recorder()
    loss = fw.train_epoch(model, fw.MSELoss(), fw.SGD(model.param(), lr=1e-12), inputs, torch.zeros_like(inputs),
                          batch_size=4, generator=torch.Generator().manual_seed(0))  # fmt: skip
    assert isinstance(loss, float)
    assert loss == pytest.approx(inputs.pow(2).mean().item())


def test_train_learns_the_disk():
    data, targets = disk(1000)
    net = small_net()
    history = fw.train(net, data.train_input, targets, epochs=40, batch_size=50, lr=0.1, momentum=0.9, seed=0)
    assert history.loss[-1] < history.loss[0]
    assert fw.accuracy(net, data.test_input, data.test_target) > 0.85


def test_same_seed_same_result():
    data, targets = disk(200, seed=1)
    results = [fw.train(small_net(), data.train_input, targets, epochs=3, batch_size=20, lr=0.1, seed=7).loss
               for _ in range(2)]  # fmt: skip
    assert results[0] == results[1]


def test_history_records_every_epoch():
    data, targets = disk(100)
    history = fw.train(small_net(), data.train_input, targets, epochs=4, batch_size=30, lr=0.1, seed=0,
                       validation=(data.test_input, data.test_target))  # fmt: skip
    assert len(history.loss) == len(history.seconds) == len(history.validation_accuracy) == 4
    assert all(isinstance(value, float) for value in history.loss + history.validation_accuracy)


def test_single_output_uses_column_targets_and_threshold():
    data = fw.generate_disk_set(500, seed=0)
    torch.manual_seed(0)
    net = fw.Sequential(fw.Linear(2, 16), fw.Tanh(), fw.Linear(16, 1), fw.Sigmoid())
    targets = data.train_target.float().unsqueeze(1)
    fw.train(net, data.train_input, targets, epochs=100, batch_size=25, lr=0.2, momentum=0.9, seed=0)
    assert fw.accuracy(net, data.test_input, data.test_target) > 0.85


@pytest.mark.parametrize(
    ("targets", "message"),
    [(torch.zeros(20, dtype=torch.long), r"shape \(20,\) and dtype torch.int64.*one_hot\(labels, K"),
     (torch.zeros(20), r"shape \(20,\).*one_hot"),
     (torch.zeros(20, 2, dtype=torch.float64), r"dtype torch.float64.*one_hot")],
    ids=["labels", "float-labels", "dtype"],
)  # fmt: skip
def test_train_refuses_targets_that_are_not_encoded(targets, message):
    with pytest.raises(ValueError, match=message):
        fw.train(small_net(), torch.rand(20, 2), targets, epochs=1, batch_size=5, lr=0.1)


def test_train_refuses_targets_of_another_length():
    with pytest.raises(ValueError, match="20 inputs but 19 targets"):
        fw.train(small_net(), torch.rand(20, 2), torch.zeros(19, 2), epochs=1, batch_size=5, lr=0.1)


def test_accuracy_does_not_depend_on_batch_size():
    data = fw.generate_disk_set(1000, seed=0)
    net = small_net()
    values = {fw.accuracy(net, data.test_input, data.test_target, batch_size=size) for size in (None, 1, 7, 50, 999)}
    assert len(values) == 1
    assert isinstance(values.pop(), float)


def test_accuracy_accepts_encoded_targets():
    data = fw.generate_disk_set(100, seed=0)
    net = small_net()
    labels = fw.accuracy(net, data.test_input, data.test_target)
    assert fw.accuracy(net, data.test_input, fw.one_hot(data.test_target, 2)) == labels
    column = data.test_target.float().unsqueeze(1)
    one_output = fw.Sequential(fw.Linear(2, 1))
    assert fw.accuracy(one_output, data.test_input, column) == fw.accuracy(one_output, data.test_input,
                                                                             data.test_target)  # fmt: skip


def test_accuracy_thresholds_one_output_at_half():
    model = fw.Sequential(fw.NoActivation())
    outputs = torch.tensor([[0.2], [0.5], [0.51], [0.9]])
    assert fw.accuracy(model, outputs, torch.tensor([0, 0, 1, 1])) == 1.0


def test_accumulate_sums_gradients_of_several_batches():
    """Two half batches accumulated take the same step as one full batch at twice the rate."""
    x = torch.rand(40, 3, dtype=torch.float64)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]], dtype=torch.float64)
    models = []
    for batch_size, accumulate, lr in ((40, 1, 0.2), (20, 2, 0.1)):
        torch.manual_seed(0)
        models.append(fw.Linear(3, 1, dtype=torch.float64))
        fw.train(models[-1], x, y, epochs=4, batch_size=batch_size, accumulate=accumulate, lr=lr, seed=0)
    assert torch.allclose(models[0].weight, models[1].weight, rtol=0, atol=1e-12)


def test_warns_and_stops_when_the_loss_diverges():
    data, targets = disk(100)
    with pytest.warns(RuntimeWarning, match="Lower the learning rate"):
        history = fw.train(small_net(), data.train_input, targets, epochs=50, batch_size=10, lr=1e6, seed=0)
    assert len(history.loss) < 50


def test_no_warning_on_a_healthy_run():
    data, targets = disk(100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fw.train(small_net(), data.train_input, targets, epochs=2, batch_size=10, lr=0.1, seed=0)


@pytest.mark.parametrize("name", ["epochs", "batch_size", "accumulate"])
@pytest.mark.parametrize("value", [0, 2.5, True])
def test_rejects_counts_that_are_not_positive_integers(name, value):
    data, targets = disk(10)
    arguments = {"epochs": 1, "batch_size": 5, "accumulate": 1, name: value}
    with pytest.raises(ValueError, match=f"train: {name} must be a positive integer"):
        fw.train(small_net(), data.train_input, targets, lr=0.1, **arguments)


def test_fit_joins_the_phases_and_records_test_accuracy():
    data = fw.generate_disk_set(200, seed=0)
    torch.manual_seed(0)
    history = fit(epfl_network(), data, recipe=(Phase(0.1, 3), Phase(0.01, 2)))
    assert len(history.loss) == len(history.validation_accuracy) == len(history.seconds) == 5
