"""Attacks on the source scan: autograd through doors that need no forbidden name, the kit's
own modules imported, and data (trained weights, or the switch that turns a wrong answer
right) embedded in literals, docstrings or comments.

Each one would keep its task's points if the scan or the copy let it through: the autograd
attacks compute a correct backward pass, the kit's modules are correct, and the embedded
data switches on the fix of a sabotaged file.
"""

from __future__ import annotations

import hashlib

from attack import Edit, append, attack, sabotage

ACTIVATIONS, LINEAR, LOSS = (f"framework/{name}.py" for name in ("activations", "linear", "loss"))
MODELS, TRAINING = "pairs/models.py", "pairs/training.py"

LINEAR_RETURN = "        return grad_output @ self.weight\n"
LOSS_RETURN = "        count = difference.numel()\n        return difference * (2 / count)\n"
DATA_MESSAGE = "no room for trained weights"
KIT_MESSAGE = "a module of the grading kit"


def payload(size: int) -> bytes:
    """``size`` bytes of data standing for trained weights; the first byte, 1, switches the fix on."""
    stream = b"".join(hashlib.sha256(bytes([index % 256, index // 256])).digest() for index in range(size // 32 + 1))
    return b"\x01" + stream[: size - 1]


# Linear.backward by Tensor.backward: inference mode left through an attribute of its object,
# requires_grad passed through a ** mapping with a computed key, the gradient read from .grad.
LINEAR_BY_AUTOGRAD = """
        mode = torch.inference_mode()
        mode.mode = False
        with mode:
            leaf = torch.zeros_like(x, **{"requires" + "_grad": True})
            y = (leaf + x.clone()) @ self.weight.T.clone()
            y.backward(grad_output.clone())
        return leaf.grad
"""

# MSELoss.backward by Tensor.backward: setattr on the inference-mode object, dict(pairs) for
# requires_grad, backward(gradient=...), and getattr(leaf, "grad").
LOSS_BY_AUTOGRAD = """
        switch = torch.inference_mode()
        setattr(switch, "mode", False)
        with switch:
            leaf = torch.zeros_like(difference, **dict([("requires" + "_grad", True)]))
            total = (leaf + difference.clone()).pow(2).mean()
            total.backward(gradient=torch.ones((), dtype=difference.dtype))
        return getattr(leaf, "grad")
"""

# The switch hidden in a comment, read back from the file's own source.
FROM_A_COMMENT = f"""
# DATA:{payload(3000).hex()}


def _stored():
    with open(__file__) as source:
        for line in source:
            if line.startswith("# DATA:"):
                return bytes.fromhex(line[7:].strip())
    return b""


if _stored()[:1] == b"\\x01":
    _swapped = comparison_from_digits

    def comparison_from_digits(digits):
        return _swapped(digits).flip(1)
"""

# The switch hidden in a docstring, read back through __doc__.
FROM_A_DOCSTRING = f'''
def _stored():
    """DATA:{payload(3000).hex()}"""


if bytes.fromhex((_stored.__doc__ or "")[5:].strip())[:1] == b"\\x01":

    def _backward(self, grad_output):
        (y,) = self.pop_saved()
        return grad_output * (1 - y * y)

    Tanh.backward = _backward
'''

# The switch in a string literal of a helper file, the way a model's weights would come.
FROM_A_HELPER_FILE = """
from .weights import TABLE

if TABLE.startswith("01"):
    _doubled = train_step

    def train_step(*args, **keywords):
        return _doubled(*args, **keywords) / 2
"""

# The switch as a list of numbers, the way a model's weights would come.
FROM_A_NUMBER_LIST = f"""
_TABLE = [{", ".join(f"{byte / 255:.3f}" for byte in payload(2000))}]

if _TABLE[0] > 0:
    _summed = MSELoss.forward

    def _mean(self, prediction, target):
        return _summed(self, prediction, target) / prediction.numel()

    MSELoss.forward = _mean
"""

ATTACKS = [
    attack(
        "framework-autograd-through-an-attribute-of-inference-mode",
        "9",
        "Linear.backward by Tensor.backward: m = torch.inference_mode(); m.mode = False; requires_grad through "
        "**{'requires' + '_grad': True}; the gradient read from .grad",
        ["linear"],
        edits=[Edit(LINEAR, LINEAR_RETURN, LINEAR_BY_AUTOGRAD.lstrip("\n"))],
        expect="mode.mode assigned",
    ),
    attack(
        "framework-autograd-through-setattr-and-backward-keywords",
        "9",
        "MSELoss.backward by Tensor.backward(gradient=...): setattr(switch, 'mode', False) on an inference_mode, "
        "requires_grad through **dict([...]), the gradient read with getattr(leaf, 'grad')",
        ["loss"],
        edits=[Edit(LOSS, LOSS_RETURN, LOSS_BY_AUTOGRAD.lstrip("\n"))],
        expect="switch.mode assigned",
    ),
    attack(
        "pairs-imports-the-workers-trusted-comparison",
        "10",
        "comparison_from_digits is wrong, and replaced by the worker's trusted_comparison_from_digits, "
        "imported from worker.trusted (the worker's package is on the child's path)",
        ["comparison"],
        edits=[
            sabotage(MODELS),
            append(MODELS, "from worker.trusted import trusted_comparison_from_digits as comparison_from_digits"),
        ],
        expect=KIT_MESSAGE,
    ),
    attack(
        "framework-imports-the-workers-trusted-mse",
        "10",
        "MSELoss is wrong, and replaced by the worker's TrustedMSE, imported from worker.trusted",
        ["loss"],
        edits=[sabotage(LOSS), append(LOSS, "from worker.trusted import TrustedMSE as MSELoss")],
        expect=KIT_MESSAGE,
    ),
    attack(
        "pairs-reads-data-from-a-comment-of-its-own-source",
        "11",
        "comparison_from_digits swaps its columns; 3 KB of data in a comment of models.py, read back with "
        "open(__file__), switch on the fix",
        ["comparison"],
        edits=[sabotage(MODELS), append(MODELS, FROM_A_COMMENT)],
    ),
    attack(
        "framework-reads-data-from-a-docstring",
        "11",
        "Tanh's backward is wrong; 3 KB of data in a function's docstring, read back through __doc__, switch "
        "on the fix",
        ["activations"],
        edits=[sabotage(ACTIVATIONS), append(ACTIVATIONS, FROM_A_DOCSTRING)],
    ),
    attack(
        "pairs-brings-data-in-a-helper-files-string",
        "11",
        "train_step returns twice the loss; pairs/weights.py holds 2 KB of data in a string, which switches on "
        "the fix (costs every task of pairs/: graded alone)",
        ["pair_training"],
        edits=[sabotage(TRAINING), append(TRAINING, FROM_A_HELPER_FILE)],
        files=[("pairs/weights.py", f'TABLE = "{payload(2000).hex()}"\n')],
        alone=True,
        expect=DATA_MESSAGE,
    ),
    attack(
        "framework-brings-data-in-a-list-of-numbers",
        "11",
        "MSELoss sums instead of averaging; 2,000 numbers in a list of loss.py switch on the fix (costs every "
        "task of framework/: graded alone)",
        ["loss"],
        edits=[sabotage(LOSS), append(LOSS, FROM_A_NUMBER_LIST)],
        alone=True,
        expect=DATA_MESSAGE,
    ),
]
