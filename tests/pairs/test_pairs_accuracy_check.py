"""The pair accuracy check: its probe's epochs, stops and errors, its secret draws, and its verdicts."""

import contextlib
from types import SimpleNamespace
from typing import NamedTuple

import pytest
import torch

from autograder.judge import checks_pairs
from autograder.judge.messages import CheckFailure
from autograder.worker.probes_pairs import TrainedRuns, train_and_predict

PAIRS, MONITOR, TEST = 20, 10, 6


class Output(NamedTuple):
    comparison: torch.Tensor


class Counting(torch.nn.Module):
    """Predicts "first <= second" once it has been trained on ``ready`` pairs, "first >" before."""

    def __init__(self, ready: int):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.ready = ready
        self.trained = 0

    def forward(self, x: torch.Tensor) -> Output:
        if self.training and torch.is_grad_enabled():
            self.trained += len(x)
        answer = float(self.trained >= self.ready)
        return Output(torch.tensor([[1 - answer, answer]]).repeat(len(x), 1) + 0 * self.weight)


def run(ones: float) -> dict:
    """A run's request: random pairs, the fraction ``ones`` of its targets 1, the others 0."""
    pairs = torch.rand(PAIRS + MONITOR + TEST, 2, 14, 14)
    targets = (torch.arange(PAIRS + MONITOR) % MONITOR < ones * MONITOR).long()
    classes = torch.zeros(PAIRS + MONITOR, 2, dtype=torch.long)
    return {
        "seed": 0,
        "train": [pairs[:PAIRS], targets[:PAIRS], classes[:PAIRS]],
        "monitor": [pairs[PAIRS:-TEST], targets[PAIRS:], classes[PAIRS:]],
        "test_input": pairs[-TEST:],
    }


def probe(train, ready: int = 3 * PAIRS, epochs: int = 25, ones=(1, 0.5)) -> TrainedRuns:
    """``train_and_predict`` of ``train`` on Counting models, one run per fraction of targets 1."""
    namespace = SimpleNamespace(MODELS={"counting": lambda: Counting(ready)}, train=train)
    runs = [run(fraction) for fraction in ones]
    return train_and_predict(namespace, "counting", runs, epochs=epochs, stop_accuracy=0.9)


def batches_of(size: int):
    """A student's train that feeds the training pairs in batches of ``size``, evaluating as it goes."""

    def train(model, data, *, epochs, seed):
        for _ in range(epochs):
            model.train()
            for batch in data.train_input.split(size):
                model(batch).comparison.sum().backward()
            with torch.no_grad():
                model(data.train_input)  # an evaluation in training mode, without gradients
            model.eval()
            model(data.test_input)

    return train


@pytest.mark.parametrize("size", [1, 7, 20])
def test_both_runs_stop_after_the_first_epoch_at_which_one_gets_its_monitor_right(size):
    result = probe(batches_of(size))
    assert result.monitored == [[0.0, 0.0, 1.0], [0.5, 0.5, 0.5]]  # the first is ready after 3 epochs
    for predictions in result.predictions:
        assert predictions.tolist() == [[0] * TEST, [0] * TEST, [1] * TEST]
    assert result.pairs_seen == [3 * PAIRS] * 2


def test_a_run_that_never_gets_there_trains_for_every_epoch_and_no_more():
    endless = batches_of(PAIRS)

    def train(model, data, *, epochs, seed):
        endless(model, data, epochs=10 * epochs, seed=seed)  # ignores its epochs

    result = probe(train, ready=10**6, epochs=4, ones=(1, 1))
    for predictions, monitored in zip(result.predictions, result.monitored, strict=True):
        assert len(predictions) == len(monitored) == 4
    assert result.pairs_seen == [4 * PAIRS] * 2


def test_the_last_epoch_is_recorded_after_train_returns_and_a_train_that_trains_nothing_gives_one_row():
    result = probe(batches_of(PAIRS), ready=10**6, epochs=2, ones=(1,))
    assert len(result.predictions[0]) == 2

    result = probe(lambda model, data, *, epochs, seed: None, ones=(1,))
    assert result.predictions[0].shape == (1, TEST) and result.pairs_seen == [0]


def test_a_loop_that_swallows_the_stop_only_runs_longer():
    def train(model, data, *, epochs, seed):
        for _ in range(epochs):
            for batch in data.train_input.split(5):
                with contextlib.suppress(BaseException):
                    model(batch)

    result = probe(train)
    assert [len(predictions) for predictions in result.predictions] == [3, 3]


def test_the_students_error_is_the_answer_and_stops_the_other_run():
    epochs_trained = []

    def train(model, data, *, epochs, seed):
        if data.test_target.float().mean() < 1:
            raise ValueError("broken")
        for epoch in range(epochs):
            model(data.train_input)
            epochs_trained.append(epoch)

    with pytest.raises(ValueError, match="broken"):
        probe(train, ready=10**6)
    assert len(epochs_trained) < 3


def test_each_grading_draws_its_pairs_and_the_control_looks_like_the_run_graded():
    requests = [next(checks_pairs.pair_accuracy()).args for _ in range(2)]
    for args in requests:
        assert args["epochs"] == checks_pairs.ACCURACY_EPOCHS and args["name"] == checks_pairs.ACCURACY_MODEL
        assert len(args["runs"]) == 2
        graded, control = args["runs"]
        assert graded.keys() == control.keys()
        for key in ("train", "monitor"):
            for one, other in zip(graded[key], control[key], strict=True):
                assert one.shape == other.shape and one.dtype == other.dtype
            for _, target, classes in (graded[key], control[key]):
                assert torch.equal(target, (classes[:, 0] <= classes[:, 1]).long())
        assert graded["test_input"].shape == control["test_input"].shape == (checks_pairs.ACCURACY_PAIRS, 2, 14, 14)
    first, second = (args["runs"][0]["train"][0] for args in requests)
    assert not torch.equal(first, second)


def verdict(monkeypatch, graded: list[float], control: list[float]) -> str:
    """The check's message (empty when it passes) for runs whose test accuracy after each epoch is given."""
    target = torch.randint(0, 2, (checks_pairs.ACCURACY_PAIRS,), generator=torch.Generator().manual_seed(0))

    def predictions(accuracies: list[float]) -> torch.Tensor:
        right = [round(value * len(target)) for value in accuracies]
        return torch.stack([torch.where(torch.arange(len(target)) < count, target, 1 - target) for count in right])

    runs = iter([checks_pairs.AccuracyRun({}, target), checks_pairs.AccuracyRun({}, target)])
    monkeypatch.setattr(checks_pairs, "accuracy_run", lambda draw, seed, shuffled: next(runs))
    monkeypatch.setattr(checks_pairs.secret, "draw", lambda: 0)  # the run graded comes first
    check = checks_pairs.pair_accuracy()
    next(check)
    answers = TrainedRuns([predictions(values) for values in (graded, control)], [graded, control], [0, 0])
    try:
        check.send(answers)
    except StopIteration:
        return ""
    except CheckFailure as failure:
        return str(failure)
    raise AssertionError("the check asked for a second probe")


def test_the_run_graded_passes_on_its_last_epoch_and_the_control_on_every_epoch(monkeypatch):
    threshold, ceiling = checks_pairs.ACCURACY_THRESHOLD, checks_pairs.CONTROL_CEILING
    below, above, over = threshold - 0.01, threshold + 0.01, ceiling + 0.05
    assert verdict(monkeypatch, [0.6, below, above], [0.5, 0.55, ceiling]) == ""
    failed = verdict(monkeypatch, [0.6, above, below], [0.5, 0.5, 0.5])
    assert f"epoch 1: 60.0%, epoch 2: {above:.1%}, epoch 3: {below:.1%} (train returned" in failed
    assert f">= {threshold:.0%} after the last epoch" in failed
    failed = verdict(monkeypatch, [0.7, 0.95], [0.5, over])
    assert f"epoch 1: 50.0%, epoch 2: {over:.1%}" in failed and f"<= {ceiling:.0%} after every epoch" in failed
    assert "stopped: 95.0% of data's test pairs right" not in failed
    failed = verdict(monkeypatch, [0.5, below], [0.5, 0.5, 0.5])
    assert f"at most {checks_pairs.ACCURACY_EPOCHS}" not in failed and f"epoch 2: {below:.1%}" in failed
