"""Saving and loading models, safely.

A model file is a pickle of plain containers only (tuples, lists, dicts, strings,
numbers, bytes): ``save`` encodes every module as its class name and attributes,
and every tensor as its dtype, shape and raw bytes. ``load`` refuses any pickle
that names a global (a class or function to call): a plain ``pickle.load`` would
call it, so a crafted file could run any command. The only classes ``load``
creates are this framework's own modules, looked up by name.
"""

from __future__ import annotations

import math
import os
import pickle
from typing import Any

import torch

from .module import Module

FORMAT = "framework-model/1"


class ModelFileError(ValueError):
    """A model file is not one that ``save`` wrote, or it tries to run code."""


def save(model: Module, path: str | os.PathLike) -> None:
    """Write ``model`` to ``path``; ``load(path)`` gives it back exactly.

    Example:
        >>> save(Sequential(Linear(2, 25), ReLU(), Linear(25, 2)), "model.pkl")
    """
    if not isinstance(model, Module):
        raise TypeError(f"save: expected a Module, got {type(model).__name__}")
    with open(path, "wb") as file:
        pickle.dump({"format": FORMAT, "model": encode(model)}, file, protocol=pickle.HIGHEST_PROTOCOL)


def load(path: str | os.PathLike) -> Module:
    """Read a model written by ``save``; nothing in the file is executed.

    Raises:
        ModelFileError: the file names a global (class or function), is not a model
            file of this framework, names a class the framework does not have, or is
            damaged.
    """
    with open(path, "rb") as file:
        try:
            data = PlainUnpickler(file).load()
        except ModelFileError:
            raise
        except Exception as error:
            raise ModelFileError(f"{path} is not a model file of this framework ({error})") from error
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a model file of this framework (format {FORMAT!r} expected)")
    try:
        model = decode(data["model"], framework_classes())
    except ModelFileError:
        raise
    except Exception as error:  # a damaged file can break decoding in many ways
        raise ModelFileError(f"{path} is damaged: {type(error).__name__}: {error}") from error
    if not isinstance(model, Module):
        raise ModelFileError(f"{path} holds a {type(model).__name__}, not a model")
    return model


class PlainUnpickler(pickle.Unpickler):
    """An unpickler for plain containers: it refuses every global, so nothing in the file runs."""

    def find_class(self, module: str, name: str) -> Any:
        raise ModelFileError(
            f"refused to load: the file asks to import {module}.{name}, and a model file "
            f"holds plain data only. It was not written by save(), or it was tampered with: "
            f"loading it with plain pickle could run arbitrary code."
        )


def framework_classes() -> dict[str, type[Module]]:
    """Return this framework's module classes by name, the only classes ``load`` creates.

    They are the subclasses of ``Module`` defined in this package, or beside this
    function when the framework lives in one module (a notebook).
    """
    package = __name__.rpartition(".")[0]
    classes: dict[str, type[Module]] = {"Module": Module}
    pending = [Module]
    while pending:
        for subclass in pending.pop().__subclasses__():
            pending.append(subclass)
            if subclass.__module__ == __name__ or subclass.__module__.startswith(package + "."):
                classes[subclass.__name__] = subclass
    return classes


def encode(value: Any, memo: dict[int, tuple] | None = None) -> tuple:
    """Encode a module, tensor, container or plain value as nested tagged tuples.

    - a module: ``("module", class name, {attribute: encoded value})``, without the
      tensors saved for backward;
    - a tensor: ``("tensor", dtype name, shape, raw bytes)``;
    - a list, tuple or dict: ``("list" | "tuple" | "dict", encoded items)``;
    - None, a bool, int, float or str: ``("value", value)``.

    An object met twice (a layer used twice in a network) is encoded once, in ``memo``,
    so that pickle stores it once and ``decode`` restores one shared object.
    """
    memo = {} if memo is None else memo
    if id(value) not in memo:
        memo[id(value)] = encode_value(value, memo)
    return memo[id(value)]


def encode_value(value: Any, memo: dict[int, tuple]) -> tuple:
    """Encode one value as ``encode`` describes; its parts go through ``encode(part, memo)``."""
    # Recurse into attributes and containers; copy each tensor's bytes exactly
    # (a tensor's bytes: tensor.reshape(-1).view(torch.uint8).numpy().tobytes()).
    ### BEGIN SOLUTION
    if isinstance(value, Module):
        state = {key: encode(item, memo) for key, item in vars(value).items() if key != "_saved"}
        return ("module", type(value).__name__, state)
    if isinstance(value, torch.Tensor):
        data = value.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
        return ("tensor", str(value.dtype).removeprefix("torch."), tuple(value.shape), data)
    if isinstance(value, list | tuple):
        return (type(value).__name__, [encode(item, memo) for item in value])
    if isinstance(value, dict):
        return ("dict", {key: encode(item, memo) for key, item in value.items()})
    if value is None or isinstance(value, bool | int | float | str):
        return ("value", value)
    raise TypeError(f"save: cannot store a value of type {type(value).__name__}")
    ### END SOLUTION


def decode(item: tuple, classes: dict[str, type[Module]], memo: dict[int, Any] | None = None) -> Any:
    """Rebuild what ``encode`` encoded, creating modules only from ``classes``.

    An entry the file holds once but refers to twice is decoded once, in ``memo``: a
    shared layer stays shared, and a crafted file cannot make decoding exponential.
    """
    memo = {} if memo is None else memo
    if id(item) not in memo:
        memo[id(item)] = decode_item(item, classes, memo)
    return memo[id(item)]


def decode_item(item: tuple, classes: dict[str, type[Module]], memo: dict[int, Any]) -> Any:
    """Rebuild one entry; its parts go through ``decode(part, classes, memo)``.

    Raises:
        ModelFileError: an unknown tag, module class or dtype, or tensor bytes that do
            not fill the tensor's shape.
    """
    # Create a module without calling its constructor (cls.__new__(cls)), then set its
    # attributes; rebuild a tensor with torch.frombuffer(bytearray(data), dtype=...).
    ### BEGIN SOLUTION
    tag, *content = item
    if tag == "module":
        name, state = content
        if name not in classes:
            raise ModelFileError(f"unknown module class {name!r}: the framework has {sorted(classes)}")
        module = classes[name].__new__(classes[name])
        vars(module).update({key: decode(value, classes, memo) for key, value in state.items()})
        module._saved = None
        return module
    if tag == "tensor":
        dtype_name, shape, data = content
        dtype = getattr(torch, dtype_name, None)
        if not isinstance(dtype, torch.dtype):
            raise ModelFileError(f"unknown tensor dtype {dtype_name!r}")
        size = math.prod(shape) * torch.empty(0, dtype=dtype).element_size()
        if not isinstance(data, bytes) or len(data) != size:
            raise ModelFileError(f"the bytes of a tensor of shape {tuple(shape)} do not match it")
        if not data:
            return torch.empty(shape, dtype=dtype)
        return torch.frombuffer(bytearray(data), dtype=dtype).reshape(shape)
    if tag in ("list", "tuple"):
        items = [decode(value, classes, memo) for value in content[0]]
        return items if tag == "list" else tuple(items)
    if tag == "dict":
        return {key: decode(value, classes, memo) for key, value in content[0].items()}
    if tag == "value":
        return content[0]
    raise ModelFileError(f"unknown entry {tag!r} in the model file")
    ### END SOLUTION
