"""The autograder's facts about the pairs models follow the reference's MODELS: a model added there is graded."""

import subprocess
import sys
from functools import partial

import pytest
import torch

from autograder import manifest
from autograder.judge.checks_pairs import BUDGET_NOTE, MODEL_FACTS, ModelFacts, model_facts
from reference.pairs import MODELS, PairModel
from reference.pairs.models import DEEP, PerImage

PER_MODEL_TASKS = ("models", "weight_sharing", "auxiliary")


def build(name: str) -> PairModel:
    torch.manual_seed(0)
    return MODELS[name]()


@pytest.mark.parametrize("name", MODELS)
def test_the_facts_are_those_of_the_model_the_table_builds(name):
    facts, model = MODEL_FACTS[name], build(name)
    stages = [stage for stage in model.branch if isinstance(stage, PerImage)]
    assert stages and all(stage.shared == facts.shared for stage in stages)
    assert set(model.auxiliary) == set(facts.auxiliary)
    assert (model.digit_head is not None) == (facts.digits is not None)
    assert (model.head is None) == (facts.digits == "compared")


def test_every_model_of_the_table_and_no_other_has_its_checks():
    declared = {task: {check.id for check in manifest.CHECKS if check.task == task} for task in PER_MODEL_TASKS}
    assert declared["models"] == declared["weight_sharing"] == set(MODELS)
    assert declared["auxiliary"] == {name for name, facts in MODEL_FACTS.items() if facts.auxiliary or facts.digits}


def test_the_parameter_budget_is_said_for_the_shallow_models_only():
    for name, facts in MODEL_FACTS.items():
        assert (BUDGET_NOTE in manifest.CHECKS_BY_NAME[f"models.{name}"].description) == facts.shallow, name


def test_the_facts_read_positional_and_keyword_arguments_with_the_defaults():
    facts = model_facts("deep_shared", partial(PairModel, DEEP, shared=True, auxiliary=("conv3",)))
    assert facts == ModelFacts(shared=True, auxiliary=("conv3",), digits=None, shallow=False)
    assert facts.loss_terms == ("auxiliary",)
    assert model_facts("digits", partial(PairModel, depth=DEEP, digits="auxiliary")).loss_terms == ("digit",)


def test_an_entry_the_autograder_cannot_read_is_refused_with_the_form_to_use():
    with pytest.raises(TypeError, match=r"functools.partial\(PairModel, \.\.\.\)"):
        model_facts("lambda", lambda: PairModel(DEEP))


def test_a_model_added_to_the_table_gets_its_checks_with_no_edit_of_the_autograder():
    program = (
        "from functools import partial\n"
        "from reference.pairs import models\n"
        "models.MODELS['deep_shared'] = partial(models.PairModel, models.DEEP, shared=True, auxiliary=('conv3',))\n"
        "from autograder import manifest\n"
        "print(' '.join(check.name for check in manifest.CHECKS if check.id == 'deep_shared'))\n"
        "print(manifest.CHECKS_BY_NAME['weight_sharing.deep_shared'].description)\n"
    )
    process = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=True)
    names, sharing = process.stdout.splitlines()
    assert names.split() == ["models.deep_shared", "weight_sharing.deep_shared", "auxiliary.deep_shared"]
    assert "one branch for both images" in sharing
