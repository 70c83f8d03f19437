"""Saving and loading models with ``torch.save`` and ``torch.load(weights_only=True)``.

A model file holds plain data only: the model's architecture (module class names
and constructor arguments, nested for ``Sequential``, as ``Module.architecture()``
gives them) and its parameters (``Module.state_dict()``). Nothing in it is code:
``load`` builds the modules itself, from this framework's classes in ``MODULES``.

A file written by ``torch.save`` is a pickle, and a plain ``pickle.load`` would call
any function the file names, so a crafted file could run any command.
``torch.load(weights_only=True)`` reads it with PyTorch's restricted unpickler, which
creates tensors, dtypes and plain containers only and refuses everything else before
anything runs.

A layer used twice in a network is saved at each of its positions: the loaded model
computes the same function, with separate copies of the shared weights.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import torch

from .activations import ACTIVATIONS
from .linear import Linear
from .module import Module
from .sequential import Sequential

FORMAT = "framework-model/2"
# The only classes a model file may name: the framework's layers and every one of its activations.
MODULES: dict[str, type[Module]] = {module.__name__: module for module in (Linear, Sequential, *ACTIVATIONS)}


class ModelFileError(ValueError):
    """A model file is not one that ``save`` wrote, is damaged, or asks to run code."""


def save(model: Module, path: str | os.PathLike) -> None:
    """Write ``model`` to ``path``; ``load(path)`` gives it back, with equal parameters.

    The file is ``torch.save`` of the dict ``{"format": FORMAT, "architecture":
    model.architecture(), "state": model.state_dict()}``.

    Example:
        >>> save(Sequential(Linear(2, 25), ReLU(), Linear(25, 2)), "model.pt")
    """
    if not isinstance(model, Module):
        raise TypeError(f"save: expected a Module, got {type(model).__name__}")
    state = model.state_dict()
    if len({id(tensor) for tensor in state.values()}) < len(state):
        warnings.warn(
            "save: the model uses a layer more than once; the file stores it at each position, "
            "so the loaded model will hold separate copies of the shared weights.",
            stacklevel=2,
        )
    torch.save({"format": FORMAT, "architecture": model.architecture(), "state": state}, path)


def load(path: str | os.PathLike) -> Module:
    """Read a model written by ``save``; nothing in the file is executed.

    Raises:
        ModelFileError: the file holds more than plain data and tensors (it would run
            code), is not a model file of this framework, names a module the
            framework does not have, or its parameters do not fit its architecture.
        OSError: the file cannot be read.

    Example:
        >>> save(Sequential(Linear(2, 25), ReLU(), Linear(25, 2)), "model.pt")
        >>> load("model.pt")
        Sequential(
          (0): Linear(in_features=2, out_features=25, bias=True)
          (1): ReLU()
          (2): Linear(in_features=25, out_features=2, bias=True)
        )
    """
    contents = read_model_file(path)
    try:
        model = build(contents["architecture"])
        model.load_state_dict(contents["state"])
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, RecursionError) as error:
        raise ModelFileError(f"{path} is damaged: {type(error).__name__}: {error}") from error
    return model


def read_model_file(path: str | os.PathLike) -> dict[str, Any]:
    """Return the dict that ``save`` wrote to ``path``, read with ``torch.load(weights_only=True)``.

    Raises:
        ModelFileError: ``torch.load`` refused the file, or it is not a dict of this ``FORMAT``.
    """
    try:
        contents = torch.load(path, weights_only=True)
    except OSError:
        raise
    except Exception as error:  # the unpickler's refusal, or a file torch cannot read
        raise ModelFileError(
            f"refused to load {path}: it is not a model file of this framework, or it holds more than "
            f"plain data and tensors, which could run code when read "
            f"({type(error).__name__}: {essential_line(error)})"
        ) from error
    if not isinstance(contents, dict) or contents.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a model file of this framework (format {FORMAT!r} expected)")
    return contents


def essential_line(error: Exception) -> str:
    """The sentence of an error's message that names what torch refused, else its first line."""
    lines = str(error).splitlines() or [""]
    line = next((line.strip() for line in lines if "Unsupported" in line), lines[0])
    return line.partition(". Please")[0]  # not torch's advice on how to allow the refused call


def build(architecture: dict[str, Any]) -> Module:
    """Create the modules that ``architecture`` describes, from the classes of ``MODULES`` only.

    ``architecture`` is what ``Module.architecture()`` returns: ``{"module": name,
    "arguments": keyword arguments}``, or ``{"module": "Sequential", "modules": [...]}``
    with one such description per module, in order.

    Raises:
        ModelFileError: a module name that is not in ``MODULES``.

    Example:
        >>> build({"module": "Linear", "arguments": {"in_features": 2, "out_features": 3}})
        Linear(in_features=2, out_features=3, bias=True)
    """
    # Look the class up by its name in MODULES (an unknown name is a ModelFileError:
    # nothing else may be created); a Sequential takes the modules built from its list
    # "modules", any other class its "arguments" as keyword arguments.
    # YOUR CODE HERE
    raise NotImplementedError("task io: write build")
