"""generate_pair_sets: the contract of EPFL's loader, offline files, and errors that say what to do."""

import gzip
import shutil

import pytest
import torch

from reference.pairs import data as pair_data
from reference.pairs import mnist
from reference.pairs.data import generate_pair_sets
from reference.pairs.mnist import DatasetError


@pytest.fixture(scope="module")
def pairs():
    return generate_pair_sets(1000, seed=0)


def test_shapes_dtypes_and_values(pairs):
    assert [tuple(t.shape) for t in pairs] == [(1000, 2, 14, 14), (1000,), (1000, 2)] * 2
    assert [t.dtype for t in pairs] == [torch.float32, torch.int64, torch.int64] * 2
    for images in (pairs.train_input, pairs.test_input):
        assert images.min() >= 0 and images.max() <= 255 and images.max() > 200


def test_target_is_first_digit_lower_or_equal(pairs):
    for target, classes in ((pairs.train_target, pairs.train_classes), (pairs.test_target, pairs.test_classes)):
        assert torch.equal(target, (classes[:, 0] <= classes[:, 1]).long())
        assert classes.min() >= 0 and classes.max() <= 9


def test_class_one_share_is_about_055(pairs):
    # P(a <= b) for two independent digits is 0.55 with uniform classes (45 + 10 of 100 ordered pairs).
    share = torch.cat([pairs.train_target, pairs.test_target]).float().mean().item()
    assert 0.50 < share < 0.60


def test_images_are_pooled_mnist_digits(pairs):
    """The first training pair with seed 0 is pooled MNIST: averages of 2x2 blocks of uint8 pixels."""
    assert torch.equal(pairs.train_input * 4, (pairs.train_input * 4).round())


def test_same_seed_same_pairs_other_seed_other_pairs(pairs):
    again = generate_pair_sets(1000, seed=0)
    other = generate_pair_sets(1000, seed=1)
    assert all(torch.equal(a, b) for a, b in zip(pairs, again, strict=True))
    assert not torch.equal(pairs.train_input, other.train_input)
    assert not torch.equal(generate_pair_sets(10).train_classes, generate_pair_sets(10).train_classes)


def test_distinct_pairs_have_different_digits():
    pairs = generate_pair_sets(1000, seed=0, distinct=True)
    for classes in (pairs.train_classes, pairs.test_classes):
        assert (classes[:, 0] != classes[:, 1]).all()
    assert len(pairs.train_input) == 1000


def indexed_split(size):
    """A fake split whose image i is filled with the value i, so pairs reveal their indices."""
    images = torch.arange(size, dtype=torch.float32).view(-1, 1, 1).expand(size, 14, 14).clone()
    return images, torch.arange(size) % 10


@pytest.mark.parametrize("distinct", [False, True])
def test_no_image_is_used_twice_within_a_split(distinct):
    images, labels = indexed_split(10_000)
    generator = torch.Generator().manual_seed(0)
    input, _, classes = pair_data.draw_pairs(images, labels, 4000, generator, distinct)
    indices = input[:, :, 0, 0].long().flatten()
    assert len(indices.unique()) == 8000
    assert torch.equal(classes, labels[input[:, :, 0, 0].long()])


@pytest.mark.parametrize(("n", "distinct"), [(0, False), (-3, False), (5001, False), (4001, True), (2.5, False)])
def test_rejects_n_outside_the_allowed_range(n, distinct):
    with pytest.raises(ValueError, match=r"between 1 and (5000|4000)"):
        generate_pair_sets(n, distinct=distinct)


def test_largest_n_is_supplied():
    pairs = generate_pair_sets(5000, seed=0)
    assert len(pairs.test_input) == 5000


@pytest.fixture
def mnist_copy(tmp_path):
    """A private copy of the shipped MNIST files, as a torchvision root."""
    raw = tmp_path / "MNIST" / "raw"
    shutil.copytree(mnist.SHIPPED_DATA_DIR / "MNIST" / "raw", raw, ignore=shutil.ignore_patterns("*-ubyte"))
    mnist.load_mnist.cache_clear()
    yield tmp_path
    mnist.load_mnist.cache_clear()


def test_reads_a_data_dir_and_the_environment_variable(mnist_copy, monkeypatch):
    assert torch.equal(generate_pair_sets(5, seed=3, data_dir=mnist_copy).train_input,
                       generate_pair_sets(5, seed=3).train_input)  # fmt: skip
    (mnist_copy / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").unlink()
    mnist.load_mnist.cache_clear()  # decoded tensors are cached per folder
    monkeypatch.setenv(mnist.DATA_DIR_VARIABLE, str(mnist_copy))
    with pytest.raises(DatasetError, match=r"t10k-labels-idx1-ubyte\.gz is missing"):
        generate_pair_sets(5, seed=3)


def test_reads_decompressed_files(mnist_copy):
    raw = mnist_copy / "MNIST" / "raw"
    for path in raw.glob("*.gz"):
        path.with_suffix("").write_bytes(gzip.decompress(path.read_bytes()))
        path.unlink()
    assert generate_pair_sets(5, seed=0, data_dir=mnist_copy).train_input.shape == (5, 2, 14, 14)


def test_a_decompressed_file_is_read_before_its_gz(mnist_copy):
    raw = mnist_copy / "MNIST" / "raw"
    kept = generate_pair_sets(5, seed=0, data_dir=mnist_copy)
    for path in raw.glob("*.gz"):
        path.with_suffix("").write_bytes(gzip.decompress(path.read_bytes()))
        path.write_bytes(b"not gzip")  # never opened: the decompressed file comes first
    mnist.load_mnist.cache_clear()
    assert all(map(torch.equal, generate_pair_sets(5, seed=0, data_dir=mnist_copy), kept))


def test_truncated_file_is_named_with_a_fix(mnist_copy):
    path = mnist_copy / "MNIST" / "raw" / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:100_000])
    with pytest.raises(DatasetError, match=r"train-images-idx3-ubyte.gz is corrupt or truncated.*git checkout"):
        generate_pair_sets(5, data_dir=mnist_copy)


def test_altered_content_fails_the_checksum(mnist_copy):
    path = mnist_copy / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(path.read_bytes()))
    content[100] = (content[100] + 1) % 10
    path.write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(DatasetError, match=r"t10k-labels-idx1-ubyte.gz is corrupt or truncated: the MD5"):
        generate_pair_sets(5, data_dir=mnist_copy)


def test_empty_data_dir_falls_back_to_torchvision(tmp_path, monkeypatch):
    calls = []

    class FakeMNIST:
        def __init__(self, root, train, download):
            calls.append((root, train, download))
            raise RuntimeError("no network")

    monkeypatch.setattr("torchvision.datasets.MNIST", FakeMNIST)
    with pytest.warns(UserWarning, match="downloading it with torchvision"), \
         pytest.raises(DatasetError, match=r"could not download MNIST.*Copy the four files"):  # fmt: skip
        generate_pair_sets(5, data_dir=tmp_path)
    assert calls == [(tmp_path.resolve(), True, True)]


def test_missing_shipped_files_say_how_to_restore(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "kit_data_dir", lambda: tmp_path)
    with pytest.raises(DatasetError, match=r"is missing\. Restore the kit's copy"):
        generate_pair_sets(5)


def test_a_copy_outside_the_kit_finds_the_kit_files_from_the_working_directory(tmp_path, monkeypatch):
    copy = tmp_path / "student" / "pairs"
    copy.mkdir(parents=True)
    monkeypatch.setattr(mnist, "__file__", str(copy / "mnist.py"))
    monkeypatch.chdir(mnist.SHIPPED_DATA_DIR.parent / "reference")
    assert mnist.kit_data_dir() == mnist.SHIPPED_DATA_DIR
