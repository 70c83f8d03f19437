"""The checks of project 1, the digit pairs: inputs, expected values and verdicts, all in the judge.

The judge reads MNIST itself, with the kit's loader, to check that the student's pairs
are real images with their true classes and to draw the pairs the accuracy check trains
on; the test labels stay here.
"""

from __future__ import annotations

import functools
import math
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F

from ..manifest import MODEL_NAMES, PARAMETER_BUDGET, SHALLOW, stub_task
from ..worker.trusted import TRUSTED_PAIR_PARTS, TrustedPairModel, trusted_pair_model
from .messages import close, describe, expect, expect_close, fail, show, tensor
from .probe import CheckFunction, CheckRun, Probe

CHECKS: dict[str, CheckFunction] = {}
SHARED = ("shared", "shared_digits")
DIGITS = ("deep_digits", "shared_digits")
AUXILIARY = ("aux", "deep_aux")
ACCURACY_MODEL = "shared_digits"
# shared_digits trained by the student's train for ACCURACY_EPOCHS epochs on 1000 pairs must
# reach ACCURACY_THRESHOLD, and trained on shuffled labels for CONTROL_EPOCHS stay under
# CONTROL_CEILING (the test set is 52.6% class 1). Measured with exactly these procedures on
# the reference over seeds 0..19 (python benchmarks/thresholds.py): trained, mean 96.4%, std
# 0.8, min 94.6%; on shuffled labels, mean 55.4%, std 2.4, max 60.4%. The check uses seed 0.
ACCURACY_EPOCHS = 5
ACCURACY_THRESHOLD = 0.85
MONITOR_PAIRS = 100  # the "test" set train() monitors: training pairs, so no test label enters the worker
# Every image of the accuracy check gets noise of this standard deviation (pixel values
# 0..255): a public MNIST image looked up in a table is no longer found, while a trained
# model does not notice (the reference, seeds 0..2: within 0.5 point of its clean accuracy).
NOISE = 8.0
CONTROL_EPOCHS = 2
CONTROL_CEILING = 0.75  # a model that brings its answers with it gets about 100%
CONTROL_SEED = 5


def check(name: str) -> Any:
    """Register the implementation of the manifest's check ``name``."""

    def register(function: CheckFunction) -> CheckFunction:
        CHECKS[name] = function
        return function

    return register


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
    from reference.pairs.mnist import load_mnist, resolve_data_dir

    images, labels = load_mnist(split, resolve_data_dir())
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


def pair_set(result: dict, number: int) -> list[torch.Tensor]:
    """The six tensors of call ``number``, checked to be six tensors of consistent shapes: per split,
    input (n, 2, 14, 14), target (n,) and classes (n, 2), whatever n is."""
    data = result["calls"][number]
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


@check("pair_data.shapes")
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


@check("pair_data.images")
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


@check("pair_data.targets")
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


@check("pair_data.no_repeat")
def data_no_repeat() -> CheckRun:
    """No MNIST image appears twice among 5,000 training pairs, nor among 5,000 test pairs."""
    result = yield data_probe(({"n": LARGEST, "seed": 0},))
    data = result["calls"][0]
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


@check("pair_data.seed")
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


@check("pair_data.distinct")
def data_distinct() -> CheckRun:
    """distinct=True: n pairs in every tensor, and no pair of two equal digits."""
    result = yield data_probe()
    data = result["calls"][3]
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
            "a digit model predicts each image's class: 10 logits per image",
        )
    else:
        expect(
            digits is None,
            f"{name}: output.digits",
            "None (this model has no digit heads)",
            describe(digits),
            "only deep_digits and shared_digits predict digit classes",
        )
    auxiliary = fields["auxiliary"]
    count = len(auxiliary) if isinstance(auxiliary, list) else -1
    wanted = "at least one" if name in AUXILIARY else "no"
    expect(
        (count >= 1 if name in AUXILIARY else count == 0)
        and all(isinstance(a, torch.Tensor) and tuple(a.shape) == (n, 2) for a in auxiliary or []),
        f"{name}: output.auxiliary ({mode} mode)",
        f"a tuple of {wanted} (N, 2) comparison logits",
        f"{count} entries" if count >= 0 else describe(auxiliary),
        "aux and deep_aux have auxiliary classifiers on intermediate features; the other models none",
    )


def model_check(name: str) -> CheckRun:
    """One model: output fields in both modes, batch independence, features, parameter budget."""
    result = yield outputs_probe(name)
    for mode in ("training", "evaluation"):
        expect_fields(name, result[mode], 6, mode)
    alone, within = result["evaluation_first_two"], result["evaluation"]
    expect_fields(name, alone, 2, "evaluation")
    expect(
        close(alone["comparison"], within["comparison"][:2], tolerance=1e-4),
        f"{name} in evaluation mode: the logits of two pairs, alone and within a batch of six",
        "the same logits: a prediction does not depend on the rest of the batch",
        "different logits",
        "in evaluation mode batch norm uses its running statistics: never compute batch statistics by hand",
    )
    features = result["features"]
    expect(
        isinstance(features, torch.Tensor) and features.dim() == 3 and tuple(features.shape[:2]) == (6, 2),
        f"{name}.features(x) for x of shape (6, 2, 14, 14)",
        "per-image features of shape (6, 2, F)",
        describe(features),
        "stack the two images' features along dimension 1",
    )
    if name in SHALLOW:
        count = result["parameters"]
        expect(
            0 < count <= PARAMETER_BUDGET,
            f"the number of parameters of {name}",
            f"at most {PARAMETER_BUDGET:,}",
            f"{count:,}",
            "use fewer channels or a smaller fully connected layer",
        )


def sharing_check(name: str) -> CheckRun:
    """Weight sharing: features of the swapped pair are the swapped features, for the shared models only."""
    result = yield Probe(
        "pairs.features",
        {"name": name, "seed": 0, "input": sample_pairs().input, "trusted": parts_not_of("weight_sharing")},
    )
    straight, swapped = result["straight"], result["swapped"]
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
    if name in SHARED:
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


for _model in MODEL_NAMES:
    check(f"models.{_model}")(lambda name=_model: model_check(name))
    check(f"weight_sharing.{_model}")(lambda name=_model: sharing_check(name))


# Losses -----------------------------------------------------------------------------------------


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


def loss_check(name: str) -> CheckRun:
    """model.loss: its value from the model's own outputs and weights, and its gradient reaching every output."""
    data = sample_pairs()
    arguments = {"name": name, "seed": 0, "input": data.input, "target": data.target, "classes": data.classes}
    result = yield Probe("pairs.loss", arguments | {"trusted": parts_not_of("auxiliary")})
    weights = {"aux_weight": result["aux_weight"], "digit_weight": result["digit_weight"]}
    needed = "aux_weight" if name in AUXILIARY else "digit_weight"
    expect(
        isinstance(weights[needed], float) and weights[needed] > 0,
        f"{name}.{needed}",
        "a number > 0",
        repr(weights[needed]),
        f"a weight of 0 switches the {needed.split('_')[0]} losses off",
    )
    outputs = {key: value.double() for key, value in result["outputs"].items()}
    shapes = {key: tuple(value.shape) for key, value in outputs.items()}
    expect(
        "comparison" in shapes
        and all(shape == ((6, 2, 10) if key == "digits" else (6, 2)) for key, shape in shapes.items()),
        f"{name}: the output for six pairs (training mode)",
        "comparison (6, 2), digits (6, 2, 10) or None, each auxiliary output (6, 2)",
        ", ".join(f"{key} {shape}" for key, shape in shapes.items()) or "no tensor",
        "the models task checks every output's shape: see its messages",
    )
    if name in AUXILIARY:
        collected = sum(key.startswith("auxiliary") for key in shapes)  # their shapes are checked above
        expect(
            collected == result["classifiers"],
            f"{name}: output.auxiliary for six pairs, as run_stages collects it",
            f"one (N, 2) output per auxiliary classifier: {result['classifiers']} of shape (6, 2)",
            f"{collected}",
            "after each stage named in self.auxiliary, append that classifier's logits to the list",
        )
    value = result["value"]
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
    mistakes = {
        text: combined_loss(outputs, target, classes, aux_weight, digit_weight, variant).reshape(1)
        for variant, text in LOSS_MISTAKES.items()
    }
    formula = "CE(comparison, target) + aux_weight * sum CE(auxiliary, target) + digit_weight * CE(digits, classes)"
    expect_close(
        value.reshape(1),
        expected.reshape(1),
        f"{checked}: {formula}",
        "add every auxiliary term with its weight; the digit cross-entropy averages over the 2N images",
        mistakes,
    )
    with torch.enable_grad():
        leaves = {key: tensor.clone().requires_grad_() for key, tensor in outputs.items()}
        wanted = torch.autograd.grad(
            combined_loss(leaves, target, classes, aux_weight, digit_weight), list(leaves.values())
        )
    grads = result.get("grads", {})
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


for _model in ("aux", "deep_aux", "deep_digits", "shared_digits"):
    check(f"auxiliary.{_model}")(lambda name=_model: loss_check(name))


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


def comparison_probe(scale: float) -> tuple[Probe, torch.Tensor]:
    """The probe of comparison_from_digits on (8, 2, 10) logits of the given scale."""
    digits = scale * torch.randn(8, 2, 10, generator=torch.Generator().manual_seed(0))
    return Probe("pairs.comparison_from_digits", {"digits": digits}), digits


@check("comparison.values")
def comparison_values() -> CheckRun:
    """comparison_from_digits on random logits against the judge's formula."""
    request, digits = comparison_probe(3.0)
    result = yield request
    checked = "comparison_from_digits(digits) for digit logits of shape (8, 2, 10), float32"
    output = tensor(result["output"], checked, (8, 2), torch.float32, "return (N, 2): [log P(a > b), log P(a <= b)]")
    expect_close(
        output,
        comparison_expected(digits),
        f"{checked}: values",
        "softmax each image's logits, sum p_a(i) p_b(j) over i <= j for P(a <= b), and return the logs "
        "[log P(a > b), log P(a <= b)]",
        comparison_mistakes(digits),
    )


@check("comparison.large_logits")
def comparison_large_logits() -> CheckRun:
    """comparison_from_digits stays finite for logits of magnitude about 50: probabilities that sum to 1
    and the right prediction."""
    request, digits = comparison_probe(50.0)
    result = yield request
    checked = "comparison_from_digits(digits) for digit logits of magnitude about 50, float32"
    output = tensor(result["output"], checked, (8, 2), torch.float32, "return (N, 2) log-probabilities")
    expected = comparison_expected(digits)
    total = output.double().exp().sum(1)
    expect(
        bool(torch.isfinite(output).all())
        and bool(((total - 1).abs() < 1e-3).all())
        and torch.equal(output.argmax(1), expected.argmax(1)),
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


def expected_step(data: Pairs, loss_of: Any = None) -> tuple[list[torch.Tensor], float]:
    """The gradients of the trusted model's loss (or of ``loss_of(model, output)``) on the batch, and its value."""
    model = trusted_pair_model(0)
    with torch.enable_grad():
        output = model(data.input)
        loss = loss_of(model, output) if loss_of else model.loss(output, data.target, data.classes)
        grads = torch.autograd.grad(loss, list(model.parameters()), allow_unused=True)
    parameters = list(model.parameters())
    return [torch.zeros_like(p) if g is None else g for g, p in zip(grads, parameters, strict=True)], loss.item()


def comparison_only(model: TrustedPairModel, output: Any, target: torch.Tensor) -> torch.Tensor:
    """The loss of a training step that forgets the model's other terms."""
    return F.cross_entropy(output.comparison, target)


@check("pair_training.gradients")
def train_step_gradients() -> CheckRun:
    """At each optimizer.step(), the gradients are those of model.loss on the batch, and nothing more."""
    request, data = train_step_probe()
    result = yield request
    expected, _ = expected_step(data)
    comparison, _ = expected_step(data, lambda model, output: comparison_only(model, output, data.target))
    recorded = result["recorded"]
    expect(
        len(recorded) >= 1,
        "train_step(model, optimizer, input, target, classes) twice",
        "optimizer.step() calls",
        "no call",
        "call optimizer.step() once per training step",
    )
    for number, grads in enumerate(recorded[:TRAIN_STEPS], start=1):
        checked = f"the parameters' gradients at optimizer.step() of training step {number} (one batch, lr 0)"
        if all(grad is None for grad in grads):
            fail(checked, "the gradients of model.loss", "no gradient", "call loss.backward() before optimizer.step()")
        grads = [torch.zeros_like(want) if grad is None else grad for grad, want in zip(grads, expected, strict=True)]

        def matches(reference: list[torch.Tensor], factor: float = 1.0, grads: list = grads) -> bool:
            return all(close(grad, factor * want, tolerance=1e-4) for grad, want in zip(grads, reference, strict=True))

        if matches(expected):
            continue
        hint = (
            "in every step: optimizer.zero_grad(), then model.loss on the model's output, backward(), optimizer.step()"
        )
        if number == 2 and matches(expected, 2.0):
            hint = "this is gradients added up over the steps: call optimizer.zero_grad() first in every step"
        elif matches(comparison):
            hint = "this is the comparison loss alone: use model.loss(output, target, classes), all of its terms"
        fail(
            checked,
            "the gradients of model.loss(output, target, classes) on the batch, and nothing more",
            "other gradients",
            hint,
        )


@check("pair_training.one_step")
def train_step_once() -> CheckRun:
    """Each train_step takes one optimizer step."""
    request, _ = train_step_probe()
    result = yield request
    count = len(result["recorded"])
    expect(
        count == TRAIN_STEPS,
        f"{TRAIN_STEPS} calls of train_step",
        f"{TRAIN_STEPS} optimizer.step() calls",
        str(count),
        "call optimizer.step() exactly once per training step",
    )


@check("pair_training.returns_loss")
def train_step_returns() -> CheckRun:
    """train_step returns the batch's loss, model.loss before the step, as a Python float."""
    request, data = train_step_probe()
    result = yield request
    _, value = expected_step(data)
    obtained = result["values"][0]
    expect(
        isinstance(obtained, float) and math.isclose(obtained, value, rel_tol=1e-4),
        "the value train_step returns",
        f"the batch's loss as a Python float, {value:.5f}",
        describe(obtained),
        "return loss.item(), the value of model.loss on the batch",
    )


@functools.cache
def accuracy_data(seed: int = 0) -> Any:
    """The 1000 training and test pairs of the accuracy check, drawn by the kit's loader, every image
    with ``NOISE`` (so that no image is one of the public MNIST files, bit for bit)."""
    from reference.pairs.data import generate_pair_sets

    data = generate_pair_sets(1000, seed=seed)
    generator = torch.Generator().manual_seed(seed + 1)

    def noisy(images: torch.Tensor) -> torch.Tensor:
        return (images + NOISE * torch.randn(images.shape, generator=generator)).clamp(0, 255)

    return data._replace(train_input=noisy(data.train_input), test_input=noisy(data.test_input))


def trained_accuracy(data: Any, shuffled: bool, seed: int = 0) -> CheckRun:
    """Train ``ACCURACY_MODEL`` with the student's ``train`` (on shuffled labels for the control) and
    return its test accuracy, computed here from its predictions."""
    target, classes = data.train_target, data.train_classes
    if shuffled:
        order = torch.randperm(len(target), generator=torch.Generator().manual_seed(CONTROL_SEED))
        target, classes = target[order], classes[order]
    monitor = [data.train_input[:MONITOR_PAIRS], target[:MONITOR_PAIRS], classes[:MONITOR_PAIRS]]
    result = yield Probe(
        "pairs.train_and_predict",
        {
            "name": ACCURACY_MODEL,
            "seed": seed,
            "train": [data.train_input, target, classes],
            "monitor": monitor,
            "test_input": data.test_input,
            "epochs": CONTROL_EPOCHS if shuffled else ACCURACY_EPOCHS,
        },
    )
    predictions = result["predictions"]
    expect(
        isinstance(predictions, torch.Tensor) and predictions.shape == (1000,),
        f"the predictions of {ACCURACY_MODEL} for 1000 test pairs",
        "1000 predictions",
        describe(predictions),
        "the model's comparison has one row per pair",
    )
    return (predictions == data.test_target).double().mean().item()


@check("pair_accuracy.shared_digits")
def pair_accuracy() -> CheckRun:
    """shared_digits trained by the student's train reaches the threshold, and the same model trained on
    shuffled labels does not: the accuracy comes from what train learnt. The judge keeps the test labels."""
    data = accuracy_data()
    value = yield from trained_accuracy(data, shuffled=False)
    checked = (
        f"test accuracy of {ACCURACY_MODEL} after train(model, data, epochs={ACCURACY_EPOCHS}, seed=0) on 1000 "
        f"pairs (images with a little noise)"
    )
    expect(
        value >= ACCURACY_THRESHOLD,
        checked,
        f">= {ACCURACY_THRESHOLD:.0%}",
        f"{value:.1%}",
        "this check trains your own models.py with your own training.py: if their checks pass, look at the "
        "comparison logits' order (index 1 means first <= second) and the learning rate",
    )
    control = yield from trained_accuracy(data, shuffled=True)
    expect(
        control <= CONTROL_CEILING,
        f"test accuracy of {ACCURACY_MODEL} trained for {CONTROL_EPOCHS} epochs on the same pairs with their "
        f"labels shuffled",
        f"<= {CONTROL_CEILING:.0%} (near chance: nothing true can be learnt from shuffled labels)",
        f"{control:.1%}",
        "the predictions must come from what train learns from the labels it is given, not from weights or "
        "answers that the model brings with it",
    )
