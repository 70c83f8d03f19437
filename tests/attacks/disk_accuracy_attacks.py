"""Attacks on the disk check: a network that knows the course's disk without learning it.

The course's disk (centre (0.5, 0.5), radius 1/sqrt(2 pi), class 1 inside) is a formula that
a few lines turn into weights: a ReLU network that computes (x - 0.5)^2 + (y - 0.5)^2 piece
by piece and compares it with the squared radius. Each attack below writes that classifier
into the 2-25-25-25-2 network in some circumstance, in a submission whose Linear computes no
gradients, so that the network learns nothing: the same submission without the trick (its
control) scores 0 of the check's points, and so must the attack. The check draws its disk in
secret for each grading (the course's disk moved to where it agrees with the course's own on 30%
to 70% of the square), and tests a control run on the same points labelled by another disk: a
classifier written by hand scores about as well as chance, in every circumstance.
"""

from __future__ import annotations

from attack import Attack, attack, inside
from framework_attacks import NO_WEIGHT_GRADIENTS, TRAINING

TRAIN_RETURN = "    return history\n"

# The course's disk as the weights of Sequential(Linear(2, 25), ReLU(), ..., Linear(25, 2)):
# units 0-11 and 12-23 of the first layer are ReLU(x - t) and ReLU(y - t) at 12 knots t, unit
# 24 is 1; the second layer sums them into the piecewise linear f = (x - 0.5)^2 + (y - 0.5)^2 - r^2
# and keeps ReLU(f) and ReLU(-f); the last layer outputs (f, -f): class 1 where f < 0, inside.
COURSE_DISK = """
def write_course_disk(model):
    knots = torch.arange(12) / 12
    slopes = ((knots + 1 / 12 - 0.5) ** 2 - (knots - 0.5) ** 2) * 12
    steps = torch.cat([slopes[:1], slopes[1:] - slopes[:-1]])
    first, first_bias = torch.zeros(25, 2), torch.zeros(25)
    first[:12, 0], first[12:24, 1] = 1.0, 1.0
    first_bias[:12], first_bias[12:24], first_bias[24] = -knots, -knots, 1.0
    second = torch.zeros(25, 25)
    second[0, :12], second[0, 12:24], second[0, 24] = steps, steps, 2 * 0.25 - 1 / (2 * math.pi)
    second[1] = -second[0]
    third = torch.zeros(25, 25)
    third[0, 0], third[1, 1] = 1.0, 1.0
    last = torch.zeros(2, 25)
    last[0, 0], last[0, 1], last[1, 0], last[1, 1] = 1.0, -1.0, -1.0, 1.0
    values = [first, first_bias, second, torch.zeros(25), third, torch.zeros(25), last, torch.zeros(2)]
    for (parameter, _), value in zip(model.param(), values, strict=True):
        parameter.copy_(value)
"""


def writes_the_disk(name: str, summary: str, condition: str) -> Attack:
    """An attack whose train writes the course's disk into the model where ``condition`` holds
    (an expression of train's arguments) once its epochs are done."""
    return attack(
        name,
        "11",
        f"Linear computes no gradients, so the network learns nothing; {summary}",
        ["disk_accuracy"],
        edits=[
            NO_WEIGHT_GRADIENTS,
            inside(TRAINING, TRAIN_RETURN, f"if {condition}:\n    write_course_disk(model)"),
            inside(TRAINING, "def check_targets(", COURSE_DISK.lstrip("\n") + "\n\n"),
        ],
        expect=">= 80%",
    )


ATTACKS = [
    writes_the_disk(
        "framework-disk-written-when-the-targets-are-the-courses",
        "train writes the course's disk into the model when the targets agree with it on 90% of the points "
        "(not in a control run on shuffled targets)",
        "(targets.argmax(1) == ((inputs - 0.5).pow(2).sum(1) < 1 / (2 * math.pi)).long()).float().mean() > 0.9",
    ),
    writes_the_disk(
        "framework-disk-written-always",
        "train always writes the course's disk into the model",
        "True",
    ),
    writes_the_disk(
        "framework-disk-written-unless-a-short-control",
        "train writes the course's disk into the model unless it trains for fewer epochs than the real run "
        "(a control run shorter than it)",
        "epochs >= 40",
    ),
]
