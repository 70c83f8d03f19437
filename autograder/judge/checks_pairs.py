"""The checks of project 1, the digit pairs: inputs, expected values and verdicts, all in the judge.

The judge reads MNIST itself, with the kit's loader, from the folder the data sandbox sees
(``mnist_cache``), to check that the student's pairs are real images with their true classes
and to draw the pairs the accuracy check trains on; the test labels stay here. What each model
is (weight sharing, auxiliary classifiers, digit supervision, depth) is read from the
reference's ``MODELS`` table (``MODEL_FACTS``): a model added there gets its checks of the
models, weight_sharing and auxiliary tasks.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import math
from collections.abc import Callable
from typing import Any, NamedTuple, NoReturn

import torch
import torch.nn.functional as F

from reference.pairs import models as reference_models

from ..manifest import check, declare, stub_task
from ..mnist_cache import mnist_root
from ..worker.probes_pairs import Comparisons, DigitLayouts, DrawnSets, LossTerms, TrainedRuns
from ..worker.trusted import TRUSTED_PAIR_PARTS, TrustedPairModel, TrustedPairOutput, trusted_pair_model
from . import secret
from .messages import CheckFailure, close, describe, expect, expect_close, fail, mistake, show, tensor
from .numeric import vector_jacobian
from .probe import CheckRun, Probe
from .runner import NOT_IMPLEMENTED, failure_message


class ModelFacts(NamedTuple):
    """What the reference's ``MODELS`` table says of one pairs model: the arguments of its ``PairModel``.

    Attributes:
        shared: ONE branch for both images (weight sharing).
        auxiliary: the stages its auxiliary classifiers read; empty without any.
        digits: its digit supervision: None, ``"auxiliary"`` or ``"compared"`` (the comparison computed
            from the digits).
        shallow: of the shallow depth, the course's size: the parameter budget applies.
    """

    shared: bool
    auxiliary: tuple[str, ...]
    digits: str | None
    shallow: bool

    @property
    def loss_terms(self) -> tuple[str, ...]:
        """The terms its loss adds to the comparison's cross-entropy: ``auxiliary``, ``digit``, both or none."""
        return ("auxiliary",) * bool(self.auxiliary) + ("digit",) * (self.digits is not None)


def model_facts(name: str, build: Callable[[], Any]) -> ModelFacts:
    """The facts of ``MODELS[name]``, read from its arguments: ``functools.partial(PairModel, depth, ...)``,
    the arguments it does not give at ``PairModel``'s defaults.

    Raises:
        TypeError: an entry that is no such partial: the autograder cannot tell what it builds.
    """
    if not (isinstance(build, functools.partial) and build.func is reference_models.PairModel):
        raise TypeError(
            f"reference.pairs.models.MODELS[{name!r}] is {build!r}: write it as functools.partial(PairModel, ...), "
            "whose arguments the autograder reads"
        )
    arguments = inspect.signature(reference_models.PairModel).bind(*build.args, **build.keywords)
    arguments.apply_defaults()
    given = arguments.arguments
    shallow = given["depth"] is reference_models.SHALLOW
    return ModelFacts(bool(given["shared"]), tuple(given["auxiliary"]), given["digits"], shallow)


# Every pairs model, in the order of the reference's table: the models, weight_sharing and auxiliary
# tasks declare their checks from it.
MODEL_FACTS = {name: model_facts(name, build) for name, build in reference_models.MODELS.items()}
DIGITS = tuple(name for name, facts in MODEL_FACTS.items() if facts.digits)
AUXILIARY = tuple(name for name, facts in MODEL_FACTS.items() if facts.auxiliary)
# The course's statement: "a convnet with ~70,000 parameters can be trained with 25 epochs ... ~15% error",
# a figure of the order of magnitude, not a cap. A shallow model may count up to ten times that; what
# counts is what its prediction is computed from: the auxiliary classifiers (and digit heads) that only
# training reads do not.
PARAMETER_BUDGET = 70_000
PARAMETER_LIMIT = 10 * PARAMETER_BUDGET
BUDGET_NOTE = (
    f", at most {PARAMETER_LIMIT:,} parameters in what its prediction is computed from (the course's "
    f"~{PARAMETER_BUDGET:,}, to within an order of magnitude; auxiliary classifiers do not count)"
)

ACCURACY_MODEL = "shared_digits"
# The accuracy check (pair_accuracy, at the end of this file, with its measured figures): the
# student's train(model, data, epochs=ACCURACY_EPOCHS) on ACCURACY_PAIRS training pairs, with
# MONITOR_PAIRS more as data's test set, stopped after the first epoch with STOP_ACCURACY of those
# monitor pairs right, must reach ACCURACY_THRESHOLD on ACCURACY_PAIRS test pairs after its last
# epoch; the control, on another draw with shuffled labels, must stay under CONTROL_CEILING.
ACCURACY_PAIRS = 1000
MONITOR_PAIRS = 500
ACCURACY_EPOCHS = 25
ACCURACY_THRESHOLD = 0.85
# 5 points above the threshold: a stop at 90% of the monitor pairs (std 1.3 points at 500 pairs)
# while the test pairs (std 0.9 at 1000) are under 85% is 3 standard deviations away.
STOP_ACCURACY = 0.90
# Every image of the accuracy check gets noise of this standard deviation (pixel values
# 0..255): a public MNIST image looked up in a table is no longer found, while a trained
# model does not notice (the reference, seeds 0..2: within 0.5 point of its clean accuracy).
NOISE = 8.0
CONTROL_CEILING = 0.75  # a model that brings its answers with it gets about 100%


class Pairs(NamedTuple):
    """Synthetic pairs for checks that need shapes, not digits: random pixels 0..255."""

    input: torch.Tensor
    target: torch.Tensor
    classes: torch.Tensor


def sample_pairs(n: int = 6, seed: int = 0) -> Pairs:
    """``n`` synthetic pairs with random classes."""
    generator = torch.Generator().manual_seed(seed)
    classes = torch.randint(0, 10, (n, 2), generator=generator)
    input = 255 * torch.rand(n, 2, 14, 14, generator=generator)
    return Pairs(input, (classes[:, 0] <= classes[:, 1]).long(), classes)


# Data -------------------------------------------------------------------------------------------

DATA_CALLS = (
    {"n": 200, "seed": 0},
    {"n": 200, "seed": 0},
    {"n": 200, "seed": 1},
    {"n": 200, "seed": 0, "distinct": True},
)
LARGEST = 5000


class Index(NamedTuple):
    """One MNIST split, searchable by image: sorted keys, their image indices, images and labels."""

    keys: torch.Tensor
    order: torch.Tensor
    images: torch.Tensor
    labels: torch.Tensor


def image_keys(images: torch.Tensor) -> torch.Tensor:
    """A float64 key per 14x14 image: its pixels projected on a fixed random direction."""
    direction = torch.rand(196, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    return images.reshape(len(images), 196).double() @ direction


@functools.cache
def mnist_index(split: str) -> Index:
    """The kit's MNIST split (train or test), pooled to 14x14 as the assignment specifies."""
    from reference.pairs.mnist import load_mnist

    images, labels = load_mnist(split, mnist_root())
    keys = image_keys(images)
    order = keys.argsort()
    return Index(keys[order], order, images, labels)


def lookup(images: torch.Tensor, split: str) -> torch.Tensor:
    """The index in the MNIST split of every image of (M, 14, 14), or -1 where it is none."""
    index = mnist_index(split)
    keys = image_keys(images)
    position = torch.searchsorted(index.keys, keys).clamp(max=len(index.keys) - 1)
    found = index.order[position]
    equal = (index.images[found].reshape(len(images), -1) == images.reshape(len(images), -1)).all(1)
    return torch.where(equal, found, torch.full_like(found, -1))


def data_probe(calls: tuple[dict, ...] = DATA_CALLS) -> Probe:
    """The probe calling the student's generate_pair_sets, with the MNIST files visible."""
    return Probe("pairs.pair_sets", {"calls": list(calls)}, data=True)


def pair_set(result: DrawnSets, number: int) -> list[torch.Tensor]:
    """The six tensors of call ``number``, checked to be six tensors of consistent shapes: per split,
    input (n, 2, 14, 14), target (n,) and classes (n, 2), whatever n is."""
    data = result.calls[number]
    call = f"generate_pair_sets({', '.join(f'{k}={v}' for k, v in DATA_CALLS[number].items())})"
    expect(
        len(data) == 6 and all(isinstance(item, torch.Tensor) for item in data),
        call,
        "six tensors: train_input, train_target, train_classes, test_input, test_target, test_classes",
        f"{len(data)} values: {', '.join(describe(item) for item in data)}",
        "return PairSets(*train, *test), as the scaffold does",
    )
    expect(
        all(well_formed(*data[first : first + 3]) for first in (0, 3)),
        f"shapes of {call}",
        "input (n, 2, 14, 14), target (n,), classes (n, 2), for train then test",
        str([tuple(item.shape) for item in data]),
        "draw_pairs returns images[pairs] (n, 2, 14, 14), the target (n,) and the classes (n, 2)",
    )
    return data


def well_formed(images: torch.Tensor, target: torch.Tensor, classes: torch.Tensor) -> bool:
    """Whether one split's tensors have the shapes of n pairs, for their own n."""
    if images.dim() != 4 or tuple(images.shape[1:]) != (2, 14, 14):
        return False
    return tuple(target.shape) == (len(images),) and tuple(classes.shape) == (len(images), 2)


@check(
    "pair_data",
    "shapes",
    1,
    "generate_pair_sets(200): shapes (200, 2, 14, 14), (200,), (200, 2); float32 pixels 0..255, int64 targets and "
    "classes",
)
def data_shapes() -> CheckRun:
    """Shapes, dtypes and pixel range of generate_pair_sets(200, seed=0)."""
    data = pair_set((yield data_probe()), 0)
    shapes = [tuple(item.shape) for item in data]
    expect(
        shapes == [(200, 2, 14, 14), (200,), (200, 2)] * 2,
        "shapes of generate_pair_sets(200, seed=0)",
        "input (200, 2, 14, 14), target (200,), classes (200, 2), for train then test",
        str(shapes),
        "draw_pairs returns images[pairs] (n, 2, 14, 14), the target (n,) and the classes (n, 2)",
    )
    dtypes = [str(item.dtype).removeprefix("torch.") for item in data]
    expect(
        dtypes == ["float32", "int64", "int64"] * 2,
        "dtypes of generate_pair_sets(200, seed=0)",
        "float32 inputs, int64 targets and classes",
        str(dtypes),
        "compute the target with .long(); keep the loader's float32 images",
    )
    low, high = min(data[0].min().item(), data[3].min().item()), max(data[0].max().item(), data[3].max().item())
    expect(
        low >= 0 and 100 < high <= 255,
        "pixel values of generate_pair_sets(200, seed=0)",
        "raw values in [0, 255] (the models standardise them)",
        f"[{low:.3g}, {high:.3g}]",
        "do not normalise in the loader: normalisation lives inside the models",
    )


@check("pair_data", "images", 1, "every image is an MNIST image of its split, and its class is that image's")
def data_images() -> CheckRun:
    """Every image of the pairs is an MNIST image of its split, and its class is that image's label."""
    data = pair_set((yield data_probe()), 0)
    for split, images, classes in (("train", data[0], data[2]), ("test", data[3], data[5])):
        found = lookup(images.reshape(-1, 14, 14), split)
        expect(
            bool((found >= 0).all()),
            f"the {split} pairs of generate_pair_sets(200, seed=0)",
            f"images of the MNIST {split} split (pooled to 14x14)",
            f"{int((found < 0).sum())} of {len(found)} images found in no MNIST {split} image",
            "index the loader's images with the pair indices (images[pairs]), and take the training pairs "
            "from the training split, the test pairs from the test split",
        )
        labels = mnist_index(split).labels[found].reshape(-1, 2)
        expect(
            torch.equal(labels, classes),
            f"the classes of the {split} pairs of generate_pair_sets(200, seed=0)",
            "each image's own MNIST label",
            f"{int((labels != classes).sum())} wrong classes",
            "look the classes up with the same pair indices as the images: labels[pairs]",
        )


@check("pair_data", "targets", 1, "the target is 1 exactly when the first digit is <= the second")
def data_targets() -> CheckRun:
    """The target is 1 exactly when the first digit is <= the second."""
    result = yield data_probe()
    for number in (0, 3):
        data = pair_set(result, number)
        for target, classes in ((data[1], data[2]), (data[4], data[5])):
            first, second = classes[:, 0], classes[:, 1]
            named = {
                "targets compared with < instead of <=": (first < second).long(),
                "targets reversed (first >= second)": (first >= second).long(),
            }
            if not torch.equal(target, (first <= second).long()):
                wrong = next((name for name, value in named.items() if torch.equal(target, value)), None)
                fail(
                    "targets of generate_pair_sets(200, seed=0" + (", distinct=True)" if number else ")"),
                    "1 exactly when the first digit is <= the second",
                    f"{show(target, 8)} for classes {classes[:4].tolist()} ...",
                    f"this is {wrong}" if wrong else "target = (classes[:, 0] <= classes[:, 1]).long()",
                )


@check("pair_data", "no_repeat", 1, f"no image is used twice, even among {LARGEST:,} pairs", limit=60)
def data_no_repeat() -> CheckRun:
    """No MNIST image appears twice among 5,000 training pairs, nor among 5,000 test pairs."""
    result = yield data_probe(({"n": LARGEST, "seed": 0},))
    data = result.calls[0]
    expect(
        len(data) == 6 and all(isinstance(item, torch.Tensor) for item in data),
        f"generate_pair_sets({LARGEST})",
        "six tensors",
        describe(data),
        "return PairSets(*train, *test)",
    )
    for split, images in (("train", data[0]), ("test", data[3])):
        checked = f"generate_pair_sets({LARGEST}, seed=0): the {split} images"
        expect(
            tuple(images.shape) == (LARGEST, 2, 14, 14),
            checked,
            f"({LARGEST}, 2, 14, 14)",
            describe(images),
            "draw n pairs",
        )
        found = lookup(images.reshape(-1, 14, 14), split)
        distinct = len(torch.unique(found[found >= 0]))
        expect(
            distinct == 2 * LARGEST and bool((found >= 0).all()),
            checked,
            f"{2 * LARGEST:,} different MNIST images: every image used at most once",
            f"{distinct:,} different images",
            "this is drawing with replacement: pair up consecutive indices of ONE random permutation, "
            "order[: 2 * n].view(-1, 2)"
            if distinct < 2 * LARGEST
            else "take every image from the split",
        )


@check("pair_data", "seed", 1, "the same seed gives the same pairs, another seed other pairs")
def data_seed() -> CheckRun:
    """The same seed gives the same pairs; another seed gives other pairs."""
    result = yield data_probe()
    first, again, other = (pair_set(result, number) for number in (0, 1, 2))
    expect(
        all(torch.equal(a, b) for a, b in zip(first, again, strict=True)),
        "generate_pair_sets(200, seed=0) twice",
        "identical tensors",
        "different tensors",
        "draw every random number from the generator seeded with seed",
    )
    expect(
        not torch.equal(first[0], other[0]),
        "generate_pair_sets(200, seed=0) and (200, seed=1)",
        "different pairs",
        "the same pairs",
        "the seed must fix the draw: pass the generator to torch.randperm",
    )


@check("pair_data", "distinct", 1, "distinct=True gives n pairs, none of two equal digits")
def data_distinct() -> CheckRun:
    """distinct=True: n pairs in every tensor, and no pair of two equal digits."""
    result = yield data_probe()
    data = result.calls[3]
    lengths = [item.shape[0] if isinstance(item, torch.Tensor) and item.dim() else -1 for item in data]
    expect(
        lengths == [200] * 6,
        "generate_pair_sets(200, seed=0, distinct=True)",
        "200 pairs in every tensor",
        str(lengths),
        "this is dropping the pairs of equal digits after keeping n: drop them first, then keep the first n"
        if 0 < max(lengths) < 200
        else "drop the pairs of equal digits first, then keep the first n",
    )
    data = pair_set(result, 3)
    for classes in (data[2], data[5]):
        expect(
            bool((classes[:, 0] != classes[:, 1]).all()),
            "generate_pair_sets(200, seed=0, distinct=True)",
            "no pair of two equal digits",
            f"{int((classes[:, 0] == classes[:, 1]).sum())} pairs of equal digits",
            "with distinct, keep only the pairs whose two labels differ",
        )


# Models -----------------------------------------------------------------------------------------


def parts_not_of(task: str) -> tuple[str, ...]:
    """The parts of pairs/models.py that a check of ``task`` runs as the kit's: all but the task's own."""
    return tuple(part for part in TRUSTED_PAIR_PARTS if stub_task("pairs/models.py", part) != task)


def outputs_probe(name: str) -> Probe:
    """The probe of one model's outputs on six synthetic pairs."""
    return Probe(
        "pairs.outputs", {"name": name, "seed": 0, "input": sample_pairs().input, "trusted": parts_not_of("models")}
    )


def layouts_probe() -> Probe:
    """The probe of the digit models' layout: the shape of their digits, with the models task's own parts."""
    return Probe(
        "pairs.digit_layouts",
        {"names": list(DIGITS), "seed": 0, "input": sample_pairs().input[:2], "trusted": parts_not_of("models")},
    )


def transposed_layout(shape: Any) -> bool:
    """Whether a digits shape is the transposed layout (N, 10, 2) rather than the kit's (N, 2, 10)."""
    return isinstance(shape, list | tuple) and len(shape) == 3 and tuple(shape[1:]) == (10, 2)


def student_transposed(result: DigitLayouts) -> bool:
    """Whether the student's digit models return (N, 10, 2): one does, and none returns (N, 2, 10)."""
    shapes = list(result.shapes.values())
    kit = any(isinstance(shape, list) and tuple(shape[1:]) == (2, 10) for shape in shapes)
    return any(transposed_layout(shape) for shape in shapes) and not kit


def untransposed(fields: dict) -> dict:
    """Output fields with transposed digits (N, 10, 2) put in the kit's layout."""
    digits = fields.get("digits")
    if isinstance(digits, torch.Tensor) and transposed_layout(list(digits.shape)):
        return fields | {"digits": digits.transpose(1, 2)}
    return fields


def expect_fields(name: str, fields: dict, n: int, mode: str) -> None:
    """Check the comparison, digits and auxiliary fields of one output for n pairs."""
    checked = f"the output of {name} ({mode} mode) for {n} pairs"
    missing = [key for key, value in fields.items() if isinstance(value, dict) and value.get("missing")]
    expect(
        not missing,
        checked,
        "an object with fields comparison, digits and auxiliary (a PairOutput)",
        f"no field {', '.join(missing)}",
        "return PairOutput(comparison, digits, auxiliary)",
    )
    comparison = tensor(
        fields["comparison"],
        f"{name}: output.comparison ({mode} mode)",
        (n, 2),
        torch.float32,
        "the comparison head ends with a linear layer to 2 logits, one row per pair",
    )
    expect(
        bool(torch.isfinite(comparison).all()),
        f"{name}: output.comparison on raw pixel values 0..255",
        "finite logits",
        "NaN or infinite values",
        "standardise the input inside the model",
    )
    digits = fields["digits"]
    if name in DIGITS:
        tensor(
            digits,
            f"{name}: output.digits ({mode} mode)",
            (n, 2, 10),
            torch.float32,
            "a digit model predicts each image's class: 10 logits per image, image k's in digits[:, k]",
        )
    else:
        expect(
            digits is None,
            f"{name}: output.digits",
            "None (this model has no digit heads)",
            describe(digits),
            f"only {', '.join(DIGITS)} predict digit classes",
        )
    auxiliary = fields["auxiliary"]
    count = len(auxiliary) if isinstance(auxiliary, list) else -1
    classifiers = bool(MODEL_FACTS[name].auxiliary)
    expect(
        (count >= 1 if classifiers else count == 0)
        and all(isinstance(a, torch.Tensor) and tuple(a.shape) == (n, 2) for a in auxiliary or []),
        f"{name}: output.auxiliary ({mode} mode)",
        f"a tuple of {'at least one' if classifiers else 'no'} (N, 2) comparison logits",
        f"{count} entries" if count >= 0 else describe(auxiliary),
        f"{', '.join(AUXILIARY)} have auxiliary classifiers on intermediate features; the other models none",
    )


def expect_layout(name: str, fields: dict, layouts: DigitLayouts) -> None:
    """Charge the transposed digit layout (N, 10, 2) in the first digit model that returns it, and there only."""
    digits = fields.get("digits")
    if not (isinstance(digits, torch.Tensor) and transposed_layout(list(digits.shape))):
        return
    earlier = DIGITS[: DIGITS.index(name)]
    if any(transposed_layout(layouts.shapes.get(model)) for model in earlier):
        return  # charged in the check of an earlier model
    fail(
        f"{name}: output.digits (training mode)",
        f"digits of shape {(len(digits), 2, 10)}: the kit's layout (N, 2, 10), image k's 10 logits in digits[:, k]",
        f"shape {tuple(digits.shape)}: the transposed layout (N, 10, 2)",
        "stack the two images' logits along dimension 1 (torch.stack([first, second], 1)); the other checks read "
        "your digits in your layout, so this layout costs this check only",
    )


def model_check(name: str) -> CheckRun:
    """One model: output fields in both modes, batch independence, features, parameter budget."""
    result = yield outputs_probe(name)
    if name in DIGITS:
        expect_layout(name, result.training, (yield layouts_probe()))
    for mode, fields in (("training", result.training), ("evaluation", result.evaluation)):
        expect_fields(name, untransposed(fields), 6, mode)
    alone, within = result.evaluation_first_two, result.evaluation
    expect_fields(name, untransposed(alone), 2, "evaluation")
    expect(
        close(alone["comparison"], within["comparison"][:2], tolerance=1e-4),
        f"{name} in evaluation mode: the logits of two pairs, alone and within a batch of six",
        "the same logits: a prediction does not depend on the rest of the batch",
        "different logits",
        "in evaluation mode batch norm uses its running statistics: never compute batch statistics by hand",
    )
    features = result.features
    expect(
        isinstance(features, torch.Tensor) and features.dim() == 3 and tuple(features.shape[:2]) == (6, 2),
        f"{name}.features(x) for x of shape (6, 2, 14, 14)",
        "per-image features of shape (6, 2, F)",
        describe(features),
        "stack the two images' features along dimension 1",
    )
    if MODEL_FACTS[name].shallow:
        layers = result.counted
        count = sum(layer[2] for layer in layers)
        expect(
            0 < count <= PARAMETER_LIMIT,
            f"the parameters of {name} that its prediction is computed from (auxiliary classifiers and digit "
            f"heads that only training reads do not count)",
            f"at most {PARAMETER_LIMIT:,}: the course's ~{PARAMETER_BUDGET:,}, to within an order of magnitude",
            f"{count:,}, layer by layer: " + ", ".join(f"{layer} ({kind}) {size:,}" for layer, kind, size in layers),
            "the shallow models are the course's small convnets: shrink the largest layers above (fewer channels, "
            "or a smaller fully connected layer after the last pooling)",
        )


def sharing_check(name: str) -> CheckRun:
    """Weight sharing: features of the swapped pair are the swapped features, for the shared models only."""
    result = yield Probe(
        "pairs.features",
        {"name": name, "seed": 0, "input": sample_pairs().input, "trusted": parts_not_of("weight_sharing")},
    )
    straight, swapped = result.straight, result.swapped
    checked = f"{name}: features of the pairs with their two images swapped (evaluation mode)"
    expect(
        all(
            isinstance(value, torch.Tensor) and value.dim() == 3 and value.shape[1] == 2
            for value in (straight, swapped)
        ),
        checked,
        "features of shape (N, 2, F)",
        describe(straight),
        "features returns the two images' features stacked along dimension 1",
    )
    gap = (swapped - straight.flip(1)).abs().max().item()
    scale = max(straight.abs().max().item(), 1e-6)
    if MODEL_FACTS[name].shared:
        expect(
            gap <= 1e-4 * scale,
            checked,
            "the same feature rows, swapped: one branch processes both images",
            f"rows that differ by up to {gap:.3g}",
            "apply the SAME branch (the same module object) to both images",
        )
    else:
        expect(
            gap > 1e-3 * scale,
            checked,
            "different features: each image has its own branch, with its own weights",
            "the same rows swapped: the two images share their weights",
            "build two branches (two module objects) and give each image its own",
        )


for _model, _facts in MODEL_FACTS.items():
    declare(
        "models",
        _model,
        2,
        f"{_model}: output fields and shapes for raw pairs, a prediction that does not depend on the batch, "
        f"per-image features{BUDGET_NOTE if _facts.shallow else ''}",
        lambda name=_model: model_check(name),
    )
    declare(
        "weight_sharing",
        _model,
        1,
        f"{_model}: "
        + (
            "one branch for both images: swapping the images swaps the features"
            if _facts.shared
            else "a branch per image: its own weights for each image"
        ),
        lambda name=_model: sharing_check(name),
    )


# Losses -----------------------------------------------------------------------------------------

# The auxiliary task's checks, in order: the models whose loss has more than the comparison's term.
LOSS_ORDER = tuple(name for name, facts in MODEL_FACTS.items() if facts.loss_terms)


def combined_loss(
    outputs: dict[str, torch.Tensor],
    target: torch.Tensor,
    classes: torch.Tensor,
    aux_weight: float,
    digit_weight: float,
    variant: str = "right",
) -> torch.Tensor:
    """The assignment's loss of given outputs, or one of the classic mistakes' (``variant``)."""
    loss = F.cross_entropy(outputs["comparison"], target)
    for key in sorted(key for key in outputs if key.startswith("auxiliary")):
        if variant != "no_auxiliary":
            loss = loss + (1.0 if variant == "unweighted" else aux_weight) * F.cross_entropy(outputs[key], target)
    if "digits" in outputs:
        digits = outputs["digits"]
        weight = 1.0 if variant == "unweighted" else digit_weight
        if variant == "first_image":
            loss = loss + weight * F.cross_entropy(digits[:, 0], classes[:, 0])
        elif variant == "transposed_classes":
            loss = loss + weight * F.cross_entropy(digits.flatten(0, 1), classes.T.flatten())
        elif variant != "no_digits":
            loss = loss + weight * F.cross_entropy(digits.flatten(0, 1), classes.flatten())
    return loss


LOSS_MISTAKES = {
    "no_auxiliary": "the auxiliary losses left out of the total",
    "no_digits": "the digit loss left out of the total",
    "unweighted": "the terms added without their weights (aux_weight, digit_weight)",
    "first_image": "the digit loss of the first image only",
    "transposed_classes": "the digit classes compared in the wrong layout (classes.T)",
}


def terms(outputs: dict[str, torch.Tensor], target: torch.Tensor, classes: torch.Tensor) -> dict[str, torch.Tensor]:
    """Each output's own cross-entropy, the digits' averaged over the 2N images (float64, differentiable)."""
    return {
        key: F.cross_entropy(value.flatten(0, 1), classes.flatten())
        if key == "digits"
        else F.cross_entropy(value, target)
        for key, value in outputs.items()
    }


def coefficients(
    outputs: dict[str, torch.Tensor], grads: dict[str, torch.Tensor], target: torch.Tensor, classes: torch.Tensor
) -> dict[str, float] | None:
    """The weight of each output's cross-entropy in a loss whose gradients are ``grads``, when the loss is
    a weighted sum of those cross-entropies (each gradient a multiple of its term's); else None."""
    found = {}
    with torch.enable_grad():
        leaves = {key: value.double().clone().requires_grad_() for key, value in outputs.items()}
        for key, term in terms(leaves, target, classes).items():
            (direction,) = torch.autograd.grad(term, leaves[key])
            obtained = grads.get(key)
            obtained = torch.zeros_like(direction) if obtained is None else obtained.double()
            if obtained.shape != direction.shape:
                return None
            weight = (obtained * direction).sum().item() / (direction * direction).sum().item()
            if not close(obtained, weight * direction, tolerance=1e-3) and not close(
                weight * direction, obtained, tolerance=1e-3
            ):
                return None
            found[key] = weight
    return found


def weighted(weights: dict[str, float], terms: dict[str, torch.Tensor]) -> torch.Tensor:
    """The sum of the terms, each times its weight."""
    return sum((weights[key] * term for key, term in terms.items()), torch.zeros((), dtype=torch.float64))


def near(value: float, wanted: float) -> bool:
    """Equal up to the precision of a float32 loss."""
    return abs(value - wanted) <= 1e-3 * max(1.0, abs(wanted))


def deviations(weights: dict[str, float], aux_weight: float, digit_weight: float) -> list[str]:
    """The ways a weighted sum of cross-entropies (``weights``, by output) differs from the docstring's
    formula, each named as the variant a student writes; empty when it is the formula."""
    comparison = weights["comparison"]
    auxiliary = [weight for key, weight in weights.items() if key.startswith("auxiliary")]
    digits = weights.get("digits")
    others = sum(auxiliary) + (digits or 0.0)
    if not near(comparison, 1.0) and (auxiliary or digits is not None) and near(comparison + others, 1.0):
        return [
            f"a convex combination (1 - w) CE(comparison) + w x (the other terms), w = {others:.3g}: the "
            f"docstring adds the other terms to CE(comparison), each with its own weight"
        ]
    found = [] if near(comparison, 1.0) else [f"CE(comparison) weighted by {comparison:.3g} instead of 1"]
    if auxiliary and not all(near(weight, aux_weight) for weight in auxiliary):
        if all(near(weight, 0.0) for weight in auxiliary):
            found.append(LOSS_MISTAKES["no_auxiliary"])
        elif all(near(weight, aux_weight / len(auxiliary)) for weight in auxiliary):
            found.append("the auxiliary losses averaged over the classifiers: the docstring sums them")
        elif all(near(weight, 1.0) for weight in auxiliary):
            found.append("the auxiliary terms added without their weight aux_weight")
        else:
            shown = ", ".join(f"{weight:.3g}" for weight in auxiliary)
            found.append(f"the auxiliary terms weighted {shown} instead of aux_weight = {aux_weight:g}")
    if digits is not None and not near(digits, digit_weight):
        if near(digits, 0.0):
            found.append(LOSS_MISTAKES["no_digits"])
        elif near(digits, 2 * digit_weight):
            found.append(
                "the two images' digit cross-entropies summed, CE(digits[:, 0], classes[:, 0]) + CE(digits[:, 1], "
                "classes[:, 1]): twice the docstring's mean over the 2N images"
            )
        elif near(digits, 1.0):
            found.append("the digit term added without its weight digit_weight")
        else:
            found.append(f"the digit term weighted {digits:.3g} instead of digit_weight = {digit_weight:g}")
    return found


def raised(error: dict, checked: str, expected: str) -> NoReturn:
    """Fail for what the student's code raised: an unwritten stub says only that, as everywhere."""
    message = failure_message(error, "pairs")
    if message.startswith(NOT_IMPLEMENTED):
        raise CheckFailure(message)
    fail(checked, expected, "an exception", message)


def loss_probe(name: str, data: Pairs, transposed: bool) -> Probe:
    """The probe of ``name``'s loss on the check's pairs, its digits read in the student's layout."""
    arguments = {"name": name, "seed": 0, "input": data.input, "target": data.target, "classes": data.classes}
    return Probe("pairs.loss", arguments | {"transposed": transposed, "trusted": parts_not_of("auxiliary")})


def loss_verdict(name: str, result: LossTerms, data: Pairs) -> dict[str, str]:
    """The deviations of ``name``'s loss from the docstring's formula: their description -> the failure
    message. A problem of the output or the loss that is no formula raises ``CheckFailure`` at once."""
    if result.error is not None:
        raised(result.error, f"{name}.loss(output, target, classes)", "a loss")
    weights = {"aux_weight": result.aux_weight, "digit_weight": result.digit_weight}
    for term in MODEL_FACTS[name].loss_terms:
        needed = "aux_weight" if term == "auxiliary" else "digit_weight"
        expect(
            isinstance(weights[needed], float) and weights[needed] > 0,
            f"{name}.{needed}",
            "a number > 0",
            repr(weights[needed]),
            f"a weight of 0 switches the {term} losses off",
        )
    outputs = {key: value.double() for key, value in result.outputs.items()}
    shapes = {key: tuple(value.shape) for key, value in outputs.items()}
    expect(
        "comparison" in shapes
        and all(shape == ((6, 2, 10) if key == "digits" else (6, 2)) for key, shape in shapes.items()),
        f"{name}: the output for six pairs (training mode)",
        "comparison (6, 2), digits (6, 2, 10) or None, each auxiliary output (6, 2)",
        ", ".join(f"{key} {shape}" for key, shape in shapes.items()) or "no tensor",
        "the models task checks every output's shape: see its messages",
    )
    if MODEL_FACTS[name].auxiliary:
        collected = sum(key.startswith("auxiliary") for key in shapes)  # their shapes are checked above
        expect(
            collected == result.classifiers,
            f"{name}: output.auxiliary for six pairs, as run_stages collects it",
            f"one (N, 2) output per auxiliary classifier: {result.classifiers} of shape (6, 2)",
            f"{collected}",
            "after each stage named in self.auxiliary, append that classifier's logits to the list",
        )
    value = result.value
    checked = f"{name}.loss(output, target, classes) on six pairs (training mode)"
    expect(
        isinstance(value, torch.Tensor) and value.numel() == 1,
        checked,
        "a tensor holding one number",
        describe(value),
        "return the sum of the weighted cross-entropies as a tensor",
    )
    aux_weight, digit_weight = (weights[key] or 0.0 for key in ("aux_weight", "digit_weight"))
    target, classes = data.target, data.classes
    expected = combined_loss(outputs, target, classes, aux_weight, digit_weight)
    formula = "CE(comparison, target) + aux_weight * sum CE(auxiliary, target) + digit_weight * CE(digits, classes)"
    grads = result.grads or {}
    found = coefficients(outputs, grads, target, classes)
    if found is not None:
        fitted = weighted(found, terms(outputs, target, classes))
        named = deviations(found, aux_weight, digit_weight)
        if close(value.reshape(1).double(), fitted.reshape(1), tolerance=1e-3):
            shown = f"{show(expected.reshape(1))}, {formula}"
            return {
                variant: (
                    f"{checked}\n  expected: {shown}\n  obtained: {show(value.reshape(1))}\n  hint: this is {variant}. "
                    f"Write the docstring's formula: the digit cross-entropy averages over the 2N images "
                    f"(digits.flatten(0, 1), classes.flatten()), each term with the model's weight"
                )
                for variant in named
            }
    mistakes = {
        text: combined_loss(outputs, target, classes, aux_weight, digit_weight, variant).reshape(1)
        for variant, text in LOSS_MISTAKES.items()
    }
    if not close(value.reshape(1), expected.reshape(1)):
        variant = mistake(value.reshape(1), mistakes)
        hint = "add every auxiliary term with its weight; the digit cross-entropy averages over the 2N images"
        message = f"{checked}: {formula}\n  expected: {show(expected.reshape(1))}\n  obtained: {show(value.reshape(1))}"
        if variant is None:
            fail(f"{checked}: {formula}", show(expected.reshape(1)), show(value.reshape(1)), hint)
        return {variant: f"{message}\n  hint: this is {variant}. {hint}"}
    with torch.enable_grad():
        leaves = {key: tensor.clone().requires_grad_() for key, tensor in outputs.items()}
        wanted = torch.autograd.grad(
            combined_loss(leaves, target, classes, aux_weight, digit_weight), list(leaves.values())
        )
    for key, gradient in zip(leaves, wanted, strict=True):
        obtained = grads.get(key)
        field = f"auxiliary[{key.removeprefix('auxiliary')}]" if key.startswith("auxiliary") else key
        expect(
            isinstance(obtained, torch.Tensor) and close(obtained, gradient, tolerance=1e-3),
            f"{name}: the gradient of the loss with respect to output.{field}",
            "the derivative of the weighted cross-entropy: this output's term is in the loss",
            "no gradient" if obtained is None else show(obtained),
            "add this output's cross-entropy to the loss with its weight, and do not detach it",
        )
    return {}


def loss_check(name: str) -> CheckRun:
    """model.loss: its value and its gradient reaching every output, against the docstring's formula.

    A variant of the formula (digit cross-entropies summed, a convex combination...) is
    charged once: in the first model of ``LOSS_ORDER`` whose loss shows it.
    """
    data = sample_pairs()
    transposed = student_transposed((yield layouts_probe()))
    charged: set[str] = set()
    for model in LOSS_ORDER[: LOSS_ORDER.index(name)]:
        result = yield loss_probe(model, data, transposed)
        with contextlib.suppress(CheckFailure):  # that model's own check reports it
            charged |= set(loss_verdict(model, result, data))
    result = yield loss_probe(name, data, transposed)
    if transposed:  # a loss written for the kit's layout, in a submission whose models transpose the digits
        kit = yield loss_probe(name, data, False)
        with contextlib.suppress(CheckFailure):
            if not loss_verdict(name, kit, data):
                return
    verdict = loss_verdict(name, result, data)
    new = [message for variant, message in verdict.items() if variant not in charged]
    if new:
        raise CheckFailure(new[0])


for _model in LOSS_ORDER:
    _facts = MODEL_FACTS[_model]
    declare(
        "auxiliary",
        _model,
        2,
        f"{_model}: "
        + ("one output per auxiliary classifier; " if _facts.auxiliary else "")
        + f"the loss, the comparison's plus each weighted {' and '.join(_facts.loss_terms)} term, "
        "sending gradient to every output",
        lambda name=_model: loss_check(name),
    )


# comparison_from_digits -------------------------------------------------------------------------


def comparison_expected(digits: torch.Tensor) -> torch.Tensor:
    """[log P(a > b), log P(a <= b)] from (N, 2, 10) digit logits, in float64."""
    log_p = digits.double().log_softmax(-1)
    joint = log_p[:, 0, :, None] + log_p[:, 1, None, :]
    less_or_equal = torch.ones(10, 10, dtype=torch.bool).triu()
    log_le = joint.masked_fill(~less_or_equal, -math.inf).logsumexp((1, 2))
    log_gt = joint.masked_fill(less_or_equal, -math.inf).logsumexp((1, 2))
    return torch.stack([log_gt, log_le], 1)


def comparison_mistakes(digits: torch.Tensor) -> dict[str, torch.Tensor]:
    """Classic wrong answers of comparison_from_digits."""
    expected = comparison_expected(digits)
    log_p = digits.double().log_softmax(-1)
    joint = log_p[:, 0, :, None] + log_p[:, 1, None, :]
    strict = torch.ones(10, 10, dtype=torch.bool).triu(1)
    log_lt = joint.masked_fill(~strict, -math.inf).logsumexp((1, 2))
    log_ge = joint.masked_fill(strict, -math.inf).logsumexp((1, 2))
    return {
        "the two logits in the wrong order: index 1 must be P(a <= b)": expected.flip(1),
        "P(a < b) instead of P(a <= b): ties count as a <= b": torch.stack([log_ge, log_lt], 1),
        "probabilities instead of log-probabilities": expected.exp(),
    }


def comparison_probe(scale: float, transposed: bool) -> tuple[Probe, torch.Tensor]:
    """The probe of comparison_from_digits on (8, 2, 10) logits of the given scale (also given as (8, 10, 2)
    when the student's models use that layout)."""
    digits = scale * torch.randn(8, 2, 10, generator=torch.Generator().manual_seed(0))
    return Probe("pairs.comparison_from_digits", {"digits": digits, "transposed": transposed}), digits


def comparison_output(result: Comparisons, checked: str, hint: str, right: Any) -> torch.Tensor:
    """The output of comparison_from_digits in the student's layout: that of the digits given as (N, 10, 2)
    when it is right (the student's models return that layout), else that of the kit's (N, 2, 10)."""
    if isinstance(result.transposed, torch.Tensor) and right(result.transposed):
        return result.transposed
    if result.error is not None:
        raised(result.error, checked, "(N, 2) log-probabilities")
    return tensor(result.output, checked, (8, 2), torch.float32, hint)


@check(
    "comparison",
    "values",
    4,
    "comparison_from_digits gives [log P(a > b), log P(a <= b)] for the two images' independent softmaxes",
)
def comparison_values() -> CheckRun:
    """comparison_from_digits on random logits against the judge's formula."""
    transposed = student_transposed((yield layouts_probe()))
    request, digits = comparison_probe(3.0, transposed)
    expected = comparison_expected(digits)
    checked = "comparison_from_digits(digits) for digit logits of shape (8, 2, 10), float32"
    output = comparison_output(
        (yield request),
        checked,
        "return (N, 2): [log P(a > b), log P(a <= b)]",
        lambda value: value.shape == (8, 2) and close(value, expected),
    )
    expect_close(
        output,
        expected,
        f"{checked}: values",
        "softmax each image's logits, sum p_a(i) p_b(j) over i <= j for P(a <= b), and return the logs "
        "[log P(a > b), log P(a <= b)]",
        comparison_mistakes(digits),
    )


@check("comparison", "large_logits", 1, "comparison_from_digits stays finite for digit logits of magnitude 50")
def comparison_large_logits() -> CheckRun:
    """comparison_from_digits stays finite for logits of magnitude about 50: probabilities that sum to 1
    and the right prediction."""
    transposed = student_transposed((yield layouts_probe()))
    request, digits = comparison_probe(50.0, transposed)
    expected = comparison_expected(digits)
    checked = "comparison_from_digits(digits) for digit logits of magnitude about 50, float32"

    def right(output: torch.Tensor) -> bool:
        total = output.double().exp().sum(1)
        return (
            output.shape == (8, 2)
            and bool(torch.isfinite(output).all())
            and bool(((total - 1).abs() < 1e-3).all())
            and torch.equal(output.argmax(1), expected.argmax(1))
        )

    output = comparison_output((yield request), checked, "return (N, 2) log-probabilities", right)
    expect(
        right(output),
        checked,
        f"finite log-probabilities whose exponentials sum to 1, predicting {expected.argmax(1).tolist()}",
        show(output),
        "probabilities of 1e-40 underflow to 0 and their log to -inf: work in log space (log_softmax, then "
        "logsumexp over the cells i <= j)",
    )


# Training ---------------------------------------------------------------------------------------

TRAIN_STEPS = 2


def train_step_probe() -> tuple[Probe, Pairs]:
    """The probe of two train_step calls on one batch, with the kit's model and an lr-0 recording optimiser."""
    data = sample_pairs(8, seed=3)
    return Probe(
        "pairs.train_step",
        {"seed": 0, "input": data.input, "target": data.target, "classes": data.classes, "steps": TRAIN_STEPS},
    ), data


def step_outputs(data: Pairs) -> tuple[TrustedPairModel, dict[str, torch.Tensor]]:
    """The trusted model of the probe and its outputs on the batch, by field (digits in the kit's layout)."""
    model = trusted_pair_model(0)
    with torch.enable_grad():
        output = model(data.input)
    return model, {"comparison": output.comparison, "digits": output.digits, "auxiliary0": output.auxiliary[0]}


def direct(data: Pairs, output_grads: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The gradients of the loss with respect to each output through its own term only: the digits' recorded
    gradient, less the part that reached them through the comparison (the trusted model computes the
    comparison from the digits)."""
    if "comparison" not in output_grads or "digits" not in output_grads:
        return output_grads
    model = trusted_pair_model(0)
    with torch.enable_grad():
        digits = model.digit_head(data.input.flatten(2) / 255).detach().requires_grad_()
        (path,) = vector_jacobian([model.comparison_head(digits.flatten(1))], [digits], [output_grads["comparison"]])
    return output_grads | {"digits": output_grads["digits"] - path}


def backpropagated(data: Pairs, output_grads: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    """The parameters' gradients of one backward pass that brings ``output_grads`` to the model's outputs."""
    model, outputs = step_outputs(data)
    keys = [key for key in outputs if key in output_grads]
    parameters = list(model.parameters())
    if not keys:
        return [torch.zeros_like(p) for p in parameters]
    with torch.enable_grad():
        grads = vector_jacobian([outputs[key] for key in keys], parameters, [output_grads[key] for key in keys])
    return [torch.zeros_like(p) if g is None else g for g, p in zip(grads, parameters, strict=True)]


def batch_loss(data: Pairs, output_grads: dict[str, torch.Tensor]) -> float | None:
    """The value of the loss a step differentiated, when its gradients show a weighted sum of the outputs'
    cross-entropies (the docstring's formula or a variant of it); else None."""
    outputs = {key: value.detach().double() for key, value in step_outputs(data)[1].items()}
    found = coefficients(outputs, output_grads, data.target, data.classes)
    return None if found is None else weighted(found, terms(outputs, data.target, data.classes)).item()


@check(
    "pair_training",
    "gradients",
    2,
    "at optimizer.step(), the gradients are those of one backward pass of a loss of the batch's output (model.loss "
    "or computed inline), zeroed since the previous step",
)
def train_step_gradients() -> CheckRun:
    """At each optimizer.step(), the gradients are those of one backward pass of a loss of the batch's output,
    cleared since the previous step: the mechanics of the step, whatever the formula of the loss."""
    request, data = train_step_probe()
    result = yield request
    recorded = result.recorded
    expect(
        len(recorded) >= 1,
        "train_step(model, optimizer, input, target, classes) twice",
        "optimizer.step() calls",
        "no call",
        "call optimizer.step() once per training step",
    )
    parameters = list(trusted_pair_model(0).parameters())
    previous = [torch.zeros_like(p) for p in parameters]
    for number, (grads, output_grads) in enumerate(
        zip(recorded[:TRAIN_STEPS], result.output_grads, strict=False), start=1
    ):
        checked = f"the parameters' gradients at optimizer.step() of training step {number} (one batch, lr 0)"
        if all(grad is None or not bool(grad.any()) for grad in grads):
            fail(checked, "the gradients of the batch's loss", "no gradient", "call loss.backward(), then step()")
        grads = [torch.zeros_like(p) if grad is None else grad for grad, p in zip(grads, parameters, strict=True)]
        expected = backpropagated(data, direct(data, output_grads))

        def matches(reference: list[torch.Tensor], grads: list = grads) -> bool:
            return all(close(grad, want, tolerance=1e-4) for grad, want in zip(grads, reference, strict=True))

        if not matches(expected):
            hint = (
                "in every step: zero the gradients (optimizer.zero_grad() or model.zero_grad()), compute the loss "
                "of model(input) on this batch, loss.backward() once, then optimizer.step()"
            )
            if number > 1 and matches([p + e for p, e in zip(previous, expected, strict=True)]):
                hint = "this is gradients added up over the steps: zero the gradients first in every step"
            fail(checked, "the gradients of one backward pass of the batch's loss", "other gradients", hint)
        previous = grads


@check("pair_training", "one_step", 1, "train_step takes exactly one optimizer step")
def train_step_once() -> CheckRun:
    """Each train_step takes one optimizer step."""
    request, _ = train_step_probe()
    result = yield request
    count = len(result.recorded)
    expect(
        count == TRAIN_STEPS,
        f"{TRAIN_STEPS} calls of train_step",
        f"{TRAIN_STEPS} optimizer.step() calls",
        str(count),
        "call optimizer.step() exactly once per training step",
    )


@check(
    "pair_training",
    "returns_loss",
    1,
    "train_step returns the batch's loss as a Python float: the value of the loss it differentiated",
)
def train_step_returns() -> CheckRun:
    """train_step returns the batch's loss before the step as a Python float: the value of model.loss, or of
    the loss the step differentiated when its formula is a variant (graded by the auxiliary task)."""
    request, data = train_step_probe()
    result = yield request
    model, outputs = step_outputs(data)
    output = TrustedPairOutput(outputs["comparison"], outputs["digits"], (outputs["auxiliary0"],))
    value = model.loss(output, data.target, data.classes).item()
    obtained = result.values[0]
    output_grads = result.output_grads[0] if result.output_grads else {}
    differentiated = batch_loss(data, direct(data, output_grads))
    if differentiated is None and isinstance(obtained, float) and math.isfinite(obtained) and output_grads:
        return  # a formula the judge cannot write down: only the type can be checked
    expect(
        isinstance(obtained, float)
        and any(math.isclose(obtained, loss, rel_tol=1e-4) for loss in (value, differentiated) if loss is not None),
        "the value train_step returns",
        f"the batch's loss as a Python float: {value:.5f} for model.loss"
        + (f", {differentiated:.5f} for the loss your step differentiated" if differentiated is not None else ""),
        describe(obtained),
        "return loss.item(), the value of the loss on the batch that loss.backward() differentiated",
    )


class AccuracyRun(NamedTuple):
    """One training of the accuracy check: the probe's arguments for it, and the test labels the judge keeps."""

    request: dict[str, Any]
    test_target: torch.Tensor


def accuracy_run(draw: int, seed: int, shuffled: bool) -> AccuracyRun:
    """One training of the accuracy check, its pairs drawn by the kit's loader from ``draw``.

    ``ACCURACY_PAIRS`` training pairs, ``MONITOR_PAIRS`` monitor pairs (more training pairs: the
    test set ``train`` is given, so no test label enters the worker) and ``ACCURACY_PAIRS`` test
    pairs, every image with ``NOISE`` (so that no image is one of the public MNIST files, bit for
    bit). For the control (``shuffled``), the labels of the training and monitor pairs are shuffled
    among them, each pair's target and classes together: the same sizes and label statistics,
    nothing true to learn. ``seed`` is the one the model is built after and ``train`` gets.
    """
    from reference.pairs.data import generate_pair_sets

    data = generate_pair_sets(ACCURACY_PAIRS + MONITOR_PAIRS, seed=draw, data_dir=mnist_root())
    generator = torch.Generator().manual_seed(draw + 1)

    def noisy(images: torch.Tensor) -> torch.Tensor:
        return (images + NOISE * torch.randn(images.shape, generator=generator)).clamp(0, 255)

    target, classes = data.train_target, data.train_classes
    if shuffled:
        order = torch.randperm(len(target), generator=generator)
        target, classes = target[order], classes[order]
    images, split = noisy(data.train_input), ACCURACY_PAIRS
    request = {
        "seed": seed,
        "train": [images[:split], target[:split], classes[:split]],
        "monitor": [images[split:], target[split:], classes[split:]],
        "test_input": noisy(data.test_input[:split]),
    }
    return AccuracyRun(request, data.test_target[:split])


def accuracy_probe(runs: list[AccuracyRun]) -> Probe:
    """The one probe that trains every run side by side, epoch by epoch, until the stopping rule."""
    return Probe(
        "pairs.train_and_predict",
        {
            "name": ACCURACY_MODEL,
            "runs": [run.request for run in runs],
            "epochs": ACCURACY_EPOCHS,
            "stop_accuracy": STOP_ACCURACY,
        },
    )


class Curve(NamedTuple):
    """One training of the accuracy check, epoch by epoch: test accuracy (computed here), monitor accuracy
    (the worker's), and the training pairs the model was given in all."""

    accuracies: list[float]
    monitored: list[float]
    pairs_seen: int


def accuracy_curves(result: TrainedRuns, runs: list[AccuracyRun]) -> list[Curve]:
    """Each run's ``Curve``, its test accuracy computed from its predictions; fail if the answer is not one
    row of predictions per epoch."""
    complete = all(isinstance(field, list) and len(field) == len(runs) for field in result)
    curves = []
    for index, run in enumerate(runs):
        predictions, monitored, seen = (field[index] if complete else None for field in result)
        expect(
            isinstance(predictions, torch.Tensor)
            and predictions.dim() == 2
            and 1 <= len(predictions) <= ACCURACY_EPOCHS
            and predictions.shape[1] == ACCURACY_PAIRS
            and isinstance(monitored, list)
            and len(monitored) == len(predictions)
            and isinstance(seen, int),
            f"the predictions of {ACCURACY_MODEL} for {ACCURACY_PAIRS} test pairs after each epoch",
            f"one row of {ACCURACY_PAIRS} predictions per epoch, at most {ACCURACY_EPOCHS}",
            describe(predictions),
            "the model's comparison has one row per pair",
        )
        curves.append(Curve((predictions == run.test_target).double().mean(1).tolist(), monitored, seen))
    return curves


def curve_text(accuracies: list[float], ending: str) -> str:
    """``epoch 1: 79.1%, epoch 2: 90.6% (ending)``: the test accuracy epoch by epoch, and why it ended."""
    return ", ".join(f"epoch {epoch}: {value:.1%}" for epoch, value in enumerate(accuracies, 1)) + f" ({ending})"


def stopped_because(curve: Curve, control: Curve) -> str:
    """Why the training graded ended after its last epoch."""
    epochs = len(curve.accuracies)
    if curve.monitored[-1] >= STOP_ACCURACY:
        return f"stopped: {curve.monitored[-1]:.1%} of data's test pairs right"
    if len(control.monitored) >= epochs and control.monitored[epochs - 1] >= STOP_ACCURACY:
        return f"stopped: the control got {control.monitored[epochs - 1]:.1%} of its shuffled test pairs right"
    if epochs == ACCURACY_EPOCHS:
        return f"all {ACCURACY_EPOCHS} epochs"
    return f"train returned, having given the model {curve.pairs_seen} training pairs in training mode in all"


@check(
    "pair_accuracy",
    ACCURACY_MODEL,
    6,
    f"{ACCURACY_MODEL} trained by your train(model, data, epochs={ACCURACY_EPOCHS}) on {ACCURACY_PAIRS:,} fresh pairs "
    f"reaches >= {ACCURACY_THRESHOLD:.0%} test accuracy, and on shuffled labels stays <= {CONTROL_CEILING:.0%}",
    limit=300,
)
def pair_accuracy() -> CheckRun:
    """ACCURACY_MODEL trained by the student's train the course's way reaches the threshold, and the same
    model trained on shuffled labels does not: the accuracy comes from what train learnt.

    Protocol: every grading draws its pairs afresh from ``secrets`` (no answer can be computed in
    advance), one draw for the run graded and another, its labels shuffled, for the control. The
    worker's one probe calls ``train(model, data, epochs=ACCURACY_EPOCHS, seed=...)`` on both, side
    by side in an order it cannot see, each waiting for the other at the end of every epoch; after
    each epoch it records the predictions on the test pairs, and it stops both after the first epoch
    at which either gets ``STOP_ACCURACY`` of its monitor pairs right (data's test set: training
    pairs of the same draw), or after the last epoch. The judge keeps the test labels: the run
    passes if its accuracy after its last epoch reaches
    ``ACCURACY_THRESHOLD`` (as in the course, the test set never selects an epoch), and the control
    must stay under ``CONTROL_CEILING`` after every one of the same epochs. A student's loop that
    fools the stopping rule only changes how long it runs.

    Measured on the reference over 20 draws (seeds 0..19, controls 1000..1019: ``python
    benchmarks/thresholds.py``), the run graded after its last epoch: mean 92.7%, std 1.4, min
    90.0%, max 95.2%; stopped after 2 epochs (8 draws) or 3 (12); the control at its best epoch:
    mean 55.4%, std 1.7, max 58.4%, and at most 58.5% over all 25 epochs of one draw. The two runs
    share torch's generator in their threads, so another measurement differs a little (the one
    before: min 90.1%, 2.55 epochs on average, control max 61.3%).
    """
    trained = accuracy_run(secret.draw() >> 2, secret.draw() >> 33, shuffled=False)
    control = accuracy_run(secret.draw() >> 2, secret.draw() >> 33, shuffled=True)
    first = secret.draw() % 2  # the place of the run graded
    runs = [trained, control] if first == 0 else [control, trained]
    result = yield accuracy_probe(runs)
    curves = accuracy_curves(result, runs)
    curve, control_curve = curves[first], curves[1 - first]
    accuracies = curve.accuracies
    expect(
        accuracies[-1] >= ACCURACY_THRESHOLD,
        f"test accuracy of {ACCURACY_MODEL} after each epoch of train(model, data, epochs={ACCURACY_EPOCHS}) "
        f"on {ACCURACY_PAIRS} pairs (images with a little noise, batch size left at its default), stopped after "
        f"the first epoch with {STOP_ACCURACY:.0%} of data's {MONITOR_PAIRS} test pairs right",
        f">= {ACCURACY_THRESHOLD:.0%} after the last epoch",
        curve_text(accuracies, stopped_because(curve, control_curve)),
        "this check trains your own models.py with your own training.py: if their checks pass, look at the "
        "comparison logits' order (index 1 means first <= second) and the learning rate",
    )
    shuffled = control_curve.accuracies[: len(accuracies)]
    expect(
        max(shuffled) <= CONTROL_CEILING,
        f"test accuracy of {ACCURACY_MODEL} trained the same way, for the same epochs, on other pairs with "
        f"their labels shuffled",
        f"<= {CONTROL_CEILING:.0%} after every epoch (near chance: nothing true can be learnt from shuffled labels)",
        curve_text(shuffled, "the epochs of the training graded"),
        "the predictions must come from what train learns from the labels it is given, not from weights or "
        "answers that the model brings with it",
    )
