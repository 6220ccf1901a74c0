"""The book's data: one cache directory, verified downloads, and loaders.

Readers with internet get the official files, downloaded once with a progress bar,
checked against a published checksum and moved into place only when complete
(``pooch`` writes to a temporary file and renames it). Machines without internet
(the book's CI) put the same files into the directory beforehand; the loaders then
find them and never touch the network.

The directory is ``$DLBOOK_DATA`` when that environment variable is set, otherwise a
per-user cache (for example ``~/.cache/dlbook`` on Linux).
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pooch

DATA_ENV = "DLBOOK_DATA"


class DataUnavailableError(RuntimeError):
    """A data file is not in the data directory and could not be downloaded."""


@contextmanager
def _unpack_in_one_step(archive: Path, folder: str, unpacked: Path) -> Iterator[Path]:
    """Yield a hidden staging folder beside ``unpacked``; afterwards move ``folder`` into place.

    The move is one ``os.replace``, so a reader never finds half an unpacked folder (a partial
    earlier copy is replaced whole). A broken archive becomes a :class:`DataUnavailableError`
    that says what to do; the staging folder is removed in every case.
    """
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.replace(' ', '-')}-", dir=unpacked.parent))
    try:
        yield staging
        if unpacked.exists():
            shutil.rmtree(unpacked)
        os.replace(staging / folder, unpacked)
    except (tarfile.TarError, zipfile.BadZipFile, OSError) as error:
        raise DataUnavailableError(
            f"Could not unpack {archive}: {error}. Delete it and run again to re-download."
        ) from error
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@dataclass(frozen=True)
class RemoteFile:
    """A public file the book downloads: where from, its name on disk and its checksum."""

    name: str
    url: str
    known_hash: str
    description: str


CIFAR10_ARCHIVE = RemoteFile(
    name="cifar-10-python.tar.gz",
    url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
    known_hash="md5:c58f30108f718f92721af3b95e74349a",
    description="CIFAR-10, python version (Krizhevsky 2009), 163 MB",
)
TELCO_CSV = RemoteFile(
    name="Telco-Customer-Churn.csv",
    url=(
        "https://raw.githubusercontent.com/IBM/telco-customer-churn-on-icp4d/"
        "master/data/Telco-Customer-Churn.csv"
    ),
    known_hash="sha256:16320c9c1ec72448db59aa0a26a0b95401046bef5d02fd3aeb906448e3055e91",
    description="IBM Telco Customer Churn sample data, 7,043 customers, 1 MB",
)

SENTIMENT_ARCHIVE = RemoteFile(
    name="sentiment+labelled+sentences.zip",
    url="https://archive.ics.uci.edu/static/public/331/sentiment+labelled+sentences.zip",
    known_hash="sha256:afc26626d710899948693e1a61405dce197f57ffa719fa1130d346b4cc095343",
    description="UCI Sentiment Labelled Sentences (Kotzias et al. 2015), 3,000 sentences, 82 kB",
)

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)
_CIFAR10_DIR = "cifar-10-batches-py"
_CIFAR10_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch", "batches.meta")

TELCO_COLUMNS = (
    "customerID", "gender", "SeniorCitizen", "Partner", "Dependents", "tenure",
    "PhoneService", "MultipleLines", "InternetService", "OnlineSecurity", "OnlineBackup",
    "DeviceProtection", "TechSupport", "StreamingTV", "StreamingMovies", "Contract",
    "PaperlessBilling", "PaymentMethod", "MonthlyCharges", "TotalCharges", "Churn",
)


#: The three sources of the UCI sentences and the file each one is stored in.
SENTIMENT_SOURCES = {
    "amazon": "amazon_cells_labelled.txt",
    "imdb": "imdb_labelled.txt",
    "yelp": "yelp_labelled.txt",
}
_SENTIMENT_DIR = "sentiment labelled sentences"


def data_dir() -> Path:
    """Return the book's data directory, creating it if needed (Setup page, "Data")."""
    configured = os.environ.get(DATA_ENV, "").strip()
    path = Path(configured).expanduser() if configured else Path(pooch.os_cache("dlbook"))
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataUnavailableError(
            f"Cannot create the data directory {path} ({error.strerror}). "
            f"Set the environment variable {DATA_ENV} to a writable folder."
        ) from error
    return path


def fetch(remote: RemoteFile, directory: str | os.PathLike[str] | None = None) -> Path:
    """Return the local path of ``remote``, downloading and verifying it if it is missing.

    The download shows a progress bar, is checked against ``remote.known_hash`` and only
    then renamed into place, so an interrupted download never leaves a half file behind.
    """
    target = Path(directory) if directory is not None else data_dir()
    target.mkdir(parents=True, exist_ok=True)
    try:
        path = pooch.retrieve(
            url=remote.url,
            known_hash=remote.known_hash,
            fname=remote.name,
            path=target,
            progressbar=True,
        )
    except ValueError as error:
        if "hash" not in str(error).lower():  # not a checksum mismatch: an unusable URL
            raise DataUnavailableError(
                f"Cannot download {remote.name} from {remote.url}: {error}"
            ) from error
        raise DataUnavailableError(
            f"{remote.name} downloaded from {remote.url} does not match its published "
            f"checksum ({remote.known_hash}); the file was discarded. Try again later, or "
            f"download it by hand and put it in {target}."
        ) from error
    except Exception as error:  # network failures come as many different exception types
        raise DataUnavailableError(
            f"{remote.name} ({remote.description}) is not in the data directory {target} "
            f"and could not be downloaded from {remote.url}: {type(error).__name__}: {error}. "
            f"Download it on a machine with internet and copy it into {target}, or set "
            f"{DATA_ENV} to a folder that already has it."
        ) from error
    return Path(path)


@dataclass(frozen=True)
class ImageDataset:
    """Images as ``uint8`` arrays of shape (N, height, width, channels), labels as ``int64``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]


def balanced_subset_indices(labels: np.ndarray, per_class: int, seed: int = 0) -> np.ndarray:
    """Pick ``per_class`` examples of every class, the same ones for the same seed.

    Returns indices into ``labels`` in shuffled order, so a subset can be fed to a
    model directly.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be a 1-D array of class ids, got shape {labels.shape}")
    if isinstance(per_class, bool) or not isinstance(per_class, (int, np.integer)) or per_class < 1:
        raise ValueError(f"per_class must be a positive integer, got {per_class!r}")
    rng = np.random.default_rng(seed)
    chosen = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        if len(members) < per_class:
            raise ValueError(
                f"class {cls} has only {len(members)} examples; per_class={per_class} is too many"
            )
        chosen.append(rng.permutation(members)[:per_class])
    return rng.permutation(np.concatenate(chosen))


def cifar10_dir(directory: str | os.PathLike[str] | None = None) -> Path:
    """Return the unpacked ``cifar-10-batches-py`` folder, downloading the archive if needed.

    Files found already unpacked are used as they are (their checksums are not the
    archive's); a downloaded archive is verified before it is unpacked.
    """
    root = Path(directory) if directory is not None else data_dir()
    unpacked = root / _CIFAR10_DIR
    if all((unpacked / name).is_file() for name in _CIFAR10_FILES):
        return unpacked
    archive = fetch(CIFAR10_ARCHIVE, root)
    with _unpack_in_one_step(archive, _CIFAR10_DIR, unpacked) as staging, tarfile.open(archive) as tar:
        tar.extractall(staging, filter="data")
    return unpacked


def _read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with open(path, "rb") as handle:
            batch = pickle.load(handle, encoding="bytes")
        data = np.asarray(batch[b"data"], dtype=np.uint8)
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
        images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # rows are R, G, B planes
    except (OSError, pickle.UnpicklingError, KeyError, ValueError, EOFError) as error:
        raise DataUnavailableError(
            f"{path} is not a readable CIFAR-10 batch ({type(error).__name__}: {error}). "
            f"Delete the folder {path.parent} and run again to unpack a fresh copy."
        ) from error
    if len(images) != len(labels):
        raise DataUnavailableError(f"{path} has {len(images)} images but {len(labels)} labels")
    return np.ascontiguousarray(images), labels


def load_cifar10(
    train_per_class: int | None = None,
    test_per_class: int | None = None,
    seed: int = 0,
    directory: str | os.PathLike[str] | None = None,
) -> ImageDataset:
    """Load CIFAR-10 as uint8 arrays (CNN chapter, "The data").

    ``train_per_class`` / ``test_per_class`` take a deterministic, class-balanced subset
    (for example 500 training images of each of the 10 classes); ``None`` keeps all
    50,000 training and 10,000 test images.
    """
    folder = cifar10_dir(directory)
    parts = [_read_cifar_batch(folder / f"data_batch_{i}") for i in range(1, 6)]
    x_train = np.concatenate([images for images, _ in parts])
    y_train = np.concatenate([labels for _, labels in parts])
    x_test, y_test = _read_cifar_batch(folder / "test_batch")
    if train_per_class is not None:
        keep = balanced_subset_indices(y_train, train_per_class, seed)
        x_train, y_train = x_train[keep], y_train[keep]
    if test_per_class is not None:
        keep = balanced_subset_indices(y_test, test_per_class, seed)
        x_test, y_test = x_test[keep], y_test[keep]
    return ImageDataset(x_train, y_train, x_test, y_test, CIFAR10_CLASSES)


def load_telco(directory: str | os.PathLike[str] | None = None):
    """Load the IBM Telco churn CSV as a pandas DataFrame, exactly as the file has it.

    Nothing is cleaned: ``TotalCharges`` stays text because 11 rows hold a blank
    there (the churn chapter deals with them explicitly).
    """
    import pandas as pd

    path = fetch(TELCO_CSV, directory)
    frame = pd.read_csv(path, dtype={"TotalCharges": str}, keep_default_na=False)
    missing = [column for column in TELCO_COLUMNS if column not in frame.columns]
    if missing:
        raise DataUnavailableError(
            f"{path} lacks the columns {missing}; it is not the Telco churn file. "
            "Delete it and run again to download a fresh copy."
        )
    return frame


def sentiment_dir(directory: str | os.PathLike[str] | None = None) -> Path:
    """Return the unpacked ``sentiment labelled sentences`` folder, downloading it if needed.

    A folder found already unpacked with the three sentence files is used as it is (its
    files' bytes need not be the archive's); a downloaded zip is verified against its
    published SHA-256 before it is unpacked, and only the sentence files and the readme
    are taken from it (the official zip also carries macOS ``__MACOSX`` metadata).
    """
    root = Path(directory) if directory is not None else data_dir()
    unpacked = root / _SENTIMENT_DIR
    if all((unpacked / name).is_file() for name in SENTIMENT_SOURCES.values()):
        return unpacked
    archive = fetch(SENTIMENT_ARCHIVE, root)
    wanted = {f"{_SENTIMENT_DIR}/{name}" for name in (*SENTIMENT_SOURCES.values(), "readme.txt")}
    with _unpack_in_one_step(archive, _SENTIMENT_DIR, unpacked) as staging, zipfile.ZipFile(archive) as bundle:
        members = [m for m in bundle.namelist() if m in wanted]
        missing = sorted(f"{_SENTIMENT_DIR}/{n}" for n in SENTIMENT_SOURCES.values()
                         if f"{_SENTIMENT_DIR}/{n}" not in members)
        if missing:
            raise DataUnavailableError(
                f"{archive} does not contain {missing}; it is not the UCI sentiment archive. "
                "Delete it and run again to re-download."
            )
        bundle.extractall(staging, members=members)
    return unpacked


_C1_AS_CP1252 = re.compile("[\u0080-\u009f]")


def _cp1252_character(match: re.Match[str]) -> str:
    try:
        return bytes([ord(match.group())]).decode("cp1252")
    except UnicodeDecodeError:  # five C1 codes have no Windows-1252 meaning: keep them
        return match.group()


def _read_sentences(path: Path) -> list[tuple[str, int]]:
    """Parse one ``sentence<TAB>label`` file; a line is split at its *last* tab."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:  # some copies of the files are Windows-1252, not UTF-8
        text = raw.decode("latin-1")
    # C1 control characters (U+0080-U+009F) in these files are Windows-1252 punctuation
    # read as Latin-1 (U+0085 is the ellipsis "…", U+0096 the dash "–"): map them back, so
    # that every copy of the data gives the same text
    text = _C1_AS_CP1252.sub(_cp1252_character, text)
    rows = []
    # split on newlines only: str.splitlines() would also break at U+0085 and U+2028,
    # characters that occur *inside* a few IMDB sentences
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip():
            continue
        sentence, tab, label = line.rpartition("\t")
        if not tab or label.strip() not in ("0", "1") or not sentence.strip():
            raise DataUnavailableError(
                f"{path}, line {number}, is not 'sentence<TAB>0 or 1': {line[:80]!r}. Delete the "
                f"folder {path.parent} and run again to unpack a fresh copy."
            )
        rows.append((sentence.strip(), int(label)))
    if not rows:
        raise DataUnavailableError(f"{path} holds no sentences. Delete the folder {path.parent} "
                                   "and run again to unpack a fresh copy.")
    return rows


def load_sentiment(directory: str | os.PathLike[str] | None = None):
    """Load the UCI Sentiment Labelled Sentences as a tidy DataFrame (Recurrent chapter, "Text").

    One row per sentence, in file order (Amazon, then IMDB, then Yelp), with columns
    ``text`` (the sentence, surrounding whitespace removed), ``label`` (1 = positive,
    0 = negative, ``int64``) and ``source`` (a categorical with the values of
    :data:`SENTIMENT_SOURCES`: ``"amazon"``, ``"imdb"``, ``"yelp"``). The official data
    have 1,000 sentences per source, 500 of each label (Kotzias et al., KDD 2015).
    """
    import pandas as pd

    folder = sentiment_dir(directory)
    frames = []
    for source, name in SENTIMENT_SOURCES.items():
        rows = _read_sentences(folder / name)
        frames.append(pd.DataFrame({"text": [t for t, _ in rows],
                                    "label": np.array([y for _, y in rows], dtype=np.int64),
                                    "source": source}))
    frame = pd.concat(frames, ignore_index=True)
    frame["source"] = pd.Categorical(frame["source"], categories=list(SENTIMENT_SOURCES))
    return frame
