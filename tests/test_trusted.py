"""The judge's trusted models are the same in judge and worker, whatever else draws random numbers."""

import threading

import torch

from autograder.worker.trusted import trusted_pair_model


def weights(seed: int) -> list[torch.Tensor]:
    """The trusted pair model's parameters for ``seed``."""
    return [parameter.detach().clone() for parameter in trusted_pair_model(seed).parameters()]


def test_the_trusted_pair_model_does_not_depend_on_the_global_generator():
    torch.manual_seed(1)
    first = weights(0)
    torch.manual_seed(2)
    torch.rand(100)
    assert all(torch.equal(a, b) for a, b in zip(first, weights(0), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(first, weights(1), strict=True))


def test_threads_that_draw_meanwhile_do_not_change_the_trusted_pair_model():
    expected, stop = weights(0), threading.Event()

    def draw() -> None:
        while not stop.is_set():
            torch.manual_seed(5)
            torch.rand(1000)

    thread = threading.Thread(target=draw)
    thread.start()
    try:
        built = [weights(0) for _ in range(50)]
    finally:
        stop.set()
        thread.join()
    assert all(torch.equal(a, b) for model in built for a, b in zip(expected, model, strict=True))
