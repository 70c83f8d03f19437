"""Realistic student mistakes, each an edit of the reference that the autograder must catch.

A mutant makes its ``edits`` in ``file`` of a copy of ``reference/``: each replaces ``old``
(which must occur exactly once) by ``new``. Grading that copy must lose points in every
task of ``tasks``.
"""

from __future__ import annotations

from typing import NamedTuple


class Mutant(NamedTuple):
    """One mistake: where it is, what it changes, and the tasks that must lose points."""

    name: str
    file: str
    edits: tuple[tuple[str, str], ...]
    tasks: tuple[str, ...]


def edit(name: str, file: str, old: str, new: str, tasks: tuple[str, ...]) -> Mutant:
    """A mutant of a single edit."""
    return Mutant(name, file, ((old, new),), tasks)


FRAMEWORK = (
    edit(
        "linear: wrong sign of the input gradient",
        "framework/linear.py",
        "return grad_output @ self.weight",
        "return -grad_output @ self.weight",
        ("linear",),
    ),
    edit(
        "linear: bias gradient forgotten",
        "framework/linear.py",
        "            self.bias_grad += grad_output.sum(dim=0)",
        "            pass",
        ("linear",),
    ),
    edit(
        "linear: gradients overwritten instead of accumulated",
        "framework/linear.py",
        "self.weight_grad.addmm_(grad_output.T, x)",
        "self.weight_grad.copy_(grad_output.T @ x)",
        ("linear",),
    ),
    edit(
        "linear: bias gradient averaged over the batch",
        "framework/linear.py",
        "grad_output.sum(dim=0)",
        "grad_output.mean(dim=0)",
        ("linear",),
    ),
    edit(
        "linear: weight gradient transposed the wrong way",
        "framework/linear.py",
        "self.weight_grad.addmm_(grad_output.T, x)",
        "self.weight_grad += (x.T @ grad_output).T.flip(0)",
        ("linear",),
    ),
    edit(
        "relu: derivative not multiplied by the incoming gradient",
        "framework/activations.py",
        "return grad_output * positive",
        "return positive.to(grad_output.dtype)",
        ("activations",),
    ),
    edit(
        "relu: negative part kept",
        "framework/activations.py",
        "return s.clamp(min=0)",
        "return s.abs()",
        ("activations",),
    ),
    edit(
        "sigmoid: backward computed from the input instead of the output",
        "framework/activations.py",
        "        e = torch.exp(-s.abs())\n        y = torch.where(s >= 0, 1 / (1 + e), e / (1 + e))\n"
        "        self.save_for_backward(y)",
        "        e = torch.exp(-s.abs())\n        y = torch.where(s >= 0, 1 / (1 + e), e / (1 + e))\n"
        "        self.save_for_backward(s)",
        ("activations",),
    ),
    edit(
        "sigmoid: overflows for large inputs",
        "framework/activations.py",
        "        e = torch.exp(-s.abs())\n        y = torch.where(s >= 0, 1 / (1 + e), e / (1 + e))\n",
        "        y = torch.exp(s) / (1 + torch.exp(s))\n",
        ("activations",),
    ),
    edit(
        "tanh: derivative 1 - y instead of 1 - y^2",
        "framework/activations.py",
        "return grad_output * (1 - y * y)",
        "return grad_output * (1 - y)",
        ("activations",),
    ),
    edit(
        "sequential: backward in forward order",
        "framework/sequential.py",
        "for module in reversed(self.modules):",
        "for module in self.modules:",
        ("sequential",),
    ),
    edit(
        "sequential: param() of the first module only",
        "framework/sequential.py",
        "return [pair for module in self.modules for pair in module.param()]",
        "return self.modules[0].param()",
        ("sequential",),
    ),
    edit(
        "mse: without the factor 2",
        "framework/loss.py",
        "return difference * (2 / difference.numel())",
        "return difference / difference.numel()",
        ("loss",),
    ),
    edit(
        "mse: without the 1/M",
        "framework/loss.py",
        "return difference * (2 / difference.numel())",
        "return 2 * difference",
        ("loss",),
    ),
    edit(
        "mse: mean over the batch only",
        "framework/loss.py",
        "return difference.pow(2).mean()",
        "return difference.pow(2).sum(dim=1).mean()",
        ("loss",),
    ),
    edit(
        "sgd: adds the gradient",
        "framework/optim.py",
        "parameter.add_(velocity, alpha=-self.lr)",
        "parameter.add_(velocity, alpha=self.lr)",
        ("sgd",),
    ),
    edit(
        "sgd: momentum buffer never updated",
        "framework/optim.py",
        "velocity.mul_(self.momentum).add_(grad)",
        "velocity = velocity * self.momentum + grad",
        ("sgd",),
    ),
    edit(
        "sgd: parameter rebound instead of updated in place",
        "framework/optim.py",
        "parameter.add_(velocity, alpha=-self.lr)",
        "parameter = parameter - self.lr * velocity",
        ("sgd",),
    ),
    edit(
        "accuracy: averages per-batch accuracies",
        "framework/training.py",
        "        correct += (predicted == labels[first : first + step]).sum().item()\n    return correct / len(inputs)",
        "        correct += (predicted == labels[first : first + step]).float().mean().item()\n"
        "    return correct / len(range(0, len(inputs), step))",
        ("training",),
    ),
    edit(
        "train: never zeroes the gradients",
        "framework/training.py",
        "                optimizer.step()\n                optimizer.zero_grad()",
        "                optimizer.step()",
        ("training",),
    ),
    edit(
        "train: accumulated gradients of an epoch's last batches never applied",
        "framework/training.py",
        "if number % accumulate == 0 or number == len(batches):",
        "if number % accumulate == 0:",
        ("training",),
    ),
    edit(
        "train: ignores gradient accumulation",
        "framework/training.py",
        "if number % accumulate == 0 or number == len(batches):",
        "if True:",
        ("training",),
    ),
    edit(
        "save: forgets the bias",
        "framework/serialization.py",
        'if key != "_saved"}',
        'if key not in ("_saved", "bias", "bias_grad")}',
        ("io",),
    ),
    edit(
        "load: plain pickle.load runs any code",
        "framework/serialization.py",
        "data = PlainUnpickler(file).load()",
        "data = pickle.load(file)",
        ("io",),
    ),
    edit(
        "save: tensors rounded to float32",
        "framework/serialization.py",
        "data = value.detach().cpu().contiguous()",
        "data = value.detach().float().cpu().contiguous()",
        ("io",),
    ),
)

PAIRS = (
    Mutant(
        "shared: a second branch, weights not actually shared",
        "pairs/models.py",
        (
            (
                "        self.branch = shallow_branch()\n        self.head = comparison_head(2 * FEATURES)",
                "        self.branch = shallow_branch()\n        self.second = shallow_branch()\n"
                "        self.head = comparison_head(2 * FEATURES)",
            ),
            (
                "        return self.branch(images.flatten(0, 1)).unflatten(0, (-1, 2))\n"
                "        ### END SOLUTION\n\n    def forward(self, x: torch.Tensor) -> PairOutput:\n"
                '        """Return the comparison logits of the head on the joined features."""',
                "        return torch.stack([self.branch(images[:, 0]), self.second(images[:, 1])], 1)\n"
                "        ### END SOLUTION\n\n    def forward(self, x: torch.Tensor) -> PairOutput:\n"
                '        """Return the comparison logits of the head on the joined features."""',
            ),
        ),
        ("weight_sharing",),
    ),
    edit(
        "baseline: one branch reused for both images",
        "pairs/models.py",
        "return torch.stack([self.first(images[:, 0]), self.second(images[:, 1])], 1)",
        "return torch.stack([self.first(images[:, 0]), self.first(images[:, 1])], 1)",
        ("weight_sharing",),
    ),
    edit(
        "loss: auxiliary losses not added to the total",
        "pairs/models.py",
        "            loss = loss + self.aux_weight * F.cross_entropy(logits, target)",
        "            aux_loss = self.aux_weight * F.cross_entropy(logits, target)  # noqa: F841",
        ("auxiliary",),
    ),
    edit(
        "loss: digit loss of the first image only",
        "pairs/models.py",
        "F.cross_entropy(output.digits.flatten(0, 1), classes.flatten())",
        "F.cross_entropy(output.digits[:, 0], classes[:, 0])",
        ("auxiliary",),
    ),
    edit(
        "loss: digit classes compared in the wrong layout",
        "pairs/models.py",
        "F.cross_entropy(output.digits.flatten(0, 1), classes.flatten())",
        "F.cross_entropy(output.digits.flatten(0, 1), classes.T.flatten())",
        ("auxiliary",),
    ),
    edit(
        "shared_digits: comparison logits in the wrong order",
        "pairs/models.py",
        "return torch.stack([log_gt, log_le], 1)",
        "return torch.stack([log_le, log_gt], 1)",
        ("pair_accuracy",),
    ),
    edit(
        "train_step: never zeroes the gradients",
        "pairs/training.py",
        "    optimizer.zero_grad()\n    loss = model.loss(",
        "    loss = model.loss(",
        ("pair_training",),
    ),
    edit(
        "train_step: trains the comparison only, not the model's loss",
        "pairs/training.py",
        "    loss = model.loss(model(input), target, classes)",
        "    loss = torch.nn.functional.cross_entropy(model(input).comparison, target)",
        ("pair_training",),
    ),
    edit(
        "draw_pairs: equal digits dropped after keeping n pairs",
        "pairs/data.py",
        "    if distinct:\n        pairs = pairs[labels[pairs[:, 0]] != labels[pairs[:, 1]]]\n    pairs = pairs[:n]",
        "    pairs = pairs[:n]\n    if distinct:\n        pairs = pairs[labels[pairs[:, 0]] != labels[pairs[:, 1]]]",
        ("pair_data",),
    ),
    edit(
        "draw_pairs: images drawn with replacement",
        "pairs/data.py",
        "    pairs = order[: len(order) // 2 * 2].view(-1, 2)",
        "    pairs = torch.randint(len(order), (len(order) // 2, 2), generator=generator)",
        ("pair_data",),
    ),
    edit(
        "train_step: never steps",
        "pairs/training.py",
        "    loss.backward()\n    optimizer.step()",
        "    loss.backward()",
        ("pair_training", "pair_accuracy"),
    ),
    edit(
        "deep_aux: auxiliary classifiers dropped from the output",
        "pairs/models.py",
        "        return PairOutput(head[-1], auxiliary=auxiliary)",
        "        return PairOutput(head[-1])",
        ("models",),
    ),
    edit(
        "features: the two images concatenated, not stacked",
        "pairs/models.py",
        "        return torch.stack([self.first(images[:, 0]), self.second(images[:, 1])], 1)\n",
        "        return torch.cat([self.first(images[:, 0]), self.second(images[:, 1])], 1).unsqueeze(1)\n",
        ("models",),
    ),
)

MUTANTS = FRAMEWORK + PAIRS
