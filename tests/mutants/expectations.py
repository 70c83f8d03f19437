"""What grading each mutant must show: the tasks it loses, the mistake its message names, and the
other tasks it may also lose, with the reason.

Only the end-to-end accuracy checks (``training.disk``, ``pair_accuracy``) train the student's
own parts together, by design: a mistake that stops learning costs them as well. They and
the few checks that need another part to run at all are the only second charges allowed.
"""

from __future__ import annotations

from typing import NamedTuple


class Expectation(NamedTuple):
    """``tasks`` must lose points; ``named`` appears in their messages; ``also`` may lose points."""

    tasks: tuple[str, ...]
    named: str = ""
    also: tuple[str, ...] = ()


DISK = ("training",)  # training.disk trains the student's own modules end to end
SAVE = ("io",)  # the io checks build, save and load models of the student's own modules

EXPECTATIONS = {
    "linear: wrong sign of the input gradient": Expectation(("linear",), "input gradient with the wrong sign", DISK),
    "linear: bias gradient forgotten": Expectation(("linear",), also=DISK),
    "linear: gradients overwritten instead of accumulated": Expectation(
        ("linear",), "gradients overwritten instead of accumulated", DISK
    ),
    "linear: bias gradient averaged over the batch": Expectation(("linear",), "averaged over the batch", DISK),
    "linear: weight gradient transposed the wrong way": Expectation(("linear",), also=DISK),
    "relu: derivative not multiplied by the incoming gradient": Expectation(
        ("activations",), "not multiplied by the incoming gradient", DISK
    ),
    "relu: negative part kept": Expectation(("activations",), "|s| instead of max(0, s)", DISK),
    "sigmoid: backward computed from the input instead of the output": Expectation(
        ("activations",), "computed from the input"
    ),
    "sigmoid: overflows for large inputs": Expectation(("activations",), "exp(s) overflows"),
    "tanh: derivative 1 - y instead of 1 - y^2": Expectation(("activations",), "1 - tanh(s) instead of 1 - tanh(s)^2"),
    "sequential: backward in forward order": Expectation(("sequential",), also=DISK),
    "sequential: param() of the first module only": Expectation(("sequential",), also=(*DISK, *SAVE)),
    "mse: without the factor 2": Expectation(("loss",), "without the factor 2"),
    "mse: without the 1/M": Expectation(("loss",), "without the 1/M", DISK),
    "mse: mean over the batch only": Expectation(("loss",), "mean over the batch of the sum over the outputs"),
    "sgd: adds the gradient": Expectation(("sgd",), "added instead of subtracted", DISK),
    "sgd: momentum buffer never updated": Expectation(("sgd",), "forgets the previous steps", DISK),
    "sgd: parameter rebound instead of updated in place": Expectation(("sgd",), "parameter unchanged", DISK),
    "accuracy: averages per-batch accuracies": Expectation(("training",), "average of per-batch accuracies"),
    "train: never zeroes the gradients": Expectation(("training",), "never zeroed"),
    "train: accumulated gradients of an epoch's last batches never applied": Expectation(
        ("training",), "last, incomplete accumulation"
    ),
    "train: ignores gradient accumulation": Expectation(("training",), "accumulation ignored"),
    "save: forgets the bias": Expectation(("io",)),
    "load: plain pickle.load runs any code": Expectation(("io",), "weights_only=True"),
    "save: tensors rounded to float32": Expectation(("io",)),
    "shared: a second branch, weights not actually shared": Expectation(("weight_sharing",), "SAME branch"),
    "baseline: one branch reused for both images": Expectation(("weight_sharing",), "two branches"),
    "loss: auxiliary losses not added to the total": Expectation(("auxiliary",), "auxiliary losses left out"),
    "loss: digit loss of the first image only": Expectation(("auxiliary",), "digit loss of the first image only"),
    "loss: digit classes compared in the wrong layout": Expectation(("auxiliary",), "wrong layout (classes.T)"),
    "shared_digits: comparison logits in the wrong order": Expectation(
        ("comparison",), "wrong order", ("pair_accuracy",)
    ),
    "train_step: never zeroes the gradients": Expectation(("pair_training",), "added up over the steps"),
    "train_step: trains the comparison only, not the model's loss": Expectation(
        ("pair_training",), "comparison loss alone"
    ),
    "draw_pairs: equal digits dropped after keeping n pairs": Expectation(("pair_data",), "after keeping n"),
    "draw_pairs: images drawn with replacement": Expectation(("pair_data",), "drawing with replacement"),
    "train_step: never steps": Expectation(("pair_training",), also=("pair_accuracy",)),
    "deep_aux: auxiliary classifiers dropped from the output": Expectation(("models",)),
    "features: the two images concatenated, not stacked": Expectation(("models",), also=("weight_sharing",)),
}
