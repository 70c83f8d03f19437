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
        # YOUR CODE HERE
        raise NotImplementedError()


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
    # YOUR CODE HERE
    raise NotImplementedError()


def shallow_branch() -> nn.Sequential:
    """The branch of the shallow models: one image to ``FEATURES`` features, in three stages.

    Stages: ``conv_block(1, 16)`` -> (B, 16, 7, 7); ``conv_block(16, 32)`` ->
    (B, 32, 3, 3); flatten, dropout 0.3, a linear layer to ``FEATURES`` units, batch
    norm and ReLU -> (B, FEATURES). About 23,500 parameters.

    Shape:
        - Input: (B, 1, 14, 14).
        - Output: (B, FEATURES).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def comparison_head(in_features: int) -> nn.Sequential:
    """Fully connected layers from joined features to the two comparison logits.

    Linear to 64 units, ReLU, dropout 0.3, linear to 2.

    Shape:
        - Input: (N, in_features).
        - Output: (N, 2).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


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
    # YOUR CODE HERE
    raise NotImplementedError()


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
        # YOUR CODE HERE
        raise NotImplementedError()

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Return the features of each image by its own branch: (N, 2, 14, 14) -> (N, 2, FEATURES)."""
        # self.prepare(x) checks and preprocesses the pairs into images of shape (N, 2, 1, 14, 14).
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x: torch.Tensor) -> PairOutput:
        """Return the comparison logits of the head on the joined features."""
        # YOUR CODE HERE
        raise NotImplementedError()


class Shared(PairModel):
    """ONE ``shallow_branch`` applied to both images (weight sharing), then a ``comparison_head``.

    About 32,000 parameters.

    Attributes:
        branch: the branch both images go through.
        head: ``comparison_head`` on the 2 * FEATURES joined features.
    """

    def __init__(self) -> None:
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError()

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Return both images' features by the same branch: (N, 2, 14, 14) -> (N, 2, FEATURES)."""
        # Run the branch once on all 2N images: flatten the pair dimension into the batch.
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x: torch.Tensor) -> PairOutput:
        """Return the comparison logits of the head on the joined features."""
        # YOUR CODE HERE
        raise NotImplementedError()


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
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x: torch.Tensor) -> PairOutput:
        """Return the head's comparison logits and those of the two auxiliary classifiers."""
        # stage_outputs gives each branch's three stage outputs; join pairs them up.
        # YOUR CODE HERE
        raise NotImplementedError()


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
        # YOUR CODE HERE
        raise NotImplementedError()

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Return both images' features by the same branch: (N, 2, 14, 14) -> (N, 2, FEATURES)."""
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x: torch.Tensor) -> PairOutput:
        """Return the digit logits (N, 2, 10) and the comparison derived from them."""
        # nn.Linear acts on the last dimension, so it maps (N, 2, FEATURES) to (N, 2, 10).
        # YOUR CODE HERE
        raise NotImplementedError()


def deep_branch() -> nn.Sequential:
    """The branch of the deep models: five convolutional stages, AlexNet-style.

    Stages: ``conv_block(1, 16)`` -> (B, 16, 7, 7); ``conv_block(16, 32)`` ->
    (B, 32, 3, 3); then three ``conv_block`` without pooling, 32 -> 64 -> 64 -> 32
    channels, at 3x3.

    Shape:
        - Input: (B, 1, 14, 14).
        - Output: (B, 32, 3, 3).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def deep_head() -> nn.Sequential:
    """The three fully connected stages of the deep models, on the joined branch outputs.

    Stages: linear 2 * 288 -> 256, ReLU, dropout 0.3; linear 256 -> 128, ReLU,
    dropout 0.3; linear 128 -> 2.

    Shape:
        - Input: (N, 576).
        - Output: (N, 2).
    """
    # YOUR CODE HERE
    raise NotImplementedError()


class Deep(PairModel):
    """One ``deep_branch`` per image (no weight sharing), then ``deep_head``: 5 conv + 3 FC.

    ``features`` flattens each branch's output: (N, 2, 288).

    Attributes:
        first, second: the branches of the first and of the second image.
        head: ``deep_head``.
    """

    def __init__(self) -> None:
        super().__init__()
        # YOUR CODE HERE
        raise NotImplementedError()

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Return the flattened output of each image's own branch: (N, 2, 14, 14) -> (N, 2, 288)."""
        # self.prepare(x) checks and preprocesses the pairs into images of shape (N, 2, 1, 14, 14).
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x: torch.Tensor) -> PairOutput:
        """Return the comparison logits of the head on the joined features."""
        # YOUR CODE HERE
        raise NotImplementedError()


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
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x: torch.Tensor) -> PairOutput:
        """Return the head's comparison logits and those of the three auxiliary classifiers."""
        # YOUR CODE HERE
        raise NotImplementedError()


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
        # YOUR CODE HERE
        raise NotImplementedError()

    def forward(self, x: torch.Tensor) -> PairOutput:
        """Return the head's comparison logits and the digit logits (N, 2, 10)."""
        # YOUR CODE HERE
        raise NotImplementedError()


MODELS: dict[str, type[PairModel]] = {
    "baseline": Baseline,
    "shared": Shared,
    "aux": Aux,
    "deep": Deep,
    "deep_aux": DeepAux,
    "deep_digits": DeepDigits,
    "shared_digits": SharedDigits,
}
