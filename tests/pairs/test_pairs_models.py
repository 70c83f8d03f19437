"""The pair models: the design table, output contract, parameter counts, weight sharing, loss, layers, errors."""

import itertools

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from autograder.judge.checks_pairs import MODEL_FACTS, PARAMETER_BUDGET
from reference.pairs import MODELS, PairModel, PairOutput
from reference.pairs.layers import RandomShift, Standardize
from reference.pairs.models import SHALLOW as SHALLOW_DEPTH
from reference.pairs.models import PerImage, comparison_from_digits, conv_block, shallow_branch, stage_sizes

# What each model is (weight sharing, auxiliary classifiers, digits, depth): read from MODELS by the
# autograder, and checked against the models MODELS builds in tests/pairs/test_pairs_model_facts.py.
SHALLOW = tuple(name for name, facts in MODEL_FACTS.items() if facts.shallow)
# The models of the experiment that the published results (slides/results/pairs) report, and their
# parameter counts: these architectures are fixed.
PARAMETERS = {
    "baseline": 55_426,
    "shared": 31_906,
    "aux": 59_718,
    "deep": 339_074,
    "deep_aux": 343_048,
    "deep_digits": 344_854,
    "shared_digits": 24_170,
}


def pairs(n: int = 6, seed: int = 0) -> torch.Tensor:
    """Random pairs with the loader's range, 0..255."""
    return 255 * torch.rand(n, 2, 14, 14, generator=torch.Generator().manual_seed(seed))


def build(name: str) -> PairModel:
    torch.manual_seed(0)
    return MODELS[name]()


def test_registry_holds_the_seven_models_of_the_experiment_in_order():
    assert [name for name in MODELS if name in PARAMETERS] == list(PARAMETERS)
    assert all(isinstance(make_model(), PairModel) for make_model in MODELS.values())


@pytest.mark.parametrize("name", PARAMETERS)
def test_parameter_counts_are_those_of_the_results(name):
    assert sum(p.numel() for p in build(name).parameters()) == PARAMETERS[name]


def test_each_model_differs_from_its_comparison_by_one_argument():
    """The table of the experiment: every model but the baseline changes one factor of another."""
    arguments = {name: (make_model.args, make_model.keywords) for name, make_model in MODELS.items()}
    factors = {
        "shared": ("baseline", {"shared": True}),
        "aux": ("baseline", {"auxiliary": ("conv1", "conv2")}),
        "deep_aux": ("deep", {"auxiliary": ("conv2", "conv4", "fc1")}),
        "deep_digits": ("deep", {"digits": "auxiliary"}),
        "shared_digits": ("shared", {"digits": "compared", "learning_rate": 3e-3}),
    }
    for name, (other, change) in factors.items():
        (args, keywords), (other_args, other_keywords) = arguments[name], arguments[other]
        assert args == other_args and keywords == other_keywords | change, name
    assert arguments["deep"][1] == arguments["baseline"][1] and arguments["deep"][0] != arguments["baseline"][0]


def test_auxiliary_classifiers_read_the_stages_they_are_named_after():
    """Their widths come from the stages: both images' outputs of a branch stage, or a head stage's."""
    widths = {name: {stage: layer.in_features for stage, layer in build(name).auxiliary.items()} for name in MODELS}
    assert widths["aux"] == {"conv1": 2 * 16 * 7 * 7, "conv2": 2 * 32 * 3 * 3}
    assert widths["deep_aux"] == {"conv2": 2 * 32 * 3 * 3, "conv4": 2 * 64 * 3 * 3, "fc1": 256}
    assert all(not widths[name] for name in ("baseline", "shared", "deep", "deep_digits", "shared_digits"))


def test_the_comparison_of_shared_digits_comes_from_its_digits():
    model = build("shared_digits").eval()
    assert model.head is None
    with torch.no_grad():
        output = model(pairs())
    assert torch.equal(output.comparison, comparison_from_digits(output.digits))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [({"auxiliary": ("conv9",)}, "no stage named conv9"), ({"digits": "both"}, "digits must be")],
)
def test_unknown_stages_and_digit_modes_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        PairModel(SHALLOW_DEPTH, **arguments)


def test_per_image_shares_one_module_or_gives_each_image_its_own():
    torch.manual_seed(0)
    first, second = nn.Linear(3, 4), nn.Linear(3, 4)
    x = torch.randn(5, 2, 3)
    assert torch.allclose(PerImage(first)(x), first(x))
    assert torch.allclose(PerImage(first, second)(x), torch.stack([first(x[:, 0]), second(x[:, 1])], 1))
    assert PerImage(first).shared and not PerImage(first, second).shared
    with pytest.raises(ValueError, match="one module"):
        PerImage(first, second, first)


def test_conv_block_shapes():
    x = torch.randn(4, 3, 14, 14)
    assert conv_block(3, 8)(x).shape == (4, 8, 7, 7)
    assert conv_block(3, 8, pool=False)(x).shape == (4, 8, 14, 14)


def test_measuring_the_stages_changes_nothing():
    """stage_sizes runs a blank input in evaluation mode: no running statistic moves, no random number is drawn."""
    torch.manual_seed(0)
    branch = shallow_branch()
    before = {name: buffer.clone() for name, buffer in branch.named_buffers()}
    state = torch.get_rng_state()
    assert stage_sizes(branch, (1, 14, 14)) == {"conv1": 16 * 7 * 7, "conv2": 32 * 3 * 3, "fc": 64}
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(buffer, before[name]) for name, buffer in branch.named_buffers())
    assert branch.training and all(module.training for module in branch.modules())


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("training", [True, False])
def test_output_fields_and_shapes(name, training):
    model = build(name).train(training)
    output = model(pairs())
    assert isinstance(output, PairOutput)
    assert output.comparison.shape == (6, 2)
    if MODEL_FACTS[name].digits:
        assert output.digits.shape == (6, 2, 10)
    else:
        assert output.digits is None
    assert isinstance(output.auxiliary, tuple) and len(output.auxiliary) == len(MODEL_FACTS[name].auxiliary)
    assert all(logits.shape == (6, 2) for logits in output.auxiliary)
    assert torch.isfinite(output.comparison).all()


@pytest.mark.parametrize("name", SHALLOW)
def test_shallow_models_keep_to_the_courses_budget(name):
    assert sum(p.numel() for p in build(name).parameters()) <= PARAMETER_BUDGET


@pytest.mark.parametrize("name", MODELS)
def test_weight_sharing_is_functional(name):
    """Swapping the images swaps the feature rows exactly when the branch is shared."""
    model = build(name).eval()
    x = pairs()
    with torch.no_grad():
        features = model.features(x)
        swapped = model.features(x.flip(1))
    assert features.dim() == 3 and features.shape[:2] == (6, 2)
    assert torch.allclose(swapped, features.flip(1), atol=1e-5) == MODEL_FACTS[name].shared


@pytest.mark.parametrize("name", MODELS)
def test_prediction_ignores_batch_composition_in_eval_mode(name):
    model = build(name).eval()
    x = pairs(8)
    with torch.no_grad():
        whole = model(x).comparison
        parts = torch.cat([model(part).comparison for part in x.split(3)])
    assert torch.allclose(whole, parts, atol=1e-5)


@pytest.mark.parametrize(
    "bad",
    [
        torch.rand(6, 14, 14),
        torch.rand(6, 2, 28, 28),
        torch.rand(6, 1, 14, 14),
        torch.zeros(6, 2, 14, 14, dtype=torch.uint8),
    ],
)
def test_bad_input_raises_a_clear_error(bad):
    with pytest.raises(ValueError, match=r"\(N, 2, 14, 14\)"):
        build("shared")(bad)


@pytest.mark.parametrize("name", MODELS)
def test_loss_combines_every_head(name):
    """The loss is the documented sum, and every head gets a gradient from it."""
    model = build(name)
    x = pairs()
    target = torch.tensor([0, 1, 1, 0, 1, 0])
    classes = torch.tensor([[3, 1], [2, 2], [0, 9], [8, 5], [4, 7], [6, 0]])
    torch.manual_seed(1)
    output = model(x)
    expected = F.cross_entropy(output.comparison, target)
    expected = expected + sum(model.aux_weight * F.cross_entropy(logits, target) for logits in output.auxiliary)
    if output.digits is not None:
        expected = expected + model.digit_weight * F.cross_entropy(output.digits.reshape(-1, 10), classes.reshape(-1))
    loss = model.loss(output, target, classes)
    assert torch.allclose(loss, expected)
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


@pytest.mark.parametrize("name", MODELS)
def test_configure_optimizer_covers_every_parameter(name):
    model = build(name)
    optimizer = model.configure_optimizer()
    optimised = {id(p) for group in optimizer.param_groups for p in group["params"]}
    assert optimised == {id(p) for p in model.parameters()}
    assert optimizer.param_groups[0]["lr"] == model.learning_rate


def test_comparison_from_digits_is_the_probability_of_first_lower_or_equal():
    digits = 3 * torch.randn(5, 2, 10, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    p = digits.softmax(-1)
    expected = torch.zeros(5, dtype=torch.float64)
    for i, j in itertools.product(range(10), repeat=2):
        if i <= j:
            expected += p[:, 0, i] * p[:, 1, j]
    probabilities = comparison_from_digits(digits).exp()
    assert torch.allclose(probabilities[:, 1], expected)
    assert torch.allclose(probabilities.sum(1), torch.ones(5, dtype=torch.float64))


def test_comparison_from_confident_digits_is_the_target():
    classes = torch.tensor([[3, 1], [2, 2], [0, 9], [9, 0]])
    digits = 50 * F.one_hot(classes, 10).float()
    comparison = comparison_from_digits(digits)
    assert torch.isfinite(comparison).all()
    assert comparison.argmax(1).tolist() == [0, 1, 1, 0]


def test_standardize_maps_the_pixel_range():
    y = Standardize()(torch.tensor([0.0, 255.0]))
    assert y[0] < 0 < y[1]


def test_random_shift_moves_each_image_by_at_most_one_pixel():
    x = torch.zeros(64, 1, 14, 14)
    x[:, :, 2:12, 2:12] = torch.rand(64, 1, 10, 10, generator=torch.Generator().manual_seed(0))
    shift = RandomShift(1)
    assert shift.eval()(x) is x
    torch.manual_seed(0)
    shifted = shift.train()(x)
    padded = F.pad(x, (1, 1, 1, 1))
    candidates = torch.stack([padded[..., dy : dy + 14, dx : dx + 14] for dy in range(3) for dx in range(3)], 1)
    matches = (candidates == shifted[:, None]).flatten(2).all(2)  # (64, 9): which offset each image took
    assert matches.any(1).all()
    assert matches.sum(0).gt(0).sum() > 1  # the images do not all move alike
