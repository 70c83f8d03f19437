"""The round protocol, its command line and the vectorised mode."""

import json

import pytest
import torch

from reference.pairs import MODELS, generate_pair_sets, run_rounds, train_rounds
from reference.pairs.__main__ import main
from reference.pairs.experiment import csv_table, markdown_table, mean_std
from reference.pairs.vectorised import stacked_optimizer


def test_cli_writes_tables_figures_and_json(tmp_path, capsys):
    json_path = tmp_path / "json" / "results.json"
    argv = ["--models", "baseline,shared", "--rounds", "1", "--epochs", "1", "--pairs", "100"]
    assert main([*argv, "--out", str(tmp_path), "--json", str(json_path), "--device", "cpu"]) == 0
    assert "| `shared` |" in capsys.readouterr().out
    for name in ("results.md", "results.csv", "baseline_vs_shared.png", "all_models.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert not (tmp_path / "deep_vs_deep_aux.png").exists()  # its models did not run
    results = json.loads(json_path.read_text())
    assert list(results["models"]) == ["baseline", "shared"]
    for entry in results["models"].values():
        assert set(entry) == {"parameters", "final_test_accuracy", "seconds_per_round", "test_accuracy_per_epoch"}
        assert isinstance(entry["parameters"], int)
        assert len(entry["final_test_accuracy"]) == len(entry["seconds_per_round"]) == 1
        assert 0 <= entry["final_test_accuracy"][0] <= 1
        assert entry["test_accuracy_per_epoch"] == [[entry["final_test_accuracy"][0]]]
    assert results["settings"]["rounds"] == 1


def test_cli_rejects_unknown_models(capsys):
    with pytest.raises(SystemExit):
        main(["--models", "baseline,resnet"])
    assert "resnet" in capsys.readouterr().err


def test_rounds_use_their_own_seeds_and_tables_summarise_them():
    result = run_rounds("shared_digits", 2, seed=5, pairs=50, epochs=2, batch_size=25)
    assert result.parameters == sum(p.numel() for p in MODELS["shared_digits"]().parameters())
    assert len(result.final_test_accuracy) == len(result.seconds_per_round) == 2
    assert [len(curve) for curve in result.test_accuracy_per_epoch] == [2, 2]
    again = run_rounds("shared_digits", 1, seed=6, pairs=50, epochs=2, batch_size=25)
    assert again.test_accuracy_per_epoch[0] == result.test_accuracy_per_epoch[1]
    assert "`shared_digits` | 24,170 | 2 |" in markdown_table({"shared_digits": result})
    header, row = csv_table({"shared_digits": result}).splitlines()
    assert header.startswith("model,parameters,rounds,accuracy_mean,accuracy_std")
    assert row.startswith("shared_digits,24170,2,")


def test_mean_std_of_one_value_has_no_spread():
    assert mean_std([0.5]) == (0.5, 0.0)
    assert mean_std([1.0, 3.0]) == (2.0, pytest.approx(2**0.5))


def test_unknown_model_is_refused():
    with pytest.raises(ValueError, match="unknown model"):
        run_rounds("resnet", 1)


@pytest.fixture(scope="module")
def two_rounds():
    return [generate_pair_sets(100, seed=seed) for seed in (0, 1)]


def test_vectorised_rounds_are_finite_and_reproducible(two_rounds):
    runs = [train_rounds(MODELS["shared_digits"], two_rounds, [0, 1], epochs=2, batch_size=25) for _ in range(2)]
    for histories in runs:
        assert len(histories) == 2
        for history in histories:
            assert all(len(values) == 2 for values in history.to_dict().values())
            assert all(torch.isfinite(torch.tensor(history.train_loss)))
            assert all(0 <= value <= 1 for value in history.test_accuracy)
    first, second = ([h.to_dict() | {"seconds": None} for h in histories] for histories in runs)
    assert first == second
    assert runs[0][0].test_accuracy != runs[0][1].test_accuracy  # each round its own model and data


def test_vectorised_rounds_learn(two_rounds):
    histories = train_rounds(MODELS["shared"], two_rounds, [0, 1], epochs=3, batch_size=20)
    assert all(h.train_loss[-1] < h.train_loss[0] for h in histories)


def test_stacked_optimizer_keeps_the_recipe():
    torch.manual_seed(0)
    model = MODELS["deep_digits"]()
    params = {name: torch.stack([p.detach()] * 3).requires_grad_() for name, p in model.named_parameters()}
    optimizer = stacked_optimizer(model, params)
    assert type(optimizer) is type(model.configure_optimizer())
    assert optimizer.param_groups[0]["lr"] == model.learning_rate
    assert [p.shape[0] for p in optimizer.param_groups[0]["params"]] == [3] * len(params)


def test_vectorised_mode_needs_one_seed_per_dataset(two_rounds):
    with pytest.raises(ValueError, match="one seed per dataset"):
        train_rounds(MODELS["shared"], two_rounds, [0])
