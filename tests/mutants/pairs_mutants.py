"""Realistic mistakes in project 1 (the digit pairs): edits of the reference that must lose points."""

from mutant import edit

PAIRS = (
    edit(
        "shared: a second branch, weights not actually shared",
        "pairs/models.py",
        "        copies = 1 if shared else 2\n",
        "        copies = 2\n",
        ("weight_sharing",),
    ),
    edit(
        "baseline: one branch reused for both images",
        "pairs/models.py",
        "return torch.stack([branch(x[:, k]) for k, branch in enumerate(self.branches)], 1)",
        "return torch.stack([self.branches[0](x[:, k]) for k in range(2)], 1)",
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
        "                auxiliary.append(self.auxiliary[name](x.flatten(1)))",
        "                self.auxiliary[name](x.flatten(1))",
        ("models",),
    ),
    edit(
        "features: the two images concatenated, not stacked",
        "pairs/models.py",
        "        return torch.stack([branch(x[:, k]) for k, branch in enumerate(self.branches)], 1)\n",
        "        return torch.cat([branch(x[:, k]) for k, branch in enumerate(self.branches)], 1).unsqueeze(1)\n",
        ("models",),
    ),
)
