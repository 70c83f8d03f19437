"""Plain data between the judge and the worker: a JSON header and the raw bytes of tensors.

A message holds ``None``, booleans, numbers, strings, lists, dicts with string keys and
tensors. Tuples travel as lists, named tuples (a probe's typed reply) as dicts of their
fields. Reading a message parses JSON and copies bytes into new tensors: nothing in it
can run code, whatever the sender wrote.

Frame: ``MAGIC``, the header's length and the payload's length (8 bytes each, big
endian), the UTF-8 JSON header, then the payload, the tensors' bytes one after another.
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

import torch

MAGIC = b"GRD1"
PREFIX = struct.Struct(">4sQQ")
MAX_FRAME = 512 * 2**20  # a probe result is at most a few tensors of MNIST size
TENSOR_KEY = "$tensor"
DTYPES = {
    str(dtype).removeprefix("torch."): dtype
    for dtype in (
        torch.float16,
        torch.bfloat16,
        torch.float32,
        torch.float64,
        torch.uint8,
        torch.int8,
        torch.int16,
        torch.int32,
        torch.int64,
        torch.bool,
    )
}


class CodecError(ValueError):
    """A message that is not a well-formed frame of plain data."""


def encode(value: Any) -> bytes:
    """Return the frame holding ``value``."""
    tensors: list[torch.Tensor] = []

    def plain(item: Any) -> Any:
        if isinstance(item, torch.Tensor):
            tensors.append(item.detach().cpu().contiguous())
            return {TENSOR_KEY: [len(tensors) - 1, str(item.dtype).removeprefix("torch."), list(item.shape)]}
        if item is None or isinstance(item, bool | int | float | str):
            return item
        if isinstance(item, tuple) and hasattr(item, "_fields"):  # a typed reply: a dict of its fields
            return {field: plain(element) for field, element in zip(item._fields, item, strict=True)}
        if isinstance(item, list | tuple):
            return [plain(element) for element in item]
        if isinstance(item, dict):
            return {str(key): plain(element) for key, element in item.items()}
        raise CodecError(f"cannot send a value of type {type(item).__name__}")

    header = json.dumps(plain(value)).encode()
    payload = b"".join(tensor.reshape(-1).view(torch.uint8).numpy().tobytes() for tensor in tensors)
    return PREFIX.pack(MAGIC, len(header), len(payload)) + header + payload


def frame_length(prefix: bytes) -> int:
    """The total length of the frame that starts with ``prefix`` (``PREFIX.size`` bytes)."""
    magic, header, payload = PREFIX.unpack(prefix)
    if magic != MAGIC or header + payload > MAX_FRAME:
        raise CodecError("not a frame of the grading protocol")
    return PREFIX.size + header + payload


def decode(frame: bytes) -> Any:
    """Return the value that ``encode`` wrote into ``frame``."""
    if len(frame) < PREFIX.size or frame_length(frame[: PREFIX.size]) != len(frame):
        raise CodecError("truncated or oversized frame")
    _, header_length, _ = PREFIX.unpack(frame[: PREFIX.size])
    try:
        header = json.loads(frame[PREFIX.size : PREFIX.size + header_length])
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CodecError(f"unreadable header ({error})") from None
    payload = memoryview(frame)[PREFIX.size + header_length :]
    offset = 0

    def rebuilt(item: Any) -> Any:
        nonlocal offset
        if isinstance(item, list):
            return [rebuilt(element) for element in item]
        if not isinstance(item, dict):
            return item
        if TENSOR_KEY not in item:
            return {key: rebuilt(element) for key, element in item.items()}
        tensor = tensor_from(item, payload, offset)
        offset += tensor.numel() * tensor.element_size()
        return tensor

    value = rebuilt(header)
    if offset != len(payload):
        raise CodecError("the payload does not match the tensors of the header")
    return value


def tensor_from(item: dict, payload: memoryview, offset: int) -> torch.Tensor:
    """Copy one tensor described by ``item`` out of ``payload`` at ``offset``."""
    try:
        _, dtype_name, shape = item[TENSOR_KEY]
        dtype = DTYPES[dtype_name]
        if len(item) != 1 or not all(isinstance(size, int) and size >= 0 for size in shape):
            raise ValueError
    except (KeyError, TypeError, ValueError):
        raise CodecError(f"malformed tensor entry {str(item)[:80]}") from None
    size = math.prod(shape) * torch.empty(0, dtype=dtype).element_size()
    if offset + size > len(payload):
        raise CodecError("the payload is shorter than its tensors")
    data = bytearray(payload[offset : offset + size])
    if not data:
        return torch.empty(shape, dtype=dtype)
    return torch.frombuffer(data, dtype=dtype).reshape(shape)
