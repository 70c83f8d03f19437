"""train, train_step and evaluate: history, determinism, modes, errors."""

import copy

import pytest
import torch

from reference.pairs import MODELS, History, evaluate, generate_pair_sets, train, train_step


@pytest.fixture(scope="module")
def data():
    return generate_pair_sets(100, seed=0)


def fresh(name: str = "shared_digits"):
    torch.manual_seed(0)
    return MODELS[name]()


def test_history_has_one_entry_per_epoch(data):
    history = train(fresh(), data, epochs=3, batch_size=25, seed=0)
    assert isinstance(history, History)
    lists = history.to_dict()
    assert list(lists) == ["train_loss", "train_accuracy", "test_accuracy", "seconds"]
    assert all(len(values) == 3 for values in lists.values())
    assert all(0 <= value <= 1 for value in history.train_accuracy + history.test_accuracy)
    assert history.train_loss[-1] < history.train_loss[0]


@pytest.mark.parametrize("name", ["baseline", "deep_aux", "shared_digits"])
def test_same_seed_same_history(name, data):
    first, second = (train(fresh(name), data, epochs=2, batch_size=20, seed=3).to_dict() for _ in range(2))
    del first["seconds"], second["seconds"]
    assert first == second


def test_another_seed_another_history(data):
    first, second = (train(fresh(), data, epochs=1, batch_size=20, seed=seed).train_loss for seed in (0, 1))
    assert first != second


def test_train_leaves_the_model_in_training_mode_and_on_the_device(data):
    model = fresh()
    train(model, data, epochs=1, seed=0, device="cpu")
    assert model.training
    assert all(p.device.type == "cpu" for p in model.parameters())


@pytest.mark.parametrize("option", [{"epochs": 0}, {"batch_size": 0}, {"epochs": 2.5}])
def test_train_rejects_bad_options(option, data):
    with pytest.raises(ValueError, match="positive integer"):
        train(fresh(), data, **option)


def test_train_step_takes_one_step_from_fresh_gradients(data):
    model = fresh()
    reference = copy.deepcopy(model)
    input, target, classes = data.train_input[:10], data.train_target[:10], data.train_classes[:10]
    torch.manual_seed(0)
    expected = reference.loss(reference(input), target, classes)
    expected.backward()
    optimizer = model.configure_optimizer()
    for p in model.parameters():
        p.grad = torch.ones_like(p)  # stale gradients that the step must clear first
    torch.manual_seed(0)
    loss = train_step(model, optimizer, input, target, classes)
    assert isinstance(loss, float) and loss == pytest.approx(expected.item())
    for p, q in zip(model.parameters(), reference.parameters(), strict=True):
        assert torch.allclose(p.grad, q.grad, atol=1e-6)
        assert not torch.equal(p, q)  # stepped


def test_evaluate_counts_correct_predictions_in_eval_mode(data):
    model = fresh().train()
    with torch.no_grad():
        predicted = model.eval()(data.test_input).comparison.argmax(1)
    model.train()
    expected = (predicted == data.test_target).float().mean().item()
    assert evaluate(model, data.test_input, data.test_target) == pytest.approx(expected)
    assert model.training  # restored
    sizes = {evaluate(model, data.test_input, data.test_target, batch_size=size) for size in (1, 7, 100, 1000)}
    assert len(sizes) == 1


def test_evaluate_keeps_eval_mode_and_is_perfect_on_its_own_predictions(data):
    model = fresh().eval()
    with torch.no_grad():
        predicted = model(data.test_input).comparison.argmax(1)
    assert evaluate(model, data.test_input, predicted) == 1.0
    assert not model.training
