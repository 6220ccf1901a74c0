"""helpers.data: data directory, verified downloads, CIFAR-10 and Telco loaders."""

from __future__ import annotations

import hashlib
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest

from helpers import data
from helpers.data import DataUnavailableError, RemoteFile


def test_data_dir_honours_environment(tmp_path, monkeypatch):
    target = tmp_path / "nested" / "cache"
    monkeypatch.setenv(data.DATA_ENV, str(target))
    assert data.data_dir() == target
    assert target.is_dir()


def test_data_dir_default_is_a_user_cache(monkeypatch):
    monkeypatch.delenv(data.DATA_ENV, raising=False)
    assert "dlbook" in str(data.data_dir())


def test_data_dir_unwritable_gives_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(data.DATA_ENV, str(blocker / "sub"))
    with pytest.raises(DataUnavailableError, match="DLBOOK_DATA"):
        data.data_dir()


def _publish(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / "www" / name
    path.write_bytes(content)
    return path


def test_fetch_downloads_verifies_and_caches(tmp_path, serve):
    source = _publish(tmp_path, "source.txt", b"hello book\n")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    remote = RemoteFile("copy.txt", serve("source.txt"), f"sha256:{digest}", "test file")
    cache = tmp_path / "cache"
    path = data.fetch(remote, cache)
    assert path == cache / "copy.txt" and path.read_bytes() == b"hello book\n"
    source.unlink()  # a second call must use the cached copy, not the network
    assert data.fetch(remote, cache) == path


def test_fetch_rejects_a_corrupted_download_and_leaves_nothing(tmp_path, serve):
    _publish(tmp_path, "source.txt", b"tampered")
    remote = RemoteFile("copy.txt", serve("source.txt"), "sha256:" + "0" * 64, "test file")
    cache = tmp_path / "cache"
    with pytest.raises(DataUnavailableError, match="checksum"):
        data.fetch(remote, cache)
    assert not (cache / "copy.txt").exists()
    assert list(cache.iterdir()) == []  # no partial file left behind


def test_fetch_missing_file_names_file_url_and_folder(tmp_path, serve):
    remote = RemoteFile("absent.csv", serve("nowhere.csv"), "sha256:" + "0" * 64, "x")
    with pytest.raises(DataUnavailableError) as info:
        data.fetch(remote, tmp_path / "cache")
    message = str(info.value)
    assert "absent.csv" in message and "nowhere.csv" in message and str(tmp_path / "cache") in message


def test_balanced_subset_is_balanced_deterministic_and_shuffled():
    labels = np.repeat(np.arange(4), 50)
    first = data.balanced_subset_indices(labels, 10, seed=3)
    again = data.balanced_subset_indices(labels, 10, seed=3)
    other = data.balanced_subset_indices(labels, 10, seed=4)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    assert np.bincount(labels[first]).tolist() == [10, 10, 10, 10]
    assert len(set(first.tolist())) == 40
    assert not np.all(np.diff(labels[first]) >= 0)  # classes interleaved, not sorted


@pytest.mark.parametrize("per_class", [0, -1, 2.5, True])
def test_balanced_subset_rejects_bad_sizes(per_class):
    with pytest.raises(ValueError, match="per_class"):
        data.balanced_subset_indices(np.zeros(10, dtype=int), per_class)


def test_balanced_subset_rejects_too_many_and_bad_shapes():
    with pytest.raises(ValueError, match="only 3 examples"):
        data.balanced_subset_indices(np.array([0, 0, 0, 1, 1, 1, 1]), 4)
    with pytest.raises(ValueError, match="1-D"):
        data.balanced_subset_indices(np.zeros((3, 3), dtype=int), 1)


def _write_fake_cifar(folder: Path, per_batch: int = 20) -> None:
    """A miniature cifar-10-batches-py folder in the official pickle layout."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        labels = [i % 10 for i in range(per_batch)]
        pixels = rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8)
        pixels[:, 0] = labels  # red channel of pixel (0, 0) encodes the label
        with open(folder / name, "wb") as handle:
            pickle.dump({b"data": pixels, b"labels": labels}, handle)
    with open(folder / "batches.meta", "wb") as handle:
        pickle.dump({b"label_names": [c.encode() for c in data.CIFAR10_CLASSES]}, handle)


def test_load_cifar10_from_unpacked_folder(tmp_path):
    _write_fake_cifar(tmp_path / "cifar-10-batches-py")
    ds = data.load_cifar10(directory=tmp_path)
    assert ds.x_train.shape == (100, 32, 32, 3) and ds.x_train.dtype == np.uint8
    assert ds.x_test.shape == (20, 32, 32, 3)
    assert ds.y_train.dtype == np.int64 and ds.class_names[0] == "airplane"
    # channel-last conversion: the label sits in the red channel of the top-left pixel
    np.testing.assert_array_equal(ds.x_train[:, 0, 0, 0], ds.y_train)


def test_load_cifar10_balanced_subset(tmp_path):
    _write_fake_cifar(tmp_path / "cifar-10-batches-py")
    ds = data.load_cifar10(train_per_class=3, test_per_class=1, directory=tmp_path)
    assert np.bincount(ds.y_train).tolist() == [3] * 10
    assert np.bincount(ds.y_test).tolist() == [1] * 10
    np.testing.assert_array_equal(ds.x_train[:, 0, 0, 0], ds.y_train)


def test_load_cifar10_unpacks_a_downloaded_archive(tmp_path, monkeypatch, serve):
    staging = tmp_path / "staging"
    _write_fake_cifar(staging / "cifar-10-batches-py")
    archive = tmp_path / "www" / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(staging / "cifar-10-batches-py", arcname="cifar-10-batches-py")
    digest = hashlib.md5(archive.read_bytes()).hexdigest()
    monkeypatch.setattr(
        data, "CIFAR10_ARCHIVE", RemoteFile("cifar-10-python.tar.gz", serve(archive.name), f"md5:{digest}", "x")
    )
    cache = tmp_path / "cache"
    ds = data.load_cifar10(directory=cache)
    assert ds.x_train.shape == (100, 32, 32, 3)
    assert sorted(p.name for p in cache.iterdir()) == ["cifar-10-batches-py", "cifar-10-python.tar.gz"]


def test_load_cifar10_corrupted_batch_gives_clear_error(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    _write_fake_cifar(folder)
    (folder / "data_batch_3").write_bytes(b"not a pickle")
    with pytest.raises(DataUnavailableError, match="data_batch_3.*Delete the folder"):
        data.load_cifar10(directory=tmp_path)


def test_load_cifar10_missing_without_network_names_the_archive(tmp_path, monkeypatch):
    # port 9 on localhost ("discard") refuses connections: a download that cannot happen
    monkeypatch.setattr(
        data, "CIFAR10_ARCHIVE",
        RemoteFile("cifar-10-python.tar.gz", "http://127.0.0.1:9/cifar-10-python.tar.gz", "md5:" + "0" * 32, "x"),
    )
    with pytest.raises(DataUnavailableError, match="cifar-10-python.tar.gz"):
        data.load_cifar10(directory=tmp_path / "empty")


def _telco_csv(rows: int = 3) -> bytes:
    header = ",".join(data.TELCO_COLUMNS)
    line = (
        "7590-VHVEG,Female,0,Yes,No,1,No,No phone service,DSL,No,Yes,No,No,No,No,"
        "Month-to-month,Yes,Electronic check,29.85, ,No"
    )
    return ("\n".join([header] + [line] * rows) + "\n").encode()


def test_load_telco_keeps_raw_values(tmp_path, monkeypatch, serve):
    source = _publish(tmp_path, "telco.csv", _telco_csv())
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    remote = RemoteFile("Telco-Customer-Churn.csv", serve(source.name), f"sha256:{digest}", "x")
    monkeypatch.setattr(data, "TELCO_CSV", remote)
    frame = data.load_telco(tmp_path / "cache")
    assert list(frame.columns) == list(data.TELCO_COLUMNS)
    assert frame.loc[0, "TotalCharges"] == " "  # the blank stays visible for the chapter to handle
    assert frame["tenure"].dtype.kind == "i"


def test_load_telco_rejects_a_wrong_file(tmp_path, monkeypatch, serve):
    source = _publish(tmp_path, "other.csv", b"a,b\n1,2\n")
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    remote = RemoteFile("Telco-Customer-Churn.csv", serve(source.name), f"sha256:{digest}", "x")
    monkeypatch.setattr(data, "TELCO_CSV", remote)
    with pytest.raises(DataUnavailableError, match="lacks the columns"):
        data.load_telco(tmp_path / "cache")


def test_seeded_cache_if_present_has_the_real_data(monkeypatch):
    """With the CI cache seeded, the loaders find the real files and never download."""
    import os

    if not os.environ.get(data.DATA_ENV):
        pytest.skip("DLBOOK_DATA not set: the real-data check runs in CI, where the cache is seeded")
    telco = data.load_telco()
    assert telco.shape == (7043, 21)
    assert (telco["TotalCharges"].str.strip() == "").sum() == 11
    ds = data.load_cifar10(test_per_class=100)
    assert ds.x_train.shape == (50000, 32, 32, 3) and ds.x_test.shape == (1000, 32, 32, 3)
    assert np.bincount(ds.y_train).tolist() == [5000] * 10
