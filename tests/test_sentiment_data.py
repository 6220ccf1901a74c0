"""helpers.data.load_sentiment: the UCI Sentiment Labelled Sentences, downloaded or unpacked.

The download tests serve a miniature archive in the official layout from a local HTTP
server (the shared ``serve`` fixture in tests/conftest.py).
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from helpers import data
from helpers.data import DataUnavailableError, RemoteFile

FOLDER = "sentiment labelled sentences"
SENTENCES = {
    "amazon": [("Great for the jawbone.", 1), ("Very disappointed.", 0), ("Works great!", 1)],
    # IMDB lines end in two spaces before the tab, and one contains U+0085 (an ellipsis in
    # Windows-1252), which str.splitlines() would wrongly treat as a line break
    "imdb": [("A very, very slow-moving, aimless movie.  ", 0), ("The script is\x85was there a script?  ", 0),
             ("Definitely worth seeing.  ", 1)],
    "yelp": [("Wow... Loved this place.", 1), ("Crust is not good.", 0), ("The café was lovely.", 1)],
}


def _file_bytes(source: str, line_end: str = "\n") -> bytes:
    return "".join(f"{text}\t{label}{line_end}" for text, label in SENTENCES[source]).encode("utf-8")


def _write_folder(root: Path, line_end: str = "\n") -> Path:
    folder = root / FOLDER
    folder.mkdir(parents=True)
    for source, name in data.SENTIMENT_SOURCES.items():
        (folder / name).write_bytes(_file_bytes(source, line_end))
    return folder


def _official_style_zip(path: Path) -> Path:
    """A zip laid out like the UCI one: the folder, a readme, and macOS metadata."""
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr(f"{FOLDER}/", "")
        for source, name in data.SENTIMENT_SOURCES.items():
            bundle.writestr(f"{FOLDER}/{name}", _file_bytes(source))
            bundle.writestr(f"__MACOSX/{FOLDER}/._{name}", b"\x00\x05\x16\x07 mac resource fork")
        bundle.writestr(f"{FOLDER}/readme.txt", "This dataset was created for the paper ...")
        bundle.writestr(f"{FOLDER}/.DS_Store", b"\x00\x00\x00\x01Bud1")
    return path


def _serve_archive(tmp_path, monkeypatch, serve, content: bytes | None = None, digest: str | None = None):
    archive = tmp_path / "www" / "sentiment+labelled+sentences.zip"
    if content is None:
        _official_style_zip(archive)
    else:
        archive.write_bytes(content)
    digest = digest or hashlib.sha256(archive.read_bytes()).hexdigest()
    remote = RemoteFile("sentiment+labelled+sentences.zip", serve(archive.name), f"sha256:{digest}", "x")
    monkeypatch.setattr(data, "SENTIMENT_ARCHIVE", remote)
    return archive, remote


def test_official_archive_is_pinned():
    assert data.SENTIMENT_ARCHIVE.url == "https://archive.ics.uci.edu/static/public/331/sentiment+labelled+sentences.zip"
    assert data.SENTIMENT_ARCHIVE.known_hash == (
        "sha256:afc26626d710899948693e1a61405dce197f57ffa719fa1130d346b4cc095343")
    assert list(data.SENTIMENT_SOURCES) == ["amazon", "imdb", "yelp"]


def test_load_from_unpacked_folder_is_tidy(tmp_path):
    _write_folder(tmp_path)
    frame = data.load_sentiment(tmp_path)
    assert list(frame.columns) == ["text", "label", "source"]
    assert len(frame) == 9 and frame["label"].dtype == np.int64
    assert frame["source"].astype(str).tolist() == ["amazon"] * 3 + ["imdb"] * 3 + ["yelp"] * 3
    assert list(frame["source"].cat.categories) == ["amazon", "imdb", "yelp"]
    assert frame["label"].tolist() == [y for s in SENTENCES.values() for _, y in s]
    assert frame.loc[3, "text"] == "A very, very slow-moving, aimless movie."  # trailing spaces removed
    assert frame.loc[4, "text"] == "The script is…was there a script?"  # one line, C1 code mapped to "…"
    assert frame.loc[8, "text"] == "The café was lovely."


def test_windows_line_endings_and_cp1252_files_read_the_same(tmp_path):
    _write_folder(tmp_path / "crlf", line_end="\r\n")
    reference = data.load_sentiment(tmp_path / "crlf")
    folder = _write_folder(tmp_path / "cp1252")
    imdb = "".join(f"{t}\t{y}\n" for t, y in SENTENCES["imdb"]).replace("\x85", "…")
    (folder / data.SENTIMENT_SOURCES["imdb"]).write_bytes(imdb.encode("cp1252"))
    yelp = "".join(f"{t}\t{y}\n" for t, y in SENTENCES["yelp"])
    (folder / data.SENTIMENT_SOURCES["yelp"]).write_bytes(yelp.encode("cp1252"))
    assert data.load_sentiment(tmp_path / "cp1252").equals(reference)


def test_downloads_verifies_unpacks_and_caches(tmp_path, monkeypatch, serve):
    archive, _ = _serve_archive(tmp_path, monkeypatch, serve)
    cache = tmp_path / "cache"
    frame = data.load_sentiment(cache)
    assert len(frame) == 9
    assert sorted(p.name for p in cache.iterdir()) == [FOLDER, "sentiment+labelled+sentences.zip"]
    unpacked = sorted(p.name for p in (cache / FOLDER).iterdir())
    assert unpacked == sorted([*data.SENTIMENT_SOURCES.values(), "readme.txt"])  # no macOS metadata
    archive.unlink()  # the second call must not need the network
    assert data.load_sentiment(cache).equals(frame)


def test_unpacked_folder_is_used_without_checking_the_archive(tmp_path, monkeypatch):
    # the seeded offline copy's bytes are not the official zip's; the loader must not care
    monkeypatch.setattr(data, "SENTIMENT_ARCHIVE",
                        RemoteFile("x.zip", "http://127.0.0.1:9/x.zip", "sha256:" + "0" * 64, "x"))
    _write_folder(tmp_path)
    assert len(data.load_sentiment(tmp_path)) == 9


def test_partial_folder_is_replaced_by_the_archive(tmp_path, monkeypatch, serve):
    _serve_archive(tmp_path, monkeypatch, serve)
    cache = tmp_path / "cache"
    (cache / FOLDER).mkdir(parents=True)
    (cache / FOLDER / "imdb_labelled.txt").write_text("half a file")
    assert len(data.load_sentiment(cache)) == 9


def test_corrupted_download_is_rejected_and_nothing_is_left(tmp_path, monkeypatch, serve):
    _serve_archive(tmp_path, monkeypatch, serve, digest="0" * 64)
    cache = tmp_path / "cache"
    with pytest.raises(DataUnavailableError, match="checksum"):
        data.load_sentiment(cache)
    assert list(cache.iterdir()) == []


def test_missing_without_network_names_file_url_and_folder(tmp_path, monkeypatch):
    url = "http://127.0.0.1:9/sentiment+labelled+sentences.zip"  # port 9 refuses connections
    monkeypatch.setattr(data, "SENTIMENT_ARCHIVE",
                        RemoteFile("sentiment+labelled+sentences.zip", url, "sha256:" + "0" * 64, "x"))
    cache = tmp_path / "empty"
    with pytest.raises(DataUnavailableError) as info:
        data.load_sentiment(cache)
    message = str(info.value)
    assert "sentiment+labelled+sentences.zip" in message and url in message and str(cache) in message


def test_archive_that_is_not_a_zip_gives_clear_error(tmp_path, monkeypatch, serve):
    _serve_archive(tmp_path, monkeypatch, serve, content=b"<html>maintenance</html>")
    with pytest.raises(DataUnavailableError, match="Could not unpack.*re-download"):
        data.load_sentiment(tmp_path / "cache")


def test_zip_without_the_sentence_files_gives_clear_error(tmp_path, monkeypatch, serve):
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as bundle:
        bundle.writestr("something/else.txt", "hello")
    _serve_archive(tmp_path, monkeypatch, serve, content=other.read_bytes())
    with pytest.raises(DataUnavailableError, match="not the UCI sentiment archive"):
        data.load_sentiment(tmp_path / "cache")
    assert not (tmp_path / "cache" / FOLDER).exists()


@pytest.mark.parametrize("bad_line", ["no tab and no label", "A sentence.\t2", "\t1"])
def test_malformed_line_names_file_and_line(tmp_path, bad_line):
    folder = _write_folder(tmp_path)
    path = folder / data.SENTIMENT_SOURCES["yelp"]
    path.write_bytes(path.read_bytes() + f"{bad_line}\n".encode())
    with pytest.raises(DataUnavailableError, match=r"yelp_labelled.txt, line 4"):
        data.load_sentiment(tmp_path)


def test_empty_file_gives_clear_error(tmp_path):
    folder = _write_folder(tmp_path)
    (folder / data.SENTIMENT_SOURCES["amazon"]).write_bytes(b"\n")
    with pytest.raises(DataUnavailableError, match="holds no sentences"):
        data.load_sentiment(tmp_path)


def test_seeded_cache_if_present_has_the_real_sentences():
    """With the CI cache seeded, the real data: 3 x 1,000 sentences, 500 of each label."""
    if not os.environ.get(data.DATA_ENV):
        pytest.skip("DLBOOK_DATA not set: the real-data check runs in CI, where the cache is seeded")
    frame = data.load_sentiment()
    assert frame.shape == (3000, 3)
    counts = frame.groupby(["source", "label"], observed=True).size()
    assert counts.tolist() == [500] * 6
    assert frame["text"].str.len().min() > 0
    assert not frame["text"].str.contains("\t|\n").any()
