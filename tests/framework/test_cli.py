"""python -m reference.framework: train, save, load, plot, and runs over seeds."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reference.framework.__main__ import main

ROOT = Path(__file__).resolve().parents[2]
SHORT = ["--epoch-fraction", "0.01"]  # 12 epochs instead of 1200: the command line runs in a second


def test_train_save_plot_then_load(tmp_path, capsys):
    model, plot = tmp_path / "model.pt", tmp_path / "training.png"
    assert main(["--save", str(model), "--plot", str(plot), *SHORT]) == 0
    trained = capsys.readouterr().out
    assert model.is_file() and plot.stat().st_size > 10_000
    assert main(["--load", str(model)]) == 0
    loaded = capsys.readouterr().out
    assert trained.splitlines()[-2] == loaded.splitlines()[-1]  # the same train and test errors


def test_seeds_write_json(tmp_path):
    path = tmp_path / "seeds.json"
    assert main(["--seeds", "2", "--json", str(path), *SHORT]) == 0
    results = json.loads(path.read_text())
    assert set(results) == {"test_accuracy", "train_accuracy", "seconds"}
    assert all(len(values) == 2 for values in results.values())
    assert all(0 <= value <= 1 for value in results["test_accuracy"] + results["train_accuracy"])


def test_load_reports_a_bad_file(tmp_path, capsys):
    (tmp_path / "bad.pt").write_text("not a model")
    assert main(["--load", str(tmp_path / "bad.pt")]) == 1
    assert "not a model file" in capsys.readouterr().err


def test_json_needs_seeds():
    with pytest.raises(SystemExit):
        main(["--json", "x.json"])


@pytest.mark.parametrize("fraction", ["0", "1.5"])
def test_epoch_fraction_must_be_a_fraction(fraction):
    with pytest.raises(SystemExit):
        main(["--epoch-fraction", fraction])


def test_a_fresh_process_loads_the_file_with_no_code_of_the_model(tmp_path, capsys):
    """The original report's test.py workflow: load a saved file, report its errors."""
    model = tmp_path / "model.pt"
    assert main(["--save", str(model), *SHORT]) == 0
    trained = capsys.readouterr().out
    loaded = subprocess.run([sys.executable, "-m", "reference.framework", "--load", str(model)],
                            capture_output=True, text=True, check=True, cwd=ROOT).stdout  # fmt: skip
    assert trained.splitlines()[-2] == loaded.splitlines()[-1]
