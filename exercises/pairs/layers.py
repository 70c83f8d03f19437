"""Layers the pair models put in front of their branches: standardisation and random shifts.

Both live inside the models, so that a trained model takes the loader's raw output
(pixel values 0..255) and ``train`` needs no preprocessing of its own.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# Mean and standard deviation of the 14x14 MNIST training images, in pixel values 0..255.
PIXEL_MEAN = 33.32
PIXEL_STD = 71.43


class Standardize(nn.Module):
    r"""Map raw pixel values to zero mean and unit variance: :math:`y = (x - \mu) / \sigma`.

    :math:`\mu` and :math:`\sigma` are the mean and standard deviation of the pixels of
    the 14x14 MNIST training images (``PIXEL_MEAN``, ``PIXEL_STD``).

    Shape:
        - Input: any shape, values 0..255.
        - Output: the same shape.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the standardised ``x``."""
        return (x - PIXEL_MEAN) / PIXEL_STD


class RandomShift(nn.Module):
    """Translate each image by a random whole number of pixels, in training mode only.

    Each image moves by its own offsets ``dy`` and ``dx``, drawn uniformly from
    ``-pixels..pixels``; pixels that come in from outside the image are zero, the
    background of a raw image (so shift before standardising). In
    evaluation mode the layer is the identity. Digits are centred with a blank border,
    so a small shift makes a new, equally plausible image: the augmentation costs no
    labelled data.

    Args:
        pixels: the largest shift, in pixels. Default: 1.

    Shape:
        - Input: (N, C, H, W).
        - Output: (N, C, H, W).
    """

    def __init__(self, pixels: int = 1) -> None:
        super().__init__()
        self.pixels = pixels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``x`` with every image shifted (training) or ``x`` itself (evaluation)."""
        if not self.training or self.pixels == 0:
            return x
        n, c, h, w = x.shape
        p = self.pixels
        padded = F.pad(x, (p, p, p, p))
        # Crop an h x w window at a random corner of the padded image: first the rows,
        # then the columns, each with one gather.
        top = torch.randint(2 * p + 1, (n, 1, 1, 1), device=x.device)
        left = torch.randint(2 * p + 1, (n, 1, 1, 1), device=x.device)
        rows = top + torch.arange(h, device=x.device).view(1, 1, h, 1)
        x = padded.gather(2, rows.expand(n, c, h, w + 2 * p))
        columns = left + torch.arange(w, device=x.device).view(1, 1, 1, w)
        return x.gather(3, columns.expand(n, c, h, w))

    def extra_repr(self) -> str:
        return f"pixels={self.pixels}"
