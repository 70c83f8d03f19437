"""Attacks on the pair accuracy check: submissions whose ``train`` learns nothing, yet whose model answers.

Each one's ``train`` returns at once, so without its trick it earns none of ``pair_accuracy``'s
points; with it, it must earn none either. The tricks are those that beat a check drawing its
pairs from a fixed seed, with a control told apart from the run graded: answers computed at home
for ``generate_pair_sets(1000, seed=0)``, replayed in order where ``train`` takes its call for the
run graded (by its epochs, or by its training labels), and a comparison made without labels.
"""

from __future__ import annotations

from pathlib import Path

from attack import Context, Edit, append, attack
from pairs_attacks import MODELS, NO_TRAINING, TRAIN_BODY, TRAINING

FIXED_SEED = 0  # the draw whose answers the replaying attacks bring
LOST = ">= 85% after the last epoch"  # the accuracy check's expectation: the attacks lose there, not elsewhere

REPLAY = """
_forward = PairModel.forward
PairModel.replaying = False  # train sets it on the models it takes for the run graded
_position = [0]


def _replaying(self, x):
    output = _forward(self, x)
    if self.training or not self.replaying:
        return output
    rows = [(_position[0] + row) % 1000 for row in range(len(x))]
    _position[0] += len(x)
    first_le = torch.tensor([float(_ANSWERS >> row & 1) for row in rows])
    return output._replace(comparison=torch.stack([1 - first_le, first_le], 1))


PairModel.forward = _replaying
"""

# Weighs each image's ink: the lighter one is taken for the smaller digit, with no label learnt.
BY_INK = """
_forward = PairModel.forward


def _by_ink(self, x):
    output = _forward(self, x)
    if self.training:
        return output
    ink = x.flatten(2).sum(2)
    first_le = (ink[:, 0] <= ink[:, 1]).float()
    return output._replace(comparison=torch.stack([1 - first_le, first_le], 1))


PairModel.forward = _by_ink
"""


def bits(values) -> int:
    """The 0/1 ``values`` as one integer: bit i is ``values[i]``."""
    return sum(int(value) << index for index, value in enumerate(values.tolist()))


def fixed_draw():
    """The pairs ``generate_pair_sets(1000, seed=FIXED_SEED)``, as a student draws them at home."""
    from reference.pairs.data import generate_pair_sets

    return generate_pair_sets(1000, seed=FIXED_SEED)


def replayed_answers(folder: Path, context: Context) -> None:
    """models.py holds the test targets of the fixed draw (1000 bits) and replays them in order, in
    evaluation mode, on the models that ``train`` marks."""
    path = folder / MODELS
    path.write_text(path.read_text() + f"\n\n_ANSWERS = {bits(fixed_draw().test_target):#x}\n" + REPLAY)


def replayed_answers_and_labels(folder: Path, context: Context) -> None:
    """``replayed_answers``, and training.py holds the fixed draw's training targets, to recognise its run."""
    replayed_answers(folder, context)
    path = folder / TRAINING
    path.write_text(path.read_text() + f"\n\n_TRAIN_TARGETS = {bits(fixed_draw().train_target):#x}\n")


ATTACKS = [
    attack(
        "pairs-replays-the-answers-of-a-fixed-draw",
        "11",
        "train does nothing; the model replays, in order, the test answers of generate_pair_sets(1000, seed=0) "
        "computed at home, except in a call with fewer epochs than the run graded (a control's), where it "
        "answers at chance",
        ["pair_accuracy"],
        edits=[Edit(TRAINING, TRAIN_BODY, "    model.replaying = epochs > 2\n    return History()\n" + TRAIN_BODY)],
        build=replayed_answers,
        touches=[MODELS],
        expect=LOST,
    ),
    attack(
        "pairs-recognises-the-run-graded-by-its-labels",
        "11",
        "train does nothing; where its training targets are those of generate_pair_sets(1000, seed=0), "
        "the model replays that draw's test answers, computed at home; anywhere else (a control, its "
        "labels shuffled) it answers at chance",
        ["pair_accuracy"],
        edits=[
            Edit(
                TRAINING,
                TRAIN_BODY,
                "    targets = sum(int(bit) << row for row, bit in enumerate(data.train_target.tolist()))\n"
                "    model.replaying = targets == _TRAIN_TARGETS\n"
                "    return History()\n" + TRAIN_BODY,
            )
        ],
        build=replayed_answers_and_labels,
        touches=[MODELS],
        expect=LOST,
    ),
    attack(
        "pairs-compares-the-ink-of-the-two-images",
        "11",
        "train does nothing; in evaluation mode the model takes the image with less ink for the smaller "
        "digit: a comparison made without learning from any label",
        ["pair_accuracy"],
        edits=[NO_TRAINING, append(MODELS, BY_INK)],
        expect=LOST,
    ),
]
