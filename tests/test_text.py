"""helpers.text: tokens, the training-split vocabulary, padded ids, and the text splits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import text
from helpers.text import OOV, OOV_ID, PAD, PAD_ID


def test_tokenize_lowercases_keeps_apostrophes_and_sentiment_punctuation():
    assert text.tokenize("Don't buy it!! Great case, though.") == [
        "don't", "buy", "it", "!", "!", "great", "case", "though"]
    assert text.tokenize("10/10 - the CAFÉ's best?") == ["10", "10", "the", "café's", "best", "?"]
    assert text.tokenize("...") == [] and text.tokenize("") == []
    assert text.tokenize("snake_case") == ["snake", "case"]  # underscores split like spaces
    with pytest.raises(TypeError, match="string"):
        text.tokenize(3)


TRAIN = ["the food was great", "the service was slow", "great food!", "the food"]


def test_vocabulary_reserves_padding_and_unknown_and_orders_by_frequency():
    vocab = text.build_vocabulary(TRAIN, min_count=2)
    # counts: the 3, food 3, was 2, great 2; ties in alphabetical order
    assert vocab.tokens == (PAD, OOV, "food", "the", "great", "was")
    assert (PAD_ID, OOV_ID) == (0, 1) and len(vocab) == 6
    assert vocab.counts == {"food": 3, "the": 3, "great": 2, "was": 2}
    assert "food" in vocab and "service" not in vocab and PAD not in vocab
    assert vocab.encode("The service was GREAT") == [3, OOV_ID, 5, 4]
    assert vocab.encode(["food", "<pad>", "<unk>"]) == [2, OOV_ID, OOV_ID]  # reserved strings are not tokens
    assert vocab.decode([3, 2, 1, 0, 0]) == ["the", "food", OOV]


def test_vocabulary_does_not_depend_on_text_order_and_respects_cutoffs():
    assert text.build_vocabulary(TRAIN[::-1]).tokens == text.build_vocabulary(TRAIN).tokens
    everything = text.build_vocabulary(TRAIN, min_count=1)
    assert {"service", "slow", "!"} <= set(everything.tokens) and len(everything) == 2 + 7
    capped = text.build_vocabulary(TRAIN, min_count=1, max_size=4)
    assert capped.tokens == (PAD, OOV, "food", "the")


def test_vocabulary_is_built_only_from_the_texts_given():
    vocab = text.build_vocabulary(["good good film", "bad bad film"], min_count=2)
    assert vocab.tokens == (PAD, OOV, "bad", "film", "good")
    assert vocab.encode("a good but terrible film") == [OOV_ID, 4, OOV_ID, OOV_ID, 3]
    assert text.oov_rate(["a good but terrible film"], vocab) == pytest.approx(3 / 5)


@pytest.mark.parametrize("kwargs, message", [({"min_count": 0}, "min_count"), ({"min_count": True}, "min_count"),
                                             ({"max_size": 1}, "max_size")])
def test_vocabulary_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        text.build_vocabulary(TRAIN, **kwargs)


def test_vocabulary_rejects_a_single_string_and_bad_ids():
    with pytest.raises(TypeError, match="list of texts"):
        text.build_vocabulary("the food was great")
    with pytest.raises(ValueError, match="outside"):
        text.build_vocabulary(TRAIN).decode([99])


def test_encode_texts_pads_at_the_end_truncates_and_returns_lengths():
    vocab = text.build_vocabulary(TRAIN, min_count=1)
    ids, lengths = text.encode_texts(["the food was great", "great!", "", "the food was great food"],
                                     vocab, max_len=4)
    assert ids.dtype == np.int64 and ids.shape == (4, 4) and lengths.dtype == np.int64
    assert lengths.tolist() == [4, 2, 0, 4]
    np.testing.assert_array_equal(ids[0], vocab.encode("the food was great"))
    np.testing.assert_array_equal(ids[1], [vocab.id("great"), vocab.id("!"), PAD_ID, PAD_ID])
    np.testing.assert_array_equal(ids[2], [PAD_ID] * 4)
    np.testing.assert_array_equal(ids[3], ids[0])  # the first max_len tokens are kept
    # every position before the length is a real token, every one after it is padding
    positions = np.arange(4)[None, :]
    assert np.all((ids != PAD_ID) == (positions < lengths[:, None]))


@pytest.mark.parametrize("max_len", [0, -3, 2.5, True])
def test_encode_texts_rejects_bad_lengths(max_len):
    with pytest.raises(ValueError, match="max_len"):
        text.encode_texts(TRAIN, text.build_vocabulary(TRAIN), max_len)


def test_oov_rate_needs_tokens():
    with pytest.raises(ValueError, match="no tokens"):
        text.oov_rate(["...", ""], text.build_vocabulary(TRAIN))


def _frame(per_stratum: int = 40) -> pd.DataFrame:
    rows = [{"text": f"{source} review number {i} label {label}", "label": label, "source": source}
            for source in ("amazon", "imdb", "yelp") for label in (0, 1) for i in range(per_stratum)]
    return pd.DataFrame(rows)


def test_sentiment_split_is_a_stratified_partition():
    frame = _frame()
    split = text.sentiment_split(frame)
    parts = [split.train, split.val, split.test]
    assert all(p.dtype == np.int64 and np.all(np.diff(p) > 0) for p in parts)  # sorted positions
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(len(frame)))  # disjoint, complete
    assert split.sizes() == {"train": 156, "val": 36, "test": 48}
    for part, per_stratum in [(split.train, 26), (split.val, 6), (split.test, 8)]:
        counts = frame.iloc[part].groupby(["source", "label"]).size()
        assert counts.tolist() == [per_stratum] * 6


def test_sentiment_split_is_seeded():
    frame = _frame()
    first, again, other = text.sentiment_split(frame), text.sentiment_split(frame), text.sentiment_split(frame, seed=1)
    assert np.array_equal(first.test, again.test) and np.array_equal(first.train, again.train)
    assert not np.array_equal(first.test, other.test)


def test_identical_sentences_stay_on_one_side():
    frame = _frame()
    # ten copies of one sentence (same tokens, different case and punctuation)
    frame.loc[frame.index[:10], "text"] = ["Great phone.", "great phone", "GREAT PHONE ."] * 3 + ["Great, phone"]
    groups = text.duplicate_groups(list(frame["text"]))
    assert len(set(groups[:10])) == 1 and len(set(groups)) == len(frame) - 9
    for seed in range(5):
        split = text.sentiment_split(frame, seed=seed)
        holders = [name for name, part in split.__dict__.items() if np.isin(np.arange(10), part).any()]
        assert len(holders) == 1, (seed, holders)


def test_leave_one_source_out_tests_on_the_whole_held_out_source():
    frame = _frame()
    frame.loc[0, "text"] = frame.loc[len(frame) - 1, "text"]  # an Amazon sentence also in Yelp
    split = text.leave_one_source_out(frame, "yelp")
    assert set(frame.iloc[split.test]["source"]) == {"yelp"} and len(split.test) == 80
    assert set(frame.iloc[np.concatenate([split.train, split.val])]["source"]) == {"amazon", "imdb"}
    assert 0 not in split.train and 0 not in split.val  # its copy is a test sentence
    assert len(split.train) + len(split.val) == 159 and len(split.val) == 24
    assert not set(split.train) & set(split.val)
    assert not set(frame.iloc[split.test]["text"]) & set(frame.iloc[split.train]["text"])


def test_split_errors_are_clear():
    frame = _frame()
    with pytest.raises(ValueError, match="held_out must be one of"):
        text.leave_one_source_out(frame, "netflix")
    with pytest.raises(ValueError, match="test_size"):
        text.sentiment_split(frame, test_size=1.5)
    with pytest.raises(ValueError, match="leave rows for training"):
        text.sentiment_split(frame, val_size=0.5, test_size=0.5)
    with pytest.raises(ValueError, match="lacks the columns"):
        text.sentiment_split(frame.drop(columns="source"))
    with pytest.raises(ValueError, match="cannot take a stratified"):
        text.three_way_split(["a", "b", "b", "b"], val_size=0.25, test_size=0.25)
    with pytest.raises(ValueError, match="one entry per row"):
        text.three_way_split(["a", "b"] * 10, groups=[0, 1])
