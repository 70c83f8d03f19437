"""The worker's answers: plain data that cannot run code when read, and refused when malformed."""

import json
import pickle

import pytest
import torch

from autograder.worker import codec


def test_a_round_trip_keeps_values_tensors_dtypes_and_shapes():
    value = {
        "none": None,
        "flag": True,
        "number": 3,
        "real": 0.25,
        "text": "é",
        "list": [1, [2.5, "x"]],
        "tensors": [
            torch.arange(6, dtype=torch.int64).view(2, 3),
            torch.rand(0, 4),
            torch.tensor(1.5),
            torch.ones(3, dtype=torch.bool),
            torch.rand(2, 2, dtype=torch.float64).t(),
        ],
    }
    decoded = codec.decode(codec.encode(value))
    assert {key: decoded[key] for key in ("none", "flag", "number", "real", "text", "list")} == {
        key: value[key] for key in ("none", "flag", "number", "real", "text", "list")
    }
    for sent, received in zip(value["tensors"], decoded["tensors"], strict=True):
        assert received.dtype == sent.dtype and torch.equal(received, sent)


def test_objects_other_than_plain_data_are_refused_when_sent():
    with pytest.raises(codec.CodecError, match="cannot send"):
        codec.encode({"model": object()})


def frame(header, payload=b""):
    """A frame with an arbitrary header and payload."""
    data = json.dumps(header).encode()
    return codec.PREFIX.pack(codec.MAGIC, len(data), len(payload)) + data + payload


@pytest.mark.parametrize(
    "data",
    [
        pickle.dumps({"a": 1}),
        codec.encode({"x": torch.ones(3)})[:-1],
        frame({"x": {"$tensor": [0, "float32", [4]]}}, b"\0" * 8),
        frame({"x": {"$tensor": [0, "object", [1]]}}, b"\0" * 8),
        frame({"x": {"$tensor": [0, "float32", [-1]]}}, b""),
        frame({"x": 1}, b"extra"),
        codec.PREFIX.pack(codec.MAGIC, 2**40, 0),
    ],
    ids=["a pickle", "truncated", "short payload", "unknown dtype", "negative size", "extra payload", "oversized"],
)
def test_malformed_frames_are_refused(data):
    with pytest.raises(codec.CodecError):
        codec.decode(data)
