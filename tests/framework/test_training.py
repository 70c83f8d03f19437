"""train and accuracy: recipe, accumulation, warnings, batch-size independence."""

import warnings

import pytest
import torch

import reference.framework as fw
from reference.framework.experiment import Phase, epfl_network, fit


def small_net():
    torch.manual_seed(0)
    return fw.Sequential(fw.Linear(2, 16), fw.ReLU(), fw.Linear(16, 2))


def test_train_learns_the_disk():
    data = fw.generate_disk_set(1000, seed=0)
    net = small_net()
    history = fw.train(net, data.train_input, data.train_target, epochs=40, batch_size=50, lr=0.1, momentum=0.9,
                       seed=0)  # fmt: skip
    assert history.loss[-1] < history.loss[0]
    assert fw.accuracy(net, data.test_input, data.test_target) > 0.85


def test_same_seed_same_result():
    data = fw.generate_disk_set(200, seed=1)
    results = []
    for _ in range(2):
        net = small_net()
        results.append(fw.train(net, data.train_input, data.train_target, epochs=3, batch_size=20, lr=0.1, seed=7).loss)
    assert results[0] == results[1]


def test_single_output_uses_column_targets_and_threshold():
    data = fw.generate_disk_set(500, seed=0)
    torch.manual_seed(0)
    net = fw.Sequential(fw.Linear(2, 16), fw.Tanh(), fw.Linear(16, 1), fw.Sigmoid())
    fw.train(net, data.train_input, data.train_target, epochs=100, batch_size=25, lr=0.2, momentum=0.9, seed=0)
    assert fw.accuracy(net, data.test_input, data.test_target) > 0.85


def test_accuracy_does_not_depend_on_batch_size():
    data = fw.generate_disk_set(1000, seed=0)
    net = small_net()
    values = {fw.accuracy(net, data.test_input, data.test_target, batch_size=size) for size in (None, 1, 7, 50, 999)}
    assert len(values) == 1


def test_accuracy_accepts_one_hot_targets():
    data = fw.generate_disk_set(100, seed=0)
    net = small_net()
    one_hot = torch.eye(2)[data.test_target]
    assert fw.accuracy(net, data.test_input, one_hot) == fw.accuracy(net, data.test_input, data.test_target)


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


def test_warns_once_when_the_output_is_identically_zero():
    data = fw.generate_disk_set(100, seed=0)
    net = fw.Sequential(fw.Linear(2, 4), fw.ReLU())
    net[0].weight.fill_(-1.0)
    net[0].bias.fill_(-1.0)  # every unit dead on [0, 1]^2
    net_two = fw.Sequential(net, fw.Linear(4, 2), fw.ReLU())
    net_two[1].weight.fill_(0.0)
    net_two[1].bias.fill_(-1.0)
    with pytest.warns(RuntimeWarning, match="identically zero") as caught:
        fw.train(net_two, data.train_input, data.train_target, epochs=3, batch_size=10, lr=0.01, seed=0)
    assert sum("identically zero" in str(w.message) for w in caught) == 1


def test_warns_and_stops_when_the_loss_diverges():
    data = fw.generate_disk_set(100, seed=0)
    with pytest.warns(RuntimeWarning, match="Lower the learning rate"):
        history = fw.train(small_net(), data.train_input, data.train_target, epochs=50, batch_size=10, lr=1e6,
                           seed=0)  # fmt: skip
    assert len(history.loss) < 50


def test_no_warning_on_a_healthy_run():
    data = fw.generate_disk_set(100, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fw.train(small_net(), data.train_input, data.train_target, epochs=2, batch_size=10, lr=0.1, seed=0)


@pytest.mark.parametrize("name", ["epochs", "batch_size", "accumulate"])
def test_rejects_non_positive_counts(name):
    data = fw.generate_disk_set(10, seed=0)
    arguments = {"epochs": 1, "batch_size": 5, "accumulate": 1, name: 0}
    with pytest.raises(ValueError, match=name):
        fw.train(small_net(), data.train_input, data.train_target, lr=0.1, **arguments)


def test_rejects_labels_out_of_range():
    with pytest.raises(ValueError, match=r"class labels must be in \[0, 1\]"):
        fw.train(small_net(), torch.rand(4, 2), torch.tensor([0, 1, 2, 1]), epochs=1, batch_size=2, lr=0.1)


def test_fit_joins_the_phases_and_records_test_accuracy():
    data = fw.generate_disk_set(200, seed=0)
    torch.manual_seed(0)
    history = fit(epfl_network(), data, recipe=(Phase(0.1, 3), Phase(0.01, 2)))
    assert len(history.loss) == len(history.validation_accuracy) == len(history.seconds) == 5
