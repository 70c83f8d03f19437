"""save and load: an exact round trip, and no code execution from a crafted file."""

import pickle

import pytest
import torch

import reference.framework as fw


class Exploit:
    """Pickles as a call that writes a file: plain pickle.load would run it."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (exec, (f"open({self.marker!r}, 'w').write('pwned')",))


def trained_network(dtype=torch.float32):
    torch.manual_seed(0)
    net = fw.Sequential(fw.Linear(2, 25, dtype=dtype), fw.Tanh(), fw.Linear(25, 2, bias=False, dtype=dtype),
                        fw.Sigmoid())  # fmt: skip
    data = fw.generate_disk_set(100, seed=0)
    fw.train(net, data.train_input.to(dtype), data.train_target, epochs=2, batch_size=10, lr=0.1, seed=0)
    return net


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_round_trip_is_exact(tmp_path, dtype):
    net = trained_network(dtype)
    fw.save(net, tmp_path / "model.pkl")
    loaded = fw.load(tmp_path / "model.pkl")
    assert repr(loaded) == repr(net)
    for (a, ga), (b, gb) in zip(net.param(), loaded.param(), strict=True):
        assert torch.equal(a, b) and a.dtype == b.dtype and torch.equal(ga, gb)
    x = torch.rand(50, 2, dtype=dtype)
    assert torch.equal(net(x), loaded(x))


def test_loaded_model_trains_on(tmp_path):
    fw.save(trained_network(), tmp_path / "model.pkl")
    loaded = fw.load(tmp_path / "model.pkl")
    data = fw.generate_disk_set(100, seed=1)
    history = fw.train(loaded, data.train_input, data.train_target, epochs=2, batch_size=10, lr=0.1, seed=0)
    assert len(history.loss) == 2


def test_saved_tensors_of_the_last_forward_are_not_stored(tmp_path):
    net = trained_network()
    net(torch.rand(1000, 2))
    fw.save(net, tmp_path / "model.pkl")
    assert (tmp_path / "model.pkl").stat().st_size < 10_000
    with pytest.raises(RuntimeError, match="before forward"):
        fw.load(tmp_path / "model.pkl")[0].backward(torch.ones(1, 25))


@pytest.mark.parametrize("wrap", [lambda payload: payload, lambda payload: {"format": "x", "model": payload}])
def test_refuses_a_file_that_would_run_code(tmp_path, wrap):
    marker = tmp_path / "pwned.txt"
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps(wrap(Exploit(marker))))
    with pytest.raises(fw.ModelFileError, match=r"refused to load.*builtins\.exec"):
        fw.load(path)
    assert not marker.exists()


def test_refuses_an_unknown_module_class(tmp_path):
    path = tmp_path / "model.pkl"
    fw.save(fw.Linear(2, 2), path)
    data = pickle.loads(path.read_bytes())
    data["model"] = ("module", "Conv2d", {})
    path.write_bytes(pickle.dumps(data))
    with pytest.raises(fw.ModelFileError, match="unknown module class 'Conv2d'"):
        fw.load(path)


def test_refuses_other_files(tmp_path):
    (tmp_path / "text.pkl").write_text("hello")
    (tmp_path / "list.pkl").write_bytes(pickle.dumps([1, 2, 3]))
    for name in ("text.pkl", "list.pkl"):
        with pytest.raises(fw.ModelFileError, match="not a model file"):
            fw.load(tmp_path / name)


def test_refuses_a_damaged_model(tmp_path):
    path = tmp_path / "model.pkl"
    fw.save(fw.Linear(2, 2), path)
    data = pickle.loads(path.read_bytes())
    data["model"][2]["weight"] = ("tensor", "float32", (2, 2), b"\x00" * 3)
    path.write_bytes(pickle.dumps(data))
    with pytest.raises(fw.ModelFileError, match="bytes of a tensor of shape"):
        fw.load(path)


def test_save_rejects_non_modules(tmp_path):
    with pytest.raises(TypeError, match="expected a Module"):
        fw.save(torch.nn.Linear(2, 2), tmp_path / "model.pkl")


def test_a_layer_used_twice_stays_shared(tmp_path):
    layer = fw.Linear(3, 3)
    fw.save(fw.Sequential(layer, fw.ReLU(), layer), tmp_path / "model.pkl")
    loaded = fw.load(tmp_path / "model.pkl")
    assert loaded[0] is loaded[2]


def test_a_file_of_shared_references_decodes_in_linear_time(tmp_path):
    item = ("value", 0)
    for _ in range(60):  # 2**60 paths through 60 levels of shared entries
        item = ("list", [item, item])
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"format": "framework-model/1", "model": item}))
    with pytest.raises(fw.ModelFileError, match="holds a list, not a model"):
        fw.load(path)


@pytest.mark.parametrize(
    "model",
    [("value",), ("list",), ("tensor", "float32", (10**12,), b""), ("tensor", "float32", (2,), 10**9),
     ("module", "Linear", {"weight": ("dict", [1, 2])}), ("value", 3)],
    ids=["short-value", "short-list", "huge-shape", "int-bytes", "bad-state", "not-a-model"],
)  # fmt: skip
def test_damaged_entries_are_model_file_errors(tmp_path, model):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"format": "framework-model/1", "model": model}))
    with pytest.raises(fw.ModelFileError):
        fw.load(path)


def test_zero_dimensional_tensors_round_trip(tmp_path):
    layer = fw.Linear(2, 2)
    layer.scale = torch.tensor(3.5)
    fw.save(layer, tmp_path / "model.pkl")
    assert torch.equal(fw.load(tmp_path / "model.pkl").scale, torch.tensor(3.5))
