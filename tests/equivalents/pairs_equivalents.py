"""Correct solutions of project 1 (the digit pairs), written the way students write them."""

from equivalent import Equivalent, Function, Statement

DRAW_PAIRS_HALVES = """
    def draw_pairs(images, labels, n, generator, distinct):
        order = torch.randperm(len(labels), generator=generator)
        half = len(order) // 2
        first, second = order[:half], order[half : 2 * half]
        if distinct:
            different = labels[first] != labels[second]
            first, second = first[different], second[different]
        first, second = first[:n], second[:n]
        pair_input = torch.stack([images[first], images[second]], dim=1)
        classes = torch.stack([labels[first], labels[second]], dim=1)
        target = torch.le(classes[:, 0], classes[:, 1]).to(torch.int64)
        return pair_input, target, classes
"""

SHALLOW_BRANCH_WIDER_KERNELS = """
    def shallow_branch():
        conv1 = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=5, padding=2), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2)
        )  # (B, 16, 7, 7)
        conv2 = nn.Sequential(
            nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2)
        )  # (B, 32, 3, 3)
        fc = nn.Sequential(nn.Flatten(), nn.Dropout(0.25), nn.Linear(32 * 3 * 3, 48), nn.BatchNorm1d(48), nn.ReLU())
        return nn.Sequential(OrderedDict([("conv1", conv1), ("conv2", conv2), ("fc", fc)]))
"""

LOSS_SEPARATE_TERMS = """
    def loss(self, output, target, classes):
        comparison_loss = F.cross_entropy(output.comparison, target)
        auxiliary_loss = sum(F.cross_entropy(logits, target) for logits in output.auxiliary)
        total = comparison_loss + self.aux_weight * auxiliary_loss
        if output.digits is not None:
            first_digit = F.cross_entropy(output.digits[:, 0], classes[:, 0])
            second_digit = F.cross_entropy(output.digits[:, 1], classes[:, 1])
            total = total + self.digit_weight * (first_digit + second_digit) / 2
        return total
"""

COMPARISON_EXPLICIT_LOGSUMEXP = """
    def comparison_from_digits(digits):
        log_p = digits - digits.logsumexp(dim=2, keepdim=True)  # log-softmax of each image's logits
        log_a, log_b = log_p[:, 0], log_p[:, 1]

        def log_sum_over(rows, columns):
            cells = log_a[:, rows] + log_b[:, columns]  # (N, cells): log p_a(i) + log p_b(j)
            largest = cells.max(dim=1, keepdim=True).values
            return (largest + (cells - largest).exp().sum(dim=1, keepdim=True).log()).squeeze(1)

        i, j = torch.triu_indices(10, 10, device=digits.device)  # the cells i <= j
        k, m = torch.tril_indices(10, 10, offset=-1, device=digits.device)  # the cells i > j
        return torch.stack([log_sum_over(k, m), log_sum_over(i, j)], dim=1)
"""

COMPARISON_LOGCUMSUMEXP = """
    def comparison_from_digits(digits):
        log_p = digits.log_softmax(dim=-1)
        log_a, log_b = log_p[:, 0], log_p[:, 1]
        log_a_at_most = log_a.logcumsumexp(dim=1)  # log P(a <= j)
        log_a_at_least = log_a.flip(1).logcumsumexp(dim=1).flip(1)  # log P(a >= j)
        nothing = torch.full_like(log_a[:, :1], -torch.inf)
        log_a_above = torch.cat([log_a_at_least[:, 1:], nothing], dim=1)  # log P(a > j)
        log_le = (log_b + log_a_at_most).logsumexp(dim=1)  # log sum_j P(b = j) P(a <= j)
        log_gt = (log_b + log_a_above).logsumexp(dim=1)
        return torch.stack((log_gt, log_le), dim=1)
"""

PER_IMAGE_TWO_CALLS = """
    def forward(self, x):
        outputs = []
        for k in range(2):
            branch = self.branches[0] if self.shared else self.branches[k]
            outputs.append(branch(x[:, k]))
        return torch.stack(outputs, dim=1)
"""

TRAIN_STEP_MODEL_ZERO_GRAD = """
    def train_step(model, optimizer, input, target, classes):
        model.zero_grad()
        output = model(input)
        loss = model.loss(output, target, classes)
        loss.backward()
        optimizer.step()
        return float(loss)
"""

TRAIN_DATALOADER = """
    def train(model, data, *, epochs=25, batch_size=50, seed=None, device="cpu", progress=False):
        if seed is not None:
            torch.manual_seed(seed)
        model.to(device)
        train_input, train_target, train_classes, test_input, test_target, _ = (t.to(device) for t in data)
        dataset = TensorDataset(train_input, train_target, train_classes)
        loader = DataLoader(dataset, batch_size=batch_size, shuffle=True)
        optimizer = model.configure_optimizer()
        history = History()
        for _ in range(epochs):
            start = time.perf_counter()
            model.train()
            losses = [train_step(model, optimizer, x, t, c) * len(x) for x, t, c in loader]
            history.train_loss.append(sum(losses) / len(train_input))
            history.train_accuracy.append(evaluate(model, train_input, train_target))
            history.test_accuracy.append(evaluate(model, test_input, test_target))
            history.seconds.append(time.perf_counter() - start)
        return history
"""

PAIRS = (
    Equivalent(
        "pairs_data_two_halves",
        "draw_pairs pairs the first half of the permutation with the second, stacks the two images, "
        "and computes the target with torch.le(...).to(torch.int64)",
        (Function("pairs/data.py", "draw_pairs", DRAW_PAIRS_HALVES),),
    ),
    Equivalent(
        "pairs_branch_other_widths",
        "the shallow branch written with explicit layers instead of conv_block: a 5x5 first convolution, "
        "dropout 0.25 and 48 features",
        (Function("pairs/models.py", "shallow_branch", SHALLOW_BRANCH_WIDER_KERNELS),),
    ),
    Equivalent(
        "pairs_loss_separate_terms",
        "PairModel.loss as named terms: the auxiliary losses summed with sum(), the digit loss as the "
        "mean of the first and the second image's cross-entropies",
        (Function("pairs/models.py", "PairModel.loss", LOSS_SEPARATE_TERMS),),
    ),
    Equivalent(
        "pairs_comparison_explicit_logsumexp",
        "comparison_from_digits with an explicit log-softmax and a hand-written log-sum-exp over the "
        "cells i <= j (triu_indices) and i > j (tril_indices)",
        (Function("pairs/models.py", "comparison_from_digits", COMPARISON_EXPLICIT_LOGSUMEXP),),
    ),
    Equivalent(
        "pairs_comparison_logcumsumexp",
        "comparison_from_digits from the cumulative distribution: P(a <= b) = sum_j P(b = j) P(a <= j), "
        "with logcumsumexp in log space",
        (Function("pairs/models.py", "comparison_from_digits", COMPARISON_LOGCUMSUMEXP),),
    ),
    Equivalent(
        "pairs_shared_branch_called_twice",
        "PerImage calls the branch once per image, the same module for both when shared, instead of once "
        "on all 2N images",
        (Function("pairs/models.py", "PerImage.forward", PER_IMAGE_TWO_CALLS),),
    ),
    Equivalent(
        "pairs_training_dataloader",
        "train_step zeroes the model's gradients (model.zero_grad()) and returns float(loss); train batches "
        "with a shuffled DataLoader over a TensorDataset",
        (
            Statement("pairs/training.py", "from torch.utils.data import DataLoader, TensorDataset"),
            Function("pairs/training.py", "train_step", TRAIN_STEP_MODEL_ZERO_GRAD),
            Function("pairs/training.py", "train", TRAIN_DATALOADER),
        ),
    ),
)
