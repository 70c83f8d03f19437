"""Realistic student mistakes, each a one-place edit of the reference that the autograder must catch.

A mutant replaces ``old`` (which must occur exactly once in ``file``) by ``new`` in a copy
of ``reference/``; grading that copy must lose points in every task of ``tasks``.
"""

from __future__ import annotations

from typing import NamedTuple


class Mutant(NamedTuple):
    """One mistake: where it is, what it changes, and the tasks that must lose points."""

    name: str
    file: str
    old: str
    new: str
    tasks: tuple[str, ...]


FRAMEWORK = (
    Mutant("linear: wrong sign of the input gradient", "framework/linear.py",
           "return grad_output @ self.weight", "return -grad_output @ self.weight", ("linear",)),
    Mutant("linear: bias gradient forgotten", "framework/linear.py",
           "            self.bias_grad += grad_output.sum(dim=0)", "            pass", ("linear",)),
    Mutant("linear: gradients overwritten instead of accumulated", "framework/linear.py",
           "self.weight_grad.addmm_(grad_output.T, x)", "self.weight_grad.copy_(grad_output.T @ x)", ("linear",)),
    Mutant("linear: bias gradient averaged over the batch", "framework/linear.py",
           "grad_output.sum(dim=0)", "grad_output.mean(dim=0)", ("linear",)),
    Mutant("linear: weight gradient transposed the wrong way", "framework/linear.py",
           "self.weight_grad.addmm_(grad_output.T, x)", "self.weight_grad += (x.T @ grad_output).T.flip(0)",
           ("linear",)),
    Mutant("relu: derivative not multiplied by the incoming gradient", "framework/activations.py",
           "return grad_output * positive", "return positive.to(grad_output.dtype)", ("activations",)),
    Mutant("relu: negative part kept", "framework/activations.py",
           "return s.clamp(min=0)", "return s.abs()", ("activations",)),
    Mutant("sigmoid: backward computed from the input instead of the output", "framework/activations.py",
           "        e = torch.exp(-s.abs())\n        y = torch.where(s >= 0, 1 / (1 + e), e / (1 + e))\n"
           "        self.save_for_backward(y)",
           "        e = torch.exp(-s.abs())\n        y = torch.where(s >= 0, 1 / (1 + e), e / (1 + e))\n"
           "        self.save_for_backward(s)", ("activations",)),
    Mutant("sigmoid: overflows for large inputs", "framework/activations.py",
           "        e = torch.exp(-s.abs())\n        y = torch.where(s >= 0, 1 / (1 + e), e / (1 + e))\n",
           "        y = torch.exp(s) / (1 + torch.exp(s))\n", ("activations",)),
    Mutant("tanh: derivative 1 - y instead of 1 - y^2", "framework/activations.py",
           "return grad_output * (1 - y * y)", "return grad_output * (1 - y)", ("activations",)),
    Mutant("sequential: backward in forward order", "framework/sequential.py",
           "for module in reversed(self.modules):", "for module in self.modules:", ("sequential",)),
    Mutant("sequential: param() of the first module only", "framework/sequential.py",
           "return [pair for module in self.modules for pair in module.param()]", "return self.modules[0].param()",
           ("sequential",)),
    Mutant("mse: without the factor 2", "framework/loss.py",
           "return difference * (2 / difference.numel())", "return difference / difference.numel()", ("loss",)),
    Mutant("mse: without the 1/M", "framework/loss.py",
           "return difference * (2 / difference.numel())", "return 2 * difference", ("loss",)),
    Mutant("mse: mean over the batch only", "framework/loss.py",
           "return difference.pow(2).mean()", "return difference.pow(2).sum(dim=1).mean()", ("loss",)),
    Mutant("sgd: adds the gradient", "framework/optim.py",
           "parameter.add_(velocity, alpha=-self.lr)", "parameter.add_(velocity, alpha=self.lr)", ("sgd",)),
    Mutant("sgd: momentum buffer never updated", "framework/optim.py",
           "velocity.mul_(self.momentum).add_(grad)", "velocity = velocity * self.momentum + grad", ("sgd",)),
    Mutant("sgd: parameter rebound instead of updated in place", "framework/optim.py",
           "parameter.add_(velocity, alpha=-self.lr)", "parameter = parameter - self.lr * velocity", ("sgd",)),
    Mutant("accuracy: averages per-batch accuracies", "framework/training.py",
           "        correct += (predicted == labels[first : first + step]).sum().item()\n"
           "    return correct / len(inputs)",
           "        correct += (predicted == labels[first : first + step]).float().mean().item()\n"
           "    return correct / len(range(0, len(inputs), step))", ("training",)),
    Mutant("train: never zeroes the gradients", "framework/training.py",
           "                optimizer.step()\n                optimizer.zero_grad()",
           "                optimizer.step()", ("training",)),
    Mutant("train: ignores gradient accumulation", "framework/training.py",
           "if number % accumulate == 0 or number == len(batches):", "if True:", ("training",)),
    Mutant("save: forgets the bias", "framework/serialization.py",
           'if key != "_saved"}', 'if key not in ("_saved", "bias", "bias_grad")}', ("io",)),
    Mutant("load: plain pickle.load runs any code", "framework/serialization.py",
           "data = PlainUnpickler(file).load()", "data = pickle.load(file)", ("io",)),
    Mutant("save: tensors rounded to float32", "framework/serialization.py",
           "data = value.detach().cpu().contiguous()", "data = value.detach().float().cpu().contiguous()", ("io",)),
)  # fmt: skip

PAIRS: tuple[Mutant, ...] = ()

MUTANTS = FRAMEWORK + PAIRS
