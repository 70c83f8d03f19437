"""The pair models: does the first digit of a pair come before or equal the second?

Every model is one ``PairModel``: a convolutional branch per image, then a comparison
head on the two images' features. It maps a batch of pairs of shape (N, 2, 14, 14),
raw pixel values 0..255, to a ``PairOutput``; its prediction is
``output.comparison.argmax(1)`` in evaluation mode. The seven models of the experiment
differ by the arguments of ``PairModel``, each from another by one factor:

- **depth**: ``SHALLOW`` (two convolutions, one hidden layer in the head) or ``DEEP``
  (five convolutions, two hidden layers, AlexNet-inspired). A shallow model is of the
  course's size, "a convnet with ~70,000 parameters": an order of magnitude, so at most
  700,000 parameters in what its prediction is computed from (the auxiliary
  classifiers, which only training reads, do not count);
- **weight sharing**: ``shared=True`` applies ONE branch to both images;
- **auxiliary classifiers**: ``auxiliary`` names the stages whose outputs small
  classifiers read to predict the comparison too (GoogLeNet-style auxiliary losses);
- **digit supervision**: ``digits`` adds a head that predicts each image's digit
  class, trained on the classes; with ``"compared"`` the comparison is computed from
  the two predicted digits, with no comparison head.

``MODELS``, at the end of the file, is the table of the experiment.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Literal, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .layers import RandomShift, Standardize

IMAGE = (1, 14, 14)  # the shape of one digit: a single-channel 14x14 image
FEATURES = 64  # per-image features of the shallow branch

Digits = Literal["auxiliary", "compared"] | None


class PairOutput(NamedTuple):
    """What a pair model returns.

    Attributes:
        comparison: (N, 2) logits of the target; class 1 means first digit <= second.
        digits: (N, 2, 10) logits of each image's digit class, image k's in ``digits[:, k]``
            (not (N, 10, 2)), or ``None``.
        auxiliary: the (N, 2) comparison logits of each auxiliary classifier; empty
            for a model without any.
    """

    comparison: torch.Tensor
    digits: torch.Tensor | None = None
    auxiliary: tuple[torch.Tensor, ...] = ()


# Stages -----------------------------------------------------------------------------------------


def conv_block(in_channels: int, out_channels: int, pool: bool = True) -> nn.Sequential:
    """3x3 convolution (padding 1), batch norm and ReLU, then 2x2 max pooling if ``pool``.

    Shape:
        - Input: (B, in_channels, H, W).
        - Output: (B, out_channels, H // 2, W // 2) with pooling, else (B, out_channels, H, W).
    """
    # Return the layers as one nn.Sequential, in the order above: padding 1 keeps H and W, the pooling
    # halves them (rounding down).
    # YOUR CODE HERE
    raise NotImplementedError("task models: write conv_block")


@torch.no_grad()
def stage_sizes(stages: nn.Sequential, shape: tuple[int, ...]) -> dict[str, int]:
    """Return how many values each stage outputs for one input of ``shape``: stage name -> size.

    The sizes are measured on one blank input, in evaluation mode: batch norm uses its
    running statistics and dropout is off, so the run changes no state and draws no
    random number. The mode of ``stages`` is restored afterwards.
    """
    training = stages.training
    stages.eval()
    x = torch.zeros(1, *shape)
    sizes = {}
    for name, stage in stages.named_children():
        x = stage(x)
        sizes[name] = x.numel()
    stages.train(training)
    return sizes


def shallow_branch() -> nn.Sequential:
    """The branch of the shallow models: one image to ``FEATURES`` features, in three stages.

    Stages: ``conv1`` = ``conv_block(1, 16)`` -> (B, 16, 7, 7); ``conv2`` =
    ``conv_block(16, 32)`` -> (B, 32, 3, 3); ``fc``: flatten, dropout 0.3, a linear
    layer to ``FEATURES`` units, batch norm and ReLU -> (B, FEATURES). About 23,500
    parameters.

    Shape:
        - Input: (B, 1, 14, 14).
        - Output: (B, FEATURES).
    """
    branch = nn.Sequential(OrderedDict(conv1=conv_block(1, 16), conv2=conv_block(16, 32)))
    width = stage_sizes(branch, IMAGE)["conv2"]
    fc = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(width, FEATURES), nn.BatchNorm1d(FEATURES), nn.ReLU())
    branch.add_module("fc", fc)
    return branch


def deep_branch() -> nn.Sequential:
    """The branch of the deep models: five convolutional stages, AlexNet-style.

    Stages: ``conv1`` = ``conv_block(1, 16)`` -> (B, 16, 7, 7); ``conv2`` =
    ``conv_block(16, 32)`` -> (B, 32, 3, 3); ``conv3`` to ``conv5``: ``conv_block``
    without pooling, 32 -> 64 -> 64 -> 32 channels, at 3x3.

    Shape:
        - Input: (B, 1, 14, 14).
        - Output: (B, 32, 3, 3).
    """
    return nn.Sequential(
        OrderedDict(
            conv1=conv_block(1, 16),
            conv2=conv_block(16, 32),
            conv3=conv_block(32, 64, pool=False),
            conv4=conv_block(64, 64, pool=False),
            conv5=conv_block(64, 32, pool=False),
        )
    )


def comparison_head(in_features: int, hidden: tuple[int, ...]) -> nn.Sequential:
    """Fully connected stages from the joined features of a pair to its two comparison logits.

    Stages ``fc1``, ``fc2``, ...: one per width in ``hidden``, each a linear layer,
    ReLU and dropout 0.3; then ``out``, a linear layer to 2 logits.

    Shape:
        - Input: (N, in_features).
        - Output: (N, 2).
    """
    head = nn.Sequential()
    for number, width in enumerate(hidden, start=1):
        head.add_module(f"fc{number}", nn.Sequential(nn.Linear(in_features, width), nn.ReLU(), nn.Dropout(0.3)))
        in_features = width
    head.add_module("out", nn.Linear(in_features, 2))
    return head


def digit_head(in_features: int) -> nn.Sequential:
    """Dropout 0.3 and a linear layer from one image's features to its 10 digit logits.

    Shape:
        - Input: (B, in_features).
        - Output: (B, 10).
    """
    return nn.Sequential(nn.Dropout(0.3), nn.Linear(in_features, 10))


def comparison_from_digits(digits: torch.Tensor) -> torch.Tensor:
    r"""Turn the digit logits of both images into log-probabilities of the target.

    With :math:`p_a` and :math:`p_b` the softmax of the two images' logits, and the
    two digits taken as independent,

    .. math::
        P(a \le b) = \sum_{i \le j} p_a(i) \, p_b(j), \qquad P(a > b) = 1 - P(a \le b).

    The output is :math:`[\log P(a > b), \log P(a \le b)]`: log-probabilities are
    logits whose softmax is the probabilities themselves, so cross-entropy and
    ``argmax`` treat them like any other logits.

    Shape:
        - Input: (N, 2, 10) digit logits.
        - Output: (N, 2).
    """
    # Return (N, 2). Work in log space for stability: log p_a(i) + log p_b(j) is the log of the joint
    # probability of (i, j), and logsumexp over a set of cells is the log of their sum.
    # YOUR CODE HERE
    raise NotImplementedError("task comparison: write comparison_from_digits")


class Depth(NamedTuple):
    """What changes with the depth of a model: its branch, and the hidden widths of its head.

    Attributes:
        branch: builds the branch of one image, a ``nn.Sequential`` of named stages.
        hidden: the widths of the comparison head's hidden layers.
    """

    branch: Callable[[], nn.Sequential]
    hidden: tuple[int, ...]


SHALLOW = Depth(shallow_branch, hidden=(64,))
DEEP = Depth(deep_branch, hidden=(256, 128))


# Two images, one or two sets of weights ---------------------------------------------------------


class PerImage(nn.Module):
    """Apply a module to each image of a pair: ONE module to both (weight sharing), or one per image.

    Args:
        *modules: one module, which then processes both images with the same weights,
            or two modules, the first for the first image and the second for the second.

    Shape:
        - Input: (N, 2, *), the two images' inputs.
        - Output: (N, 2, *), the two images' outputs: row ``k`` depends on image ``k`` only.

    Attributes:
        branches: the module(s), as given.
    """

    def __init__(self, *modules: nn.Module) -> None:
        super().__init__()
        if len(modules) not in (1, 2):
            raise ValueError(f"PerImage takes one module (shared) or two (one per image), got {len(modules)}")
        self.branches = nn.ModuleList(modules)

    @property
    def shared(self) -> bool:
        """Whether both images go through the same module."""
        return len(self.branches) == 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the output of each image's module: (N, 2, *) -> (N, 2, *)."""
        # Return (N, 2, *). Shared: ONE call of the module on all 2N images at once (flatten(0, 1)), so that
        # batch norm sees both images, reshaped back to pairs (unflatten). Otherwise image k, x[:, k], goes
        # through self.branches[k].
        # YOUR CODE HERE
        raise NotImplementedError("task weight_sharing: write PerImage.forward")

    def extra_repr(self) -> str:
        return f"shared={self.shared}"


def pair_stages(branches: list[nn.Sequential]) -> nn.Sequential:
    """Turn one or two branches into stages that process both images of a pair.

    Stage ``name`` of the result is a ``PerImage`` of stage ``name`` of each branch: of
    the one branch, which then serves both images, or of the two, one per image.

    Shape:
        - Input: (N, 2, *), both images.
        - Output: (N, 2, *), the branches' outputs.
    """
    names = [name for name, _ in branches[0].named_children()]
    return nn.Sequential(OrderedDict((name, PerImage(*stages)) for name, *stages in zip(names, *branches, strict=True)))


# The model --------------------------------------------------------------------------------------


class PairModel(nn.Module):
    r"""A branch per image, then a head that compares the two images' features.

    A pair goes through the branch's stages, each image in its own row (shared or not,
    see ``PerImage``), to per-image features (N, 2, F); the head reads the two images'
    features joined into one row (N, 2F) and returns the comparison logits. Auxiliary
    classifiers read the outputs of the stages they are named after. The model takes
    raw pixel values: it shifts every image at random in training mode, then
    standardises it.

    Args:
        depth: the branch and head widths, ``SHALLOW`` or ``DEEP``.
        shared: ONE branch for both images (weight sharing), else one per image.
            Default: ``False``.
        auxiliary: the names of the stages (of the branch, such as ``"conv2"``, or of
            the head, such as ``"fc1"``) read by an auxiliary classifier: a linear layer
            from the stage's output for the pair to 2 comparison logits. Default: none.
        digits: ``None`` (no digit head), ``"auxiliary"`` (a digit head per branch,
            trained on the digit classes; the comparison head still decides) or
            ``"compared"`` (the same, and the comparison is ``comparison_from_digits``
            of the two predicted digits: no comparison head). Default: ``None``.
        learning_rate: Adam's learning rate. Default: 1e-3.
        aux_weight: the weight of each auxiliary classifier's loss. Default: 0.3.
        digit_weight: the weight of the digit-class loss. Default: 1.0.

    Shape:
        - Input: (N, 2, 14, 14), pixel values 0..255.
        - Output: a ``PairOutput``: comparison (N, 2), digits (N, 2, 10) or ``None``,
          auxiliary a tuple of (N, 2), in the order of the stages.

    Attributes:
        standardize: maps pixel values 0..255 to zero mean and unit variance.
        shift: shifts each image by up to one pixel, in training mode only.
        branch: the branch's stages, each a ``PerImage``: (N, 2, 1, 14, 14) -> (N, 2, ...).
        head: ``comparison_head`` on the joined features, or ``None`` with ``digits="compared"``.
        auxiliary: the auxiliary classifiers, by the name of the stage they read.
        digit_head: a ``PerImage`` of ``digit_head``: (N, 2, F) -> (N, 2, 10), or ``None``.
        learning_rate, aux_weight, digit_weight: the training recipe, read by
            ``configure_optimizer`` and ``loss``.
    """

    def __init__(
        self,
        depth: Depth,
        *,
        shared: bool = False,
        auxiliary: tuple[str, ...] = (),
        digits: Digits = None,
        learning_rate: float = 1e-3,
        aux_weight: float = 0.3,
        digit_weight: float = 1.0,
    ) -> None:
        super().__init__()
        if digits not in (None, "auxiliary", "compared"):
            raise ValueError(f"digits must be None, 'auxiliary' or 'compared', got {digits!r}")
        self.learning_rate = learning_rate
        self.aux_weight = aux_weight
        self.digit_weight = digit_weight
        self.standardize = Standardize()
        self.shift = RandomShift(1)

        # The branch: one copy serves both images (weight sharing), or each image has its own.
        copies = 1 if shared else 2
        branches = [depth.branch() for _ in range(copies)]
        branch_sizes = stage_sizes(branches[0], IMAGE)  # values per image after each stage
        features = list(branch_sizes.values())[-1]  # F, the size of the branch's output
        self.branch = pair_stages(branches)

        # The comparison head reads both images' features, joined.
        self.head = None if digits == "compared" else comparison_head(2 * features, depth.hidden)

        # An auxiliary classifier reads a whole pair: both images' outputs of a branch stage, or a head stage's.
        sizes = {name: 2 * size for name, size in branch_sizes.items()}
        if self.head is not None:
            sizes |= stage_sizes(self.head, (2 * features,))
        unknown = set(auxiliary) - sizes.keys()
        if unknown:
            raise ValueError(f"no stage named {', '.join(sorted(unknown))}: the stages are {', '.join(sizes)}")
        self.auxiliary = nn.ModuleDict({name: nn.Linear(size, 2) for name, size in sizes.items() if name in auxiliary})

        # The digit head reads one image's features, shared like the branch.
        self.digit_head = None if digits is None else PerImage(*(digit_head(features) for _ in range(copies)))

    def prepare(self, x: torch.Tensor) -> torch.Tensor:
        """Check the input, shift every image in training mode, and standardise it.

        The shift comes first: the pixels it brings in are 0, the background of a raw
        image, which standardisation then maps with the rest.

        Shape:
            - Input: (N, 2, 14, 14), pixel values 0..255.
            - Output: (N, 2, 1, 14, 14): one single-channel image per digit.

        Raises:
            ValueError: ``x`` is not a floating-point tensor of shape (N, 2, 14, 14).
        """
        if x.dim() != 4 or x.shape[1:] != (2, 14, 14) or not x.is_floating_point():
            raise ValueError(
                f"{type(self).__name__} expects a float tensor of shape (N, 2, 14, 14), "
                f"got {x.dtype} of shape {tuple(x.shape)}"
            )
        images = self.standardize(self.shift(x.flatten(0, 1).unsqueeze(1)))
        return images.unflatten(0, (-1, 2))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Return the branch's output for each image, flattened: row ``k`` is computed from image ``k``.

        Shape:
            - Input: (N, 2, 14, 14).
            - Output: (N, 2, F).
        """
        return self.branch(self.prepare(x)).flatten(2)

    def run_stages(self, stages: nn.Sequential, x: torch.Tensor, auxiliary: list[torch.Tensor]) -> torch.Tensor:
        """Run ``x`` through ``stages``; after each stage that an auxiliary classifier reads, append its logits.

        Args:
            stages: the branch or the head.
            x: the input of the first stage.
            auxiliary: the list of auxiliary logits so far, extended in place.

        Returns:
            The output of the last stage.
        """
        # Return the last stage's output. When self.auxiliary has a classifier under a stage's name, append
        # classifier(output.flatten(1)): (N, 2) logits; flatten(1) puts a branch stage's two images side by side.
        # YOUR CODE HERE
        raise NotImplementedError("task auxiliary: write PairModel.run_stages")

    def heads(self, features: torch.Tensor, auxiliary: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Return the comparison logits (N, 2) and the digit logits (N, 2, 10) or ``None``.

        The digit head, if the model has one, predicts each image's digit from its
        features. The comparison is the head's output on the pair's joined features
        (N, 2F), or, for a model without a comparison head, follows from the two
        predicted digits.

        Args:
            features: the per-image features, (N, 2, F).
            auxiliary: the auxiliary logits so far, extended in place by ``run_stages``.
        """
        # Return (comparison, digits). digits: self.digit_head(features), or None when the model has no
        # digit head. comparison: from the digits when self.head is None; else self.head on the joined
        # features (N, 2F), run by self.run_stages so that the auxiliary classifiers of its stages read them.
        # YOUR CODE HERE
        raise NotImplementedError("task models: write PairModel.heads")

    def forward(self, x: torch.Tensor) -> PairOutput:
        """Return the comparison logits, the digit logits and the auxiliary logits of pairs ``x``."""
        auxiliary: list[torch.Tensor] = []  # run_stages appends the logits of each auxiliary classifier
        features = self.run_stages(self.branch, self.prepare(x), auxiliary).flatten(2)  # (N, 2, F)
        comparison, digits = self.heads(features, auxiliary)
        return PairOutput(comparison, digits, tuple(auxiliary))

    def configure_optimizer(self) -> torch.optim.Optimizer:
        """Return Adam over all parameters, with the model's learning rate."""
        return torch.optim.Adam(self.parameters(), lr=self.learning_rate)

    def loss(self, output: PairOutput, target: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
        r"""Return the training loss of one batch.

        .. math::
            L = \mathrm{CE}(\text{comparison}, t)
                + \lambda_\text{aux} \sum_k \mathrm{CE}(\text{auxiliary}_k, t)
                + \lambda_\text{digit} \, \mathrm{CE}(\text{digits}, c)

        where CE is the mean cross-entropy, :math:`\lambda_\text{aux}` is
        ``aux_weight`` and :math:`\lambda_\text{digit}` is ``digit_weight``; the
        comparison term has weight 1 (not a convex combination), each auxiliary
        classifier adds its own term, and the digit term averages over the 2N images,
        :math:`(\mathrm{CE}(\text{digits}_1, c_1) + \mathrm{CE}(\text{digits}_2, c_2)) / 2`
        (not their sum); it is absent when ``digits`` is ``None``.

        Args:
            output: the model's output for the batch.
            target: (N,) targets, 0 or 1.
            classes: (N, 2) digit classes of the two images.
        """
        # Return a scalar tensor. F.cross_entropy takes (M, C) logits and (M,) classes: flatten the
        # digit logits to (2N, 10) and the classes to (2N,).
        # YOUR CODE HERE
        raise NotImplementedError("task auxiliary: write PairModel.loss")

    def extra_repr(self) -> str:
        return f"learning_rate={self.learning_rate}, aux_weight={self.aux_weight}, digit_weight={self.digit_weight}"


# The experiment: each model differs from the one it is compared with by one factor.
MODELS: dict[str, Callable[[], PairModel]] = {
    "baseline": partial(PairModel, SHALLOW),
    "shared": partial(PairModel, SHALLOW, shared=True),  # baseline, weights shared
    "aux": partial(PairModel, SHALLOW, auxiliary=("conv1", "conv2")),  # baseline, auxiliary classifiers
    "deep": partial(PairModel, DEEP),  # baseline, deeper
    "deep_aux": partial(PairModel, DEEP, auxiliary=("conv2", "conv4", "fc1")),  # deep, auxiliary classifiers
    "deep_digits": partial(PairModel, DEEP, digits="auxiliary"),  # deep, digit supervision
    # shared, comparison computed from the digits (and a higher learning rate)
    "shared_digits": partial(PairModel, SHALLOW, shared=True, digits="compared", learning_rate=3e-3),
}
