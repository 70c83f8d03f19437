"""The pair models: does the first digit of a pair come before or equal the second?

Every model maps a batch of pairs of shape (N, 2, 14, 14), raw pixel values 0..255,
to a ``PairOutput``. Its prediction is ``output.comparison.argmax(1)`` in evaluation
mode. ``MODELS`` maps each model's name to its class:

- ``baseline``: one convolutional branch per image (no weight sharing), features
  concatenated, then fully connected layers.
- ``shared``: the same with ONE branch applied to both images (weight sharing).
- ``aux``: ``baseline`` plus two auxiliary classifiers on intermediate features
  that also predict the comparison (GoogLeNet-style auxiliary losses).
- ``deep``, ``deep_aux``: five convolutions and three fully connected layers
  (AlexNet-inspired), without and with three auxiliary classifiers.
- ``deep_digits``: ``deep`` with one head per image that predicts its digit class,
  trained on the digit classes as auxiliary targets.
- ``shared_digits``: weight sharing plus digit classes; the comparison is computed
  from the two predicted digit distributions.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .layers import RandomShift, Standardize

FEATURES = 64  # per-image features of the shallow branch


class PairOutput(NamedTuple):
    """What a pair model returns.

    Attributes:
        comparison: (N, 2) logits of the target; class 1 means first digit <= second.
        digits: (N, 2, 10) logits of each image's digit class, or ``None``.
        auxiliary: the (N, 2) comparison logits of each auxiliary classifier; empty
            for a model without any.
    """

    comparison: torch.Tensor
    digits: torch.Tensor | None = None
    auxiliary: tuple[torch.Tensor, ...] = ()


class PairModel(nn.Module):
    """Base of the pair models: input check, preprocessing, training recipe and loss.

    A subclass builds its layers in ``__init__`` and defines ``features`` (the
    per-image features) and ``forward`` (the ``PairOutput``). Its class attributes are
    its training recipe, read by ``configure_optimizer`` and ``loss``.

    Attributes:
        learning_rate: Adam's learning rate.
        aux_weight: weight of each auxiliary classifier's loss.
        digit_weight: weight of the digit-class loss.
        standardize: maps pixel values 0..255 to zero mean and unit variance.
        shift: shifts each image by up to one pixel, in training mode only.
    """

    learning_rate = 1e-3
    aux_weight = 0.0
    digit_weight = 0.0

    def __init__(self) -> None:
        super().__init__()
        self.standardize = Standardize()
        self.shift = RandomShift(1)

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
        """Per-image features: row ``k`` of the output is computed from image ``k``.

        Shape:
            - Input: (N, 2, 14, 14).
            - Output: (N, 2, F).
        """
        raise NotImplementedError(f"{type(self).__name__} does not define features")

    def forward(self, x: torch.Tensor) -> PairOutput:
        """Return the model's ``PairOutput`` for pairs ``x`` of shape (N, 2, 14, 14)."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

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
        ``aux_weight`` and :math:`\lambda_\text{digit}` is ``digit_weight``; the digit
        term averages over the 2N images and is absent when ``digits`` is ``None``.

        Args:
            output: the model's output for the batch.
            target: (N,) targets, 0 or 1.
            classes: (N, 2) digit classes of the two images.
        """
        # F.cross_entropy takes (M, C) logits and (M,) classes: flatten the digit
        # logits to (2N, 10) and the classes to (2N,).
        ### BEGIN SOLUTION
        loss = F.cross_entropy(output.comparison, target)
        for logits in output.auxiliary:
            loss = loss + self.aux_weight * F.cross_entropy(logits, target)
        if output.digits is not None:
            loss = loss + self.digit_weight * F.cross_entropy(output.digits.flatten(0, 1), classes.flatten())
        return loss
        ### END SOLUTION


def stage_outputs(stages: nn.Sequential, x: torch.Tensor) -> list[torch.Tensor]:
    """Run ``x`` through ``stages`` one after the other; return every stage's output."""
    outputs = []
    for stage in stages:
        x = stage(x)
        outputs.append(x)
    return outputs


def join(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """Flatten the two images' activations, (N, ...) each, and concatenate them: (N, D)."""
    return torch.cat([first.flatten(1), second.flatten(1)], 1)


def conv_block(in_channels: int, out_channels: int, pool: bool = True) -> nn.Sequential:
    """3x3 convolution (padding 1), batch norm and ReLU, then 2x2 max pooling if ``pool``.

    Shape:
        - Input: (B, in_channels, H, W).
        - Output: (B, out_channels, H // 2, W // 2) with pooling, else (B, out_channels, H, W).
    """
    ### BEGIN SOLUTION
    layers = [nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels), nn.ReLU()]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)
    ### END SOLUTION


def shallow_branch() -> nn.Sequential:
    """The branch of the shallow models: one image to ``FEATURES`` features, in three stages.

    Stages: ``conv_block(1, 16)`` -> (B, 16, 7, 7); ``conv_block(16, 32)`` ->
    (B, 32, 3, 3); flatten, dropout 0.3, a linear layer to ``FEATURES`` units, batch
    norm and ReLU -> (B, FEATURES). About 23,500 parameters.

    Shape:
        - Input: (B, 1, 14, 14).
        - Output: (B, FEATURES).
    """
    ### BEGIN SOLUTION
    return nn.Sequential(
        conv_block(1, 16),
        conv_block(16, 32),
        nn.Sequential(
            nn.Flatten(), nn.Dropout(0.3), nn.Linear(32 * 3 * 3, FEATURES), nn.BatchNorm1d(FEATURES), nn.ReLU()
        ),
    )
    ### END SOLUTION


def comparison_head(in_features: int) -> nn.Sequential:
    """Fully connected layers from joined features to the two comparison logits.

    Linear to 64 units, ReLU, dropout 0.3, linear to 2.

    Shape:
        - Input: (N, in_features).
        - Output: (N, 2).
    """
    ### BEGIN SOLUTION
    return nn.Sequential(nn.Linear(in_features, 64), nn.ReLU(), nn.Dropout(0.3), nn.Linear(64, 2))
    ### END SOLUTION


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
    # Work in log space for stability: log p_a(i) + log p_b(j) is the log of the joint
    # probability of (i, j), and logsumexp over a set of cells is the log of their sum.
    ### BEGIN SOLUTION
    log_p = digits.log_softmax(-1)
    joint = log_p[:, 0, :, None] + log_p[:, 1, None, :]  # (N, 10, 10), entry (i, j)
    less_or_equal = torch.ones(10, 10, dtype=torch.bool, device=digits.device).triu()
    log_le = joint.masked_fill(~less_or_equal, -torch.inf).logsumexp((1, 2))
    log_gt = joint.masked_fill(less_or_equal, -torch.inf).logsumexp((1, 2))
    return torch.stack([log_gt, log_le], 1)
    ### END SOLUTION


class Baseline(PairModel):
    """One ``shallow_branch`` per image, no weight sharing, then a ``comparison_head``.

    ``features`` stacks the two branches' outputs: (N, 2, FEATURES). About 55,000
    parameters.

    Attributes:
        first, second: the branches of the first and of the second image.
        head: ``comparison_head`` on the 2 * FEATURES joined features.
    """

    def __init__(self) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.first = shallow_branch()
        self.second = shallow_branch()
        self.head = comparison_head(2 * FEATURES)
        ### END SOLUTION

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Return the features of each image by its own branch: (N, 2, 14, 14) -> (N, 2, FEATURES)."""
        # self.prepare(x) checks and preprocesses the pairs into images of shape (N, 2, 1, 14, 14).
        ### BEGIN SOLUTION
        images = self.prepare(x)
        return torch.stack([self.first(images[:, 0]), self.second(images[:, 1])], 1)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> PairOutput:
        """Return the comparison logits of the head on the joined features."""
        ### BEGIN SOLUTION
        return PairOutput(self.head(self.features(x).flatten(1)))
        ### END SOLUTION


class Shared(PairModel):
    """ONE ``shallow_branch`` applied to both images (weight sharing), then a ``comparison_head``.

    About 32,000 parameters.

    Attributes:
        branch: the branch both images go through.
        head: ``comparison_head`` on the 2 * FEATURES joined features.
    """

    def __init__(self) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.branch = shallow_branch()
        self.head = comparison_head(2 * FEATURES)
        ### END SOLUTION

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Return both images' features by the same branch: (N, 2, 14, 14) -> (N, 2, FEATURES)."""
        # Run the branch once on all 2N images: flatten the pair dimension into the batch.
        ### BEGIN SOLUTION
        images = self.prepare(x)
        return self.branch(images.flatten(0, 1)).unflatten(0, (-1, 2))
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> PairOutput:
        """Return the comparison logits of the head on the joined features."""
        ### BEGIN SOLUTION
        return PairOutput(self.head(self.features(x).flatten(1)))
        ### END SOLUTION


class Aux(Baseline):
    """``Baseline`` plus two auxiliary classifiers that predict the comparison early.

    Each auxiliary classifier is a linear layer on the joined activations of one
    convolutional stage of the two branches; their losses (weight ``aux_weight``) send
    gradient straight to the early layers. They are used in training only: the
    prediction is still the head's. About 60,000 parameters.

    Attributes:
        auxiliary: one ``nn.Linear`` per convolutional stage, to 2 logits.
    """

    aux_weight = 0.3

    def __init__(self) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.auxiliary = nn.ModuleList([nn.Linear(2 * 16 * 7 * 7, 2), nn.Linear(2 * 32 * 3 * 3, 2)])
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> PairOutput:
        """Return the head's comparison logits and those of the two auxiliary classifiers."""
        # stage_outputs gives each branch's three stage outputs; join pairs them up.
        ### BEGIN SOLUTION
        images = self.prepare(x)
        first = stage_outputs(self.first, images[:, 0])
        second = stage_outputs(self.second, images[:, 1])
        joined = [join(a, b) for a, b in zip(first, second, strict=True)]
        auxiliary = tuple(classifier(h) for classifier, h in zip(self.auxiliary, joined[:-1], strict=True))
        return PairOutput(self.head(joined[-1]), auxiliary=auxiliary)
        ### END SOLUTION


class SharedDigits(PairModel):
    """Weight sharing plus digit classes: the comparison follows from two digit predictions.

    ONE ``shallow_branch`` and a linear digit classifier (after dropout 0.3) give
    each image's 10 digit logits; ``comparison_from_digits`` turns the pair into the
    comparison. The comparison and digit losses are trained jointly. About 24,000
    parameters.

    Attributes:
        branch: the branch both images go through.
        classifier: dropout and a linear layer from FEATURES features to 10 digit logits.
    """

    learning_rate = 3e-3
    digit_weight = 1.0

    def __init__(self) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.branch = shallow_branch()
        self.classifier = nn.Sequential(nn.Dropout(0.3), nn.Linear(FEATURES, 10))
        ### END SOLUTION

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Return both images' features by the same branch: (N, 2, 14, 14) -> (N, 2, FEATURES)."""
        ### BEGIN SOLUTION
        images = self.prepare(x)
        return self.branch(images.flatten(0, 1)).unflatten(0, (-1, 2))
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> PairOutput:
        """Return the digit logits (N, 2, 10) and the comparison derived from them."""
        # nn.Linear acts on the last dimension, so it maps (N, 2, FEATURES) to (N, 2, 10).
        ### BEGIN SOLUTION
        digits = self.classifier(self.features(x))
        return PairOutput(comparison_from_digits(digits), digits)
        ### END SOLUTION


def deep_branch() -> nn.Sequential:
    """The branch of the deep models: five convolutional stages, AlexNet-style.

    Stages: ``conv_block(1, 16)`` -> (B, 16, 7, 7); ``conv_block(16, 32)`` ->
    (B, 32, 3, 3); then three ``conv_block`` without pooling, 32 -> 64 -> 64 -> 32
    channels, at 3x3.

    Shape:
        - Input: (B, 1, 14, 14).
        - Output: (B, 32, 3, 3).
    """
    ### BEGIN SOLUTION
    return nn.Sequential(
        conv_block(1, 16),
        conv_block(16, 32),
        conv_block(32, 64, pool=False),
        conv_block(64, 64, pool=False),
        conv_block(64, 32, pool=False),
    )
    ### END SOLUTION


def deep_head() -> nn.Sequential:
    """The three fully connected stages of the deep models, on the joined branch outputs.

    Stages: linear 2 * 288 -> 256, ReLU, dropout 0.3; linear 256 -> 128, ReLU,
    dropout 0.3; linear 128 -> 2.

    Shape:
        - Input: (N, 576).
        - Output: (N, 2).
    """
    ### BEGIN SOLUTION
    return nn.Sequential(
        nn.Sequential(nn.Linear(2 * 32 * 3 * 3, 256), nn.ReLU(), nn.Dropout(0.3)),
        nn.Sequential(nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.3)),
        nn.Linear(128, 2),
    )
    ### END SOLUTION


class Deep(PairModel):
    """One ``deep_branch`` per image (no weight sharing), then ``deep_head``: 5 conv + 3 FC.

    ``features`` flattens each branch's output: (N, 2, 288).

    Attributes:
        first, second: the branches of the first and of the second image.
        head: ``deep_head``.
    """

    def __init__(self) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.first = deep_branch()
        self.second = deep_branch()
        self.head = deep_head()
        ### END SOLUTION

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Return the flattened output of each image's own branch: (N, 2, 14, 14) -> (N, 2, 288)."""
        # self.prepare(x) checks and preprocesses the pairs into images of shape (N, 2, 1, 14, 14).
        ### BEGIN SOLUTION
        images = self.prepare(x)
        return torch.stack([self.first(images[:, 0]).flatten(1), self.second(images[:, 1]).flatten(1)], 1)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> PairOutput:
        """Return the comparison logits of the head on the joined features."""
        ### BEGIN SOLUTION
        return PairOutput(self.head(self.features(x).flatten(1)))
        ### END SOLUTION


class DeepAux(Deep):
    """``Deep`` plus three auxiliary classifiers, after conv 2, after conv 4 and after FC 1.

    Each is a linear layer to 2 comparison logits on the joined activations there;
    their losses have weight ``aux_weight``, and they are used in training only.

    Attributes:
        auxiliary: the three ``nn.Linear`` classifiers, in that order.
    """

    aux_weight = 0.3

    def __init__(self) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.auxiliary = nn.ModuleList([nn.Linear(2 * 32 * 3 * 3, 2), nn.Linear(2 * 64 * 3 * 3, 2), nn.Linear(256, 2)])
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> PairOutput:
        """Return the head's comparison logits and those of the three auxiliary classifiers."""
        ### BEGIN SOLUTION
        images = self.prepare(x)
        first = stage_outputs(self.first, images[:, 0])
        second = stage_outputs(self.second, images[:, 1])
        head = stage_outputs(self.head, join(first[-1], second[-1]))
        taps = (join(first[1], second[1]), join(first[3], second[3]), head[0])
        auxiliary = tuple(classifier(h) for classifier, h in zip(self.auxiliary, taps, strict=True))
        return PairOutput(head[-1], auxiliary=auxiliary)
        ### END SOLUTION


class DeepDigits(Deep):
    """``Deep`` plus one digit classifier per image, trained on the digit classes.

    Each branch's flattened output feeds its own linear classifier to 10 digit logits
    (no weight sharing); the loss adds ``digit_weight`` times their cross-entropy. The
    comparison is still the head's.

    Attributes:
        first_digits, second_digits: the digit classifiers of the two images.
    """

    digit_weight = 1.0

    def __init__(self) -> None:
        super().__init__()
        ### BEGIN SOLUTION
        self.first_digits = nn.Linear(32 * 3 * 3, 10)
        self.second_digits = nn.Linear(32 * 3 * 3, 10)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> PairOutput:
        """Return the head's comparison logits and the digit logits (N, 2, 10)."""
        ### BEGIN SOLUTION
        features = self.features(x)
        digits = torch.stack([self.first_digits(features[:, 0]), self.second_digits(features[:, 1])], 1)
        return PairOutput(self.head(features.flatten(1)), digits)
        ### END SOLUTION


MODELS: dict[str, type[PairModel]] = {
    "baseline": Baseline,
    "shared": Shared,
    "aux": Aux,
    "deep": Deep,
    "deep_aux": DeepAux,
    "deep_digits": DeepDigits,
    "shared_digits": SharedDigits,
}
