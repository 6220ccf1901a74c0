"""Text as numbers: tokens, a vocabulary, padded id arrays, and the book's fixed text splits.

Recurrent chapter, "Sequences of words". The pipeline a text model needs, in the order the
chapter builds it:

1. :func:`tokenize` cuts a sentence into lower-case word tokens (plus ``!`` and ``?``,
   which carry sentiment).
2. :func:`build_vocabulary` numbers the tokens seen in the **training split only**:
   id 0 is padding, id 1 stands for every out-of-vocabulary token, and tokens seen fewer
   than ``min_count`` times are left out (they would get embeddings trained on one or two
   examples).
3. :func:`encode_texts` turns sentences into an ``(n, max_len)`` array of ids, padded with
   0 at the end (or cut) to ``max_len``, and returns each sentence's true length, which
   masking and ``pack_padded_sequence`` need.
4. :func:`sentiment_split` and :func:`leave_one_source_out` are the book's fixed splits of
   the UCI sentences (:func:`helpers.data.load_sentiment`): stratified, seeded, and with
   identical sentences always kept on the same side.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "OOV",
    "OOV_ID",
    "PAD",
    "PAD_ID",
    "Split",
    "Vocabulary",
    "build_vocabulary",
    "duplicate_groups",
    "encode_texts",
    "leave_one_source_out",
    "oov_rate",
    "sentiment_split",
    "three_way_split",
    "tokenize",
]

PAD, OOV = "<pad>", "<unk>"
PAD_ID, OOV_ID = 0, 1

# a word: letters/digits, possibly joined by apostrophes ("don't", "90's"); or ! and ?
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[!?]")


def tokenize(text: str) -> list[str]:
    """Split ``text`` into lower-case tokens: words (with inner apostrophes) and ``!``/``?``.

    >>> tokenize("Don't buy it!! Great case, though.")
    ["don't", 'buy', 'it', '!', '!', 'great', 'case', 'though']
    """
    if not isinstance(text, str):
        raise TypeError(f"tokenize expects a string, got {type(text).__name__}: {text!r}")
    return _TOKEN.findall(text.lower())


@dataclass(frozen=True)
class Vocabulary:
    """Token <-> id tables. ``tokens[i]`` is the token with id ``i``.

    Ids 0 and 1 are reserved: :data:`PAD` (padding, never a real token) and :data:`OOV`
    (every token not in the table). ``counts`` holds how often each kept token occurred
    in the texts the vocabulary was built from.
    """

    tokens: tuple[str, ...]
    counts: dict[str, int]
    min_count: int
    tokenizer: Callable[[str], list[str]] = field(default=tokenize, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.tokens[:2] != (PAD, OOV):
            raise ValueError(f"a Vocabulary starts with {PAD!r}, {OOV!r}; got {self.tokens[:2]}")
        object.__setattr__(self, "_ids", {token: i for i, token in enumerate(self.tokens)})

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._ids and token not in (PAD, OOV)

    def id(self, token: str) -> int:
        """The id of ``token``; :data:`OOV_ID` for tokens not in the vocabulary."""
        return self._ids.get(token, OOV_ID) if token != PAD else OOV_ID

    def encode(self, text: str | Sequence[str]) -> list[int]:
        """Ids of a sentence (a string is tokenized first; a list is taken as tokens)."""
        tokens = self.tokenizer(text) if isinstance(text, str) else list(text)
        return [self.id(token) for token in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Tokens of an id sequence, padding dropped (out-of-vocabulary ids read ``<unk>``)."""
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self.tokens):
                raise ValueError(f"id {i} is outside this vocabulary of {len(self.tokens)} ids")
            if i != PAD_ID:
                out.append(self.tokens[i])
        return out


def build_vocabulary(texts: Iterable[str], min_count: int = 2, max_size: int | None = None,
                     tokenizer: Callable[[str], list[str]] = tokenize) -> Vocabulary:
    """Number the tokens of ``texts`` (pass the **training** texts only).

    Tokens occurring at least ``min_count`` times get ids 2, 3, ... from the most to the
    least frequent (ties in alphabetical order, so the ids never depend on the order of
    ``texts``). ``max_size`` caps the total number of ids, the two reserved ones included.
    """
    if isinstance(texts, str):
        raise TypeError("build_vocabulary expects a list of texts, not one string")
    if isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise ValueError(f"min_count must be a positive integer, got {min_count!r}")
    if max_size is not None and (not isinstance(max_size, (int, np.integer)) or max_size < 2):
        raise ValueError(f"max_size must be at least 2 (the padding and unknown ids), got {max_size!r}")
    counts = Counter(token for text in texts for token in tokenizer(text))
    counts.pop(PAD, None)
    counts.pop(OOV, None)
    kept = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
    if max_size is not None:
        kept = kept[: max_size - 2]
    return Vocabulary((PAD, OOV, *kept), {t: counts[t] for t in kept}, int(min_count), tokenizer)


def encode_texts(texts: Iterable[str], vocab: Vocabulary, max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Encode sentences as an ``(n, max_len)`` ``int64`` array of ids and their true lengths.

    Each row holds a sentence's ids followed by :data:`PAD_ID` (0) up to ``max_len``
    ("post" padding, what ``mask_zero`` and ``pack_padded_sequence`` expect); longer
    sentences keep their first ``max_len`` tokens. ``lengths[i]`` is the number of real
    tokens in row ``i`` (0 only for a sentence without any token).
    """
    if isinstance(texts, str):
        raise TypeError("encode_texts expects a list of texts, not one string")
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 1:
        raise ValueError(f"max_len must be a positive integer, got {max_len!r}")
    encoded = [vocab.encode(text)[:max_len] for text in texts]
    ids = np.full((len(encoded), int(max_len)), PAD_ID, dtype=np.int64)
    lengths = np.zeros(len(encoded), dtype=np.int64)
    for row, sequence in enumerate(encoded):
        ids[row, : len(sequence)] = sequence
        lengths[row] = len(sequence)
    return ids, lengths


def oov_rate(texts: Iterable[str], vocab: Vocabulary) -> float:
    """Share of the tokens of ``texts`` that ``vocab`` maps to the out-of-vocabulary id."""
    ids = [i for text in texts for i in vocab.encode(text)]
    if not ids:
        raise ValueError("the texts contain no tokens")
    return float(np.mean(np.asarray(ids) == OOV_ID))


@dataclass(frozen=True)
class Split:
    """Row positions (sorted ``int64`` arrays, for ``frame.iloc``) of the three parts."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}


def duplicate_groups(texts: Sequence[str], tokenizer: Callable[[str], list[str]] = tokenize) -> np.ndarray:
    """One group id per text; texts with the same token sequence share it.

    Two such texts are the same input to every model in the chapter, so a split must
    keep them together (otherwise the test set contains copies of training examples).
    """
    keys = [" ".join(tokenizer(text)) for text in texts]
    _, inverse = np.unique(np.asarray(keys, dtype=object), return_inverse=True)
    return inverse.astype(np.int64)


def _check_fraction(value: float, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0 < value < 1:
        raise ValueError(f"{name} must be a fraction strictly between 0 and 1, got {value!r}")


def _split_groups(group_ids: np.ndarray, group_strata: np.ndarray, fraction: float,
                  seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split of group ids into (the rest, a ``fraction`` of them)."""
    from sklearn.model_selection import train_test_split

    try:
        rest, part = train_test_split(group_ids, test_size=fraction, stratify=group_strata, random_state=seed)
    except ValueError as error:
        raise ValueError(f"cannot take a stratified {fraction:.0%} of {group_ids.size} groups "
                         f"({np.unique(group_strata).size} strata): {error}") from error
    return rest, part


def three_way_split(strata: Sequence, val_size: float = 0.15, test_size: float = 0.2, seed: int = 0,
                    groups: Sequence | None = None) -> Split:
    """Stratified, seeded train / validation / test split of ``len(strata)`` rows.

    ``val_size`` and ``test_size`` are fractions of all rows. Each part keeps the share of
    every stratum (for example source x label). With ``groups``, rows of one group always
    land in the same part (the group's stratum is that of its first row).
    """
    _check_fraction(val_size, "val_size")
    _check_fraction(test_size, "test_size")
    if val_size + test_size >= 1:
        raise ValueError(f"val_size + test_size must leave rows for training, got {val_size} + {test_size}")
    strata = np.asarray(strata).astype(str)
    if strata.ndim != 1 or strata.size == 0:
        raise ValueError(f"strata must be one label per row, got shape {strata.shape}")
    groups_arr = np.arange(strata.size) if groups is None else np.asarray(groups)
    if groups_arr.shape != strata.shape:
        raise ValueError(f"groups must have one entry per row ({groups_arr.shape} vs {strata.shape})")
    _, first, inverse = np.unique(groups_arr, return_index=True, return_inverse=True)
    group_ids, group_strata = np.arange(first.size), strata[first]
    rest, test = _split_groups(group_ids, group_strata, test_size, seed)
    train, val = _split_groups(rest, group_strata[rest], val_size / (1 - test_size), seed)

    def rows(part: np.ndarray) -> np.ndarray:
        return np.flatnonzero(np.isin(inverse, part)).astype(np.int64)

    return Split(rows(train), rows(val), rows(test))


def _strata(frame) -> np.ndarray:
    missing = [c for c in ("text", "label", "source") if c not in frame.columns]
    if missing:
        raise ValueError(f"the frame lacks the columns {missing}: pass helpers.data.load_sentiment()")
    return (frame["source"].astype(str) + "/" + frame["label"].astype(str)).to_numpy()


def sentiment_split(frame, val_size: float = 0.15, test_size: float = 0.2, seed: int = 0) -> Split:
    """The book's fixed split of the UCI sentences: 65 % / 15 % / 20 % by default.

    Stratified by source x label (each part has the same mix of Amazon, IMDB and Yelp,
    positive and negative), seeded, and with identical sentences (same tokens) kept in
    one part.
    """
    return three_way_split(_strata(frame), val_size, test_size, seed, groups=duplicate_groups(list(frame["text"])))


def leave_one_source_out(frame, held_out: str, val_size: float = 0.15, seed: int = 0) -> Split:
    """"Train on two sources, test on the third": all of ``held_out``'s rows are the test set.

    The other two sources are split into training and validation (``val_size`` of their
    rows), stratified by source x label, identical sentences kept together. Sentences that
    also occur in the held-out source are left out of training and validation, so every
    test sentence is unseen.
    """
    _check_fraction(val_size, "val_size")
    strata = _strata(frame)
    sources = frame["source"].astype(str).to_numpy()
    if held_out not in set(sources):
        raise ValueError(f"held_out must be one of the sources {sorted(set(sources))}, got {held_out!r}")
    groups = duplicate_groups(list(frame["text"]))
    test = np.flatnonzero(sources == held_out).astype(np.int64)
    others = np.flatnonzero((sources != held_out) & ~np.isin(groups, groups[test]))
    _, first, inverse = np.unique(groups[others], return_index=True, return_inverse=True)
    train_g, val_g = _split_groups(np.arange(first.size), strata[others][first], val_size, seed)
    train = others[np.isin(inverse, train_g)].astype(np.int64)
    val = others[np.isin(inverse, val_g)].astype(np.int64)
    return Split(train, val, test)
