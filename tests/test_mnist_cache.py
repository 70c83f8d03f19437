"""The MNIST folder of the judge and the data sandbox: the kit's files, each also decompressed, cached once."""

import gzip
import hashlib
import shutil
import stat

import pytest
import torch

from autograder import mnist_cache
from reference.pairs import mnist
from reference.pairs.data import generate_pair_sets


@pytest.fixture(autouse=True)
def fresh_root():
    """``mnist_root`` looks again in each test, and after the test."""
    mnist_cache.mnist_root.cache_clear()
    yield
    mnist_cache.mnist_root.cache_clear()


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """An empty cache folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def modes(folder):
    """Permission bits of ``folder`` and of everything in it, by path relative to it."""
    return {str(path.relative_to(folder)): stat.S_IMODE(path.stat().st_mode) for path in [folder, *folder.rglob("*")]}


@pytest.mark.slow
def test_the_cache_holds_each_file_verified_beside_its_gz_readable_by_the_sandbox(cache_home):
    root = mnist_cache.mnist_root()
    assert root == cache_home / "dl-miniprojects" / "mnist"
    raw = root / "MNIST" / "raw"
    for names in mnist.FILES.values():
        for name in names:
            assert hashlib.md5((raw / name).read_bytes()).hexdigest() == mnist.MD5[name]
            assert gzip.decompress((raw / f"{name}.gz").read_bytes()) == (raw / name).read_bytes()
    assert sorted(path.name for path in raw.iterdir()) == sorted(
        name + suffix for names in mnist.FILES.values() for name in names for suffix in ("", ".gz")
    )  # no temporary file left
    assert {mode for path, mode in modes(root).items() if (root / path).is_dir()} == {0o755}
    assert {mode for path, mode in modes(root).items() if (root / path).is_file()} == {0o644}
    cached, kit = generate_pair_sets(20, seed=4, data_dir=root), generate_pair_sets(20, seed=4)
    assert all(map(torch.equal, cached, kit))


def test_a_filled_cache_is_read_again_without_a_write(cache_home):
    root = mnist_cache.mnist_root()
    written = {path: path.stat().st_mtime_ns for path in root.rglob("*")}
    mnist_cache.mnist_root.cache_clear()
    assert mnist_cache.mnist_root() == root
    assert {path: path.stat().st_mtime_ns for path in root.rglob("*")} == written


@pytest.mark.parametrize("damage", ["removed", "overwritten"])
def test_a_missing_or_damaged_file_is_written_again(damage, cache_home):
    cached = mnist_cache.mnist_root() / "MNIST" / "raw" / "t10k-labels-idx1-ubyte"
    if damage == "removed":
        cached.unlink()
    else:
        cached.write_bytes(b"not MNIST")
    mnist_cache.mnist_root.cache_clear()
    mnist_cache.mnist_root()
    assert hashlib.md5(cached.read_bytes()).hexdigest() == mnist.MD5["t10k-labels-idx1-ubyte"]


def no_home():
    raise RuntimeError("Could not determine home directory.")


@pytest.mark.parametrize("missing", ["a writable folder", "a home"])
def test_without_a_cache_the_kits_folder_is_read_with_a_warning(missing, tmp_path, monkeypatch):
    if missing == "a home":
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        monkeypatch.setattr(mnist_cache.Path, "home", no_home)
    else:
        blocker = tmp_path / "a file"
        blocker.write_text("not a folder")
        monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    with pytest.warns(UserWarning, match="MNIST cache could not be made"):
        assert mnist_cache.mnist_root() == mnist.resolve_data_dir()


def test_a_corrupt_kit_file_is_not_cached_and_the_kits_folder_is_read(cache_home, tmp_path, monkeypatch):
    kit = tmp_path / "kit"
    shutil.copytree(mnist.SHIPPED_DATA_DIR / "MNIST", kit / "MNIST", ignore=shutil.ignore_patterns("*-ubyte"))
    truncated = kit / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz"
    truncated.write_bytes(truncated.read_bytes()[:1000])
    monkeypatch.setenv(mnist.DATA_DIR_VARIABLE, str(kit))
    with pytest.warns(UserWarning, match=r"t10k-images-idx3-ubyte.gz is corrupt"):
        assert mnist_cache.mnist_root() == kit.resolve()
    assert not (cache_home / "dl-miniprojects" / "mnist" / "MNIST" / "raw" / "t10k-images-idx3-ubyte").exists()


@pytest.mark.slow
def test_torchvision_reads_the_cached_folder_without_a_download(cache_home):
    datasets = pytest.importorskip("torchvision.datasets")
    test = datasets.MNIST(mnist_cache.mnist_root(), train=False, download=False)
    assert test.data.shape == (10_000, 28, 28)
    assert torch.equal(test.targets[:50], mnist.load_mnist("test", mnist.resolve_data_dir())[1][:50])
