"""save and load: an exact round trip through torch.save, and no code execution from a crafted file."""

import pickle

import pytest
import torch

import reference.framework as fw
from reference.framework.serialization import FORMAT


class Exploit:
    """Pickles as a call to exec that writes a file: plain pickle.load would run it."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('pwned')",))


def trained_network(dtype=torch.float32):
    torch.manual_seed(0)
    net = fw.Sequential(fw.Linear(2, 25, dtype=dtype), fw.Tanh(), fw.Linear(25, 2, bias=False, dtype=dtype),
                        fw.Sigmoid())  # fmt: skip
    data = fw.generate_disk_set(100, seed=0)
    fw.train(net, data.train_input.to(dtype), fw.one_hot(data.train_target, 2, dtype=dtype), epochs=2,
             batch_size=10, lr=0.1, seed=0)  # fmt: skip
    return net


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_round_trip_is_exact(tmp_path, dtype):
    net = trained_network(dtype)
    fw.save(net, tmp_path / "model.pt")
    loaded = fw.load(tmp_path / "model.pt")
    assert repr(loaded) == repr(net)
    assert loaded.architecture() == net.architecture()
    for (a, _), (b, gb) in zip(net.param(), loaded.param(), strict=True):
        assert torch.equal(a, b) and a.dtype == b.dtype and not gb.any()
    x = torch.rand(50, 2, dtype=dtype)
    assert torch.equal(net(x), loaded(x))


def test_every_module_round_trips(tmp_path):
    net = fw.Sequential(fw.Linear(2, 3), fw.ReLU(), fw.Tanh(), fw.Sigmoid(), fw.Identity(),
                        fw.Sequential(fw.Linear(3, 1, bias=False)))  # fmt: skip
    fw.save(net, tmp_path / "model.pt")
    assert repr(fw.load(tmp_path / "model.pt")) == repr(net)
    fw.save(fw.Linear(4, 2), tmp_path / "linear.pt")
    assert fw.load(tmp_path / "linear.pt").weight.shape == (2, 4)


def test_the_file_is_torch_save_of_plain_data(tmp_path):
    net = fw.Sequential(fw.Linear(2, 3), fw.ReLU())
    fw.save(net, tmp_path / "model.pt")
    contents = torch.load(tmp_path / "model.pt", weights_only=True)
    assert contents["format"] == FORMAT
    assert contents["architecture"] == net.architecture()
    assert list(contents["state"]) == ["0.weight", "0.bias"]


def test_loaded_model_trains_on(tmp_path):
    fw.save(trained_network(), tmp_path / "model.pt")
    loaded = fw.load(tmp_path / "model.pt")
    data = fw.generate_disk_set(100, seed=1)
    history = fw.train(loaded, data.train_input, fw.one_hot(data.train_target, 2), epochs=2, batch_size=10,
                       lr=0.1, seed=0)  # fmt: skip
    assert len(history.loss) == 2


def test_saved_tensors_of_the_last_forward_are_not_stored(tmp_path):
    net = trained_network()
    net(torch.rand(1000, 2))
    fw.save(net, tmp_path / "model.pt")
    assert (tmp_path / "model.pt").stat().st_size < 10_000
    with pytest.raises(RuntimeError, match="before forward"):
        fw.load(tmp_path / "model.pt")[0].backward(torch.ones(1, 25))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
@pytest.mark.parametrize(
    ("write", "reason"),
    [(lambda payload, path: torch.save(payload, path), "GLOBAL exec was not an allowed global by default"),
     (lambda payload, path: path.write_bytes(pickle.dumps(payload, protocol=2)), "GLOBAL exec was not an allowed"),
     (lambda payload, path: path.write_bytes(pickle.dumps(payload)), "")],
    ids=["torch.save", "pickle-2", "pickle"],
)  # fmt: skip
def test_refuses_a_file_that_would_run_code(tmp_path, write, reason):
    check = tmp_path / "check.txt"
    assert pickle.loads(pickle.dumps(Exploit(check))) is None and check.exists()  # plain pickle runs the call
    marker = tmp_path / "pwned.txt"
    write({"format": FORMAT, "architecture": Exploit(marker), "state": {}}, tmp_path / "evil.pt")
    with pytest.raises(fw.ModelFileError, match=rf"refused to load.*could run code when read.*{reason}"):
        fw.load(tmp_path / "evil.pt")
    assert not marker.exists()


def test_refuses_an_unknown_module(tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"format": FORMAT, "architecture": {"module": "Conv2d", "arguments": {}}, "state": {}}, path)
    with pytest.raises(fw.ModelFileError, match="unknown module 'Conv2d'"):
        fw.load(path)


def test_refuses_other_files(tmp_path):
    (tmp_path / "text.pt").write_text("hello")
    torch.save([1, 2, 3], tmp_path / "list.pt")
    torch.save({"format": "framework-model/1"}, tmp_path / "old.pt")
    for name in ("text.pt", "list.pt", "old.pt"):
        with pytest.raises(fw.ModelFileError, match="not a model file"):
            fw.load(tmp_path / name)


@pytest.mark.parametrize(
    ("architecture", "state"),
    [({"module": "Linear", "arguments": {"in_features": 2, "out_features": 2}}, {"weight": torch.zeros(2, 3)}),
     ({"module": "Linear", "arguments": {"in_features": 2, "out_features": 2}}, {"weight": torch.zeros(2, 2)}),
     ({"module": "Linear", "arguments": {"in_features": 0, "out_features": 2}}, {}),
     ({"module": "Linear", "arguments": {"size": 2}}, {}),
     ({"module": "Linear", "arguments": {"in_features": 2, "out_features": 2, "dtype": torch.int64}}, {}),
     ({"module": "Sequential"}, {}),
     ({"arguments": {}}, {}),
     ("Linear", {})],
    ids=["wrong-shape", "missing-bias", "bad-size", "bad-argument", "int-dtype", "no-modules", "no-name",
         "not-a-dict"],
)  # fmt: skip
def test_damaged_files_are_model_file_errors(tmp_path, architecture, state):
    path = tmp_path / "model.pt"
    torch.save({"format": FORMAT, "architecture": architecture, "state": state}, path)
    with pytest.raises(fw.ModelFileError, match=r"model\.pt is damaged"):
        fw.load(path)


def test_a_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(OSError):
        fw.load(tmp_path / "absent.pt")


def test_save_rejects_non_modules(tmp_path):
    with pytest.raises(TypeError, match="expected a Module"):
        fw.save(torch.nn.Linear(2, 2), tmp_path / "model.pt")


def test_a_layer_used_twice_is_saved_as_two_copies_with_a_warning(tmp_path):
    layer = fw.Linear(3, 3)
    net = fw.Sequential(layer, fw.Tanh(), layer)
    with pytest.warns(UserWarning, match="separate copies"):
        fw.save(net, tmp_path / "model.pt")
    loaded = fw.load(tmp_path / "model.pt")
    x = torch.rand(4, 3)
    assert torch.equal(loaded(x), net(x))
    assert loaded[0] is not loaded[2]
