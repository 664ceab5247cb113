"""Price and time suggestions for a repair estimate, from the shop's own history.

Method
------
Every past repair becomes one sparse vector made of six TF-IDF blocks
(scikit-learn's `TfidfVectorizer`), each fitted on the whole history:

- problem words: word 1- and 2-grams of the problem text, filler words such as
  "customer says" or "not working" left out;
- problem letters: character 3- to 5-grams inside those words, so typos and
  abbreviations still overlap ("batery", "scrn");
- problem category: the one category of `problem_category` ("battery"), so two
  wordings of the same fault meet without a common word, and two faults that
  share a word ("cracked back", "cracked screen") stay apart;
- model letters: character 2- to 4-grams of the model with spaces, punctuation
  and a leading brand removed, so "iPhone 12", "iphone12" and "iPhne 12" match;
- exact model: that squashed model as one token, so the same model comes
  before a close one ("iPhone 12" before "iPhone 13");
- brand: character 2- and 3-grams of the brand.

Each block is L2-normalised and scaled by the square root of its share in
`WEIGHTS`, and the whole vector is normalised again, so the cosine of two
repairs is (roughly) the weighted mean of the six blocks' cosines. With an
iPhone 12 "cracked screen" as the query: "cracked scrn" on an "iphone12"
scores 0.89, "smashed screen" on an iPhone 12 0.86, the same text on an
"iPhne 12" 0.77, on an iPhone 13 0.72; a Galaxy S21 "cracked screen" 0.55 but
"display broken" 0.35; another fault on an iPhone 12 0.45 ("cracked back"
0.53), below `THRESHOLD` (0.55, chosen with bench/repair_suggestions.py).

The device type is a hard filter: the history is split by device type and a
query is compared only with its own type, so a laptop never matches a phone.
Within the type, one sparse product of the query with the (transposed) matrix
gives every cosine at once; the best `neighbours` above `THRESHOLD` are kept,
the most recent first among equal scores (prices drift up over time).

The price range is the similarity-weighted 25th, 50th and 75th percentile of
those repairs' prices, the repair time the same over the recorded bench times,
and the parts offered are those that at least half of them used. A ticket with
several faults ("cracked screen + battery drains fast") is looked up fault by
fault and the ranges are added up. With fewer than
`SuggestionIndex.MIN_SIMILAR` similar repairs (for any one fault) there is no
price; the caller falls back to the service price list.

Pure Python over plain data: no Django import, no network, nothing downloaded.
"""

import datetime
import re
import statistics
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import zip_longest

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from pos_project.money import CENT

WORD = r"(?u)\b\w+\b"  # a word for the problem text, one letter or digit and up
THRESHOLD = 0.55  # cosine below which a past repair is not "similar"
RECENCY_TIEBREAK = 1e-4  # among (nearly) equal scores, prefer recent repairs
QUARTILES = (0.25, 0.5, 0.75)  # the low, typical and high ends of a range
FAULT_SEPARATOR = re.compile(r"\s*(?:\+|&|;|\balso\b)\s*")
FILLER = frozenset(  # words that say nothing about the fault
    {
        *("a", "an", "and", "at", "but", "for", "in", "is", "it", "its", "me"),
        *("my", "of", "on", "or", "the", "to", "very", "with", "has", "have"),
        *("cant", "dont", "doesnt", "wont", "not", "working", "needs"),
        *("check", "cust", "customer", "cx", "please", "pls", "reports", "says"),
    }
)
WEIGHTS = {  # each block's share of the similarity
    "words": 0.10,
    "letters": 0.10,
    "category": 0.35,
    "model": 0.25,
    "exact": 0.15,
    "brand": 0.05,
}


@dataclass(frozen=True)
class PartUsed:
    product_id: int | None  # inventory product id (None in synthetic data)
    name: str
    quantity: int


@dataclass(frozen=True)
class PastRepair:
    ticket_id: int
    number: str  # e.g. "RP-000123"
    device_type: str  # phone, tablet, laptop, desktop, console, watch, other
    brand: str
    model: str
    problem: str  # free text as the front desk typed it
    price: Decimal  # what the repair was billed, tax included
    minutes: int | None  # bench time, None (or 0) when not recorded
    parts: tuple[PartUsed, ...] = ()
    finished: datetime.date | None = None


@dataclass(frozen=True)
class SimilarRepair:
    repair: PastRepair
    score: float  # cosine similarity 0..1


@dataclass(frozen=True)
class SuggestedPart:
    product_id: int | None
    name: str
    quantity: int  # typical (median) quantity
    share: float  # fraction of the similar repairs that used it (0..1)


@dataclass(frozen=True)
class Suggestion:
    enough_history: bool
    price_low: Decimal | None  # weighted 25th percentile of similar prices
    price_typical: Decimal | None  # weighted median
    price_high: Decimal | None  # weighted 75th percentile
    minutes_low: int | None
    minutes_typical: int | None
    minutes_high: int | None
    similar: tuple[SimilarRepair, ...]  # best first
    parts: tuple[SuggestedPart, ...]  # used by at least half, most common first
    reason: str  # one sentence for the technician


# Checked in order; a problem's category is the first that matches. Specific
# phrases come before the broad words they contain ("blue screen" is software,
# "black screen when opening camera" is camera, "back glass" is housing).
CATEGORY_RULES = (
    ("software", r"blue screen|stuck on (the )?(\w+ )?logo|boot ?loop"),
    ("water", r"water|liquid|wet\b|spill|toilet|rain\b|coffee|wine|juice|moisture"),
    ("battery", r"swollen|swelling|bulging"),
    ("overheating", r"overheat|over heat|\bhot\b|\bfans?\b|thermal|repaste|jet engine"),
    ("keyboard", r"keyboard|keybaord|keybord|\bkeys?\b|space ?bar|trackpad|touchpad"),
    ("camera", r"camera|\bcam\b|lens|focus"),
    (
        "audio",
        r"sound|speaker|\bmic\b|microphone|earpiece|audio|cant hear|crackl"
        r"|headphone jack",
    ),
    (
        "battery",
        r"\bbat+e?r+y|\bbatt\b|drains?\b|draining|holds? (a )?charge"
        r"|shuts? (off|down) at|\bdies\b",
    ),
    ("charging", r"charg|charing|chrg|lightning port|usb-?c port|dc jack|cable falls"),
    ("ports", r"hdmi|no signal|usb port|\bports?\b"),
    (
        "buttons",
        r"button|\bbtn|crown|drift|joy ?-?cons?\b|\bsticks?\b|not clicking|dont click",
    ),
    (
        "housing",
        r"back glass|rear glass|back cover|back panel|cracked back|housing|frame"
        r"|hinge|bezel|\blid\b|chassis",
    ),
    (
        "screen",
        r"screen|scrn|display|\blcd|oled|digiti[sz]er|touch|glass|crack|smash"
        r"|shatter|\blines?\b|pixel|flicker|backlight",
    ),
    (
        "storage",
        r"\bssd|\bhdd|hard ?drive|storage|\bdisk|\bdiscs?\b|disc drive|game card"
        r"|nvme|read(ing)? (discs?|games)",
    ),
    (
        "power",
        r"no power|wont (turn|switch|power) on|not turning on|turns? off|\bpsu"
        r"|power supply|\bdead\b|light of death",
    ),
    (
        "software",
        r"software|\blogo|boot|restart|passcode|password|reset|update|\bdata\b"
        r"|virus|malware|pop ?ups?|windows|reinstall|slow|freez|icloud|transfer",
    ),
)
CATEGORIES = (*dict.fromkeys(category for category, _ in CATEGORY_RULES), "other")
_RULES = tuple((category, re.compile(pattern)) for category, pattern in CATEGORY_RULES)


def problem_category(text: str) -> str:
    """A coarse category of a problem text by keywords; "other" when none matches.

    One of `CATEGORIES`: screen, housing (back glass, frame, hinge), battery,
    charging, water, camera, audio, buttons (including sticks and joy-con
    drift), keyboard, storage, ports, overheating, power, software, other.
    """
    cleaned = _clean(text)
    return next((c for c, rule in _RULES if rule.search(cleaned)), "other")


def _clean(text: str) -> str:
    """Lower case, apostrophes dropped ("won't" -> "wont"), spaces collapsed."""
    text = re.sub(r"['\u2019`]", "", (text or "").lower())
    return " ".join(text.split())


def _compact(text: str) -> str:
    """Letters and digits only, padded so the first and last n-grams count."""
    return " " + re.sub(r"[\W_]+", "", (text or "").lower()) + " "


def _model_key(brand: str, model: str) -> str:
    model = (model or "").strip()
    brand = (brand or "").strip()
    if brand and model.lower().startswith(brand.lower()):
        model = model[len(brand) :]
    return _compact(model)


def _device_type_key(device_type: str) -> str:
    return (device_type or "").strip().lower()


def _texts(brand: str, model: str, problem: str) -> dict[str, object]:
    """The input of each block for one repair or query."""
    words = " ".join(w for w in _clean(problem).split() if w not in FILLER)
    model_key = _model_key(brand, model)
    return {
        "words": words,
        "letters": words,
        "category": [problem_category(problem)],
        "model": model_key,
        "exact": [model_key.strip()] if model_key.strip() else [],
        "brand": _compact(brand),
    }


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _vectorizers() -> dict[str, TfidfVectorizer]:
    common = {"sublinear_tf": True, "dtype": np.float32}
    return {
        "words": TfidfVectorizer(ngram_range=(1, 2), token_pattern=WORD, **common),
        "letters": TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), **common),
        "category": TfidfVectorizer(analyzer=_identity, **common),
        "model": TfidfVectorizer(analyzer="char", ngram_range=(2, 4), **common),
        "exact": TfidfVectorizer(analyzer=_identity, **common),
        "brand": TfidfVectorizer(analyzer="char", ngram_range=(2, 3), **common),
    }


class _Encoder:
    """Turns repairs and queries into weighted, normalised TF-IDF rows."""

    def __init__(self) -> None:
        self._fitted: dict[str, tuple[TfidfVectorizer, np.float32]] = {}

    def fit_transform(self, rows: Sequence[dict[str, object]]) -> sparse.csr_matrix:
        blocks = []
        for name, vectorizer in _vectorizers().items():
            try:
                matrix = vectorizer.fit_transform([row[name] for row in rows])
            except ValueError:  # an empty vocabulary: nothing to compare on
                continue
            scale = np.float32(WEIGHTS[name] ** 0.5)
            self._fitted[name] = vectorizer, scale
            blocks.append(matrix * scale)
        return self._combine(blocks, len(rows))

    def transform(self, row: dict[str, object]) -> sparse.csr_matrix:
        blocks = [
            vectorizer.transform([row[name]]) * scale
            for name, (vectorizer, scale) in self._fitted.items()
        ]
        return self._combine(blocks, 1)

    @staticmethod
    def _combine(blocks: list, count: int) -> sparse.csr_matrix:
        if not blocks:
            return sparse.csr_matrix((count, 0), dtype=np.float32)
        return normalize(sparse.hstack(blocks, format="csr"))


@dataclass(frozen=True)
class _Group:
    """The past repairs of one device type, as columns of a feature-major matrix."""

    positions: np.ndarray  # indices into SuggestionIndex._repairs
    features: sparse.csr_matrix  # features x repairs, for one sparse product
    recency: np.ndarray  # 0 (oldest or undated) .. 1 (newest)


class SuggestionIndex:
    MIN_SIMILAR = 3  # fewer similar repairs than this: enough_history is False

    def __init__(
        self,
        repairs: list[PastRepair],
        encoder: _Encoder,
        groups: dict[str, _Group],
    ) -> None:
        self._repairs = repairs
        self._encoder = encoder
        self._groups = groups

    @classmethod
    def build(cls, repairs: Iterable[PastRepair]) -> "SuggestionIndex":
        repairs = list(repairs)
        encoder = _Encoder()
        if not repairs:
            return cls(repairs, encoder, {})
        rows = [_texts(r.brand, r.model, r.problem) for r in repairs]
        matrix = encoder.fit_transform(rows)
        recency = _recency(repairs)
        types = np.array([_device_type_key(r.device_type) for r in repairs])
        groups = {}
        for device_type in np.unique(types):
            positions = np.flatnonzero(types == device_type)
            groups[str(device_type)] = _Group(
                positions=positions,
                features=matrix[positions].T.tocsr(),
                recency=recency[positions],
            )
        return cls(repairs, encoder, groups)

    def __len__(self) -> int:
        return len(self._repairs)

    def suggest(
        self,
        *,
        device_type: str,
        brand: str,
        model: str,
        problem: str,
        neighbours: int = 8,
    ) -> Suggestion:
        faults = _faults(problem)
        found = [
            self._similar(device_type, brand, model, fault, neighbours)
            for fault in faults
        ]
        if not all(len(similar) >= self.MIN_SIMILAR for similar in found):
            return _not_enough(faults, found, neighbours, history=bool(self))
        return _suggestion(faults, found, neighbours)

    def _similar(self, device_type, brand, model, problem, neighbours):
        """The best past repairs of the device type above THRESHOLD, best first."""
        group = self._groups.get(_device_type_key(device_type))
        if group is None or neighbours < 1:
            return ()
        query = self._encoder.transform(_texts(brand, model, problem))
        scores = (query @ group.features).toarray().ravel()
        candidates = np.flatnonzero(scores >= THRESHOLD)
        rank = scores[candidates] + RECENCY_TIEBREAK * group.recency[candidates]
        if len(candidates) > neighbours:
            best = np.argpartition(-rank, neighbours - 1)[:neighbours]
            candidates, rank = candidates[best], rank[best]
        ordered = candidates[np.argsort(-rank, kind="stable")]
        return tuple(
            SimilarRepair(
                repair=self._repairs[group.positions[i]],
                score=min(1.0, float(scores[i])),
            )
            for i in ordered
        )


def _recency(repairs: list[PastRepair]) -> np.ndarray:
    days = np.array(
        [r.finished.toordinal() if r.finished else 0 for r in repairs], dtype=float
    )
    dated = days[days > 0]
    if not len(dated) or dated.max() == dated.min():
        return np.zeros(len(repairs))
    return np.clip((days - dated.min()) / (dated.max() - dated.min()), 0, 1)


def _faults(problem: str) -> list[str]:
    """The separate faults of a ticket such as "cracked screen + battery drains".

    Pieces split at "+", "&", ";" or "also" are separate faults when they fall in
    different categories; a piece without a category ("2nd time") stays with the
    fault before it. A single fault is the whole text, unchanged.
    """
    faults: dict[str, str] = {}
    last = None
    for piece in FAULT_SEPARATOR.split(problem or ""):
        category = problem_category(piece)
        if category != "other":
            last = category
        if last is not None:
            faults[last] = f"{faults.get(last, '')} {piece}".strip()
    return list(faults.values()) if len(faults) > 1 else [problem]


def _suggestion(
    faults: list[str], found: list[tuple[SimilarRepair, ...]], neighbours: int
) -> Suggestion:
    """Ranges from each fault's similar repairs, added up over the faults."""
    prices = [_price_range(similar) for similar in found]
    minutes = [_minutes_range(similar) for similar in found]
    low, typical, high = _added(prices)
    if None in minutes:
        minutes_low = minutes_typical = minutes_high = None
    else:
        minutes_low, minutes_typical, minutes_high = _added(minutes)
    parts = [part for similar in found for part in _common_parts(similar)]
    return Suggestion(
        enough_history=True,
        price_low=low,
        price_typical=typical,
        price_high=high,
        minutes_low=minutes_low,
        minutes_typical=minutes_typical,
        minutes_high=minutes_high,
        similar=_merged(found, neighbours),
        parts=tuple(sorted(parts, key=lambda part: -part.share)),
        reason=_reason(faults, found),
    )


def _added(ranges: list[tuple]) -> tuple:
    """(low, typical, high) ranges added up term by term."""
    return tuple(sum(column) for column in zip(*ranges, strict=True))


def _price_range(similar: tuple[SimilarRepair, ...]) -> tuple[Decimal, ...]:
    prices = [s.repair.price for s in similar]
    weights = [s.score for s in similar]
    return tuple(
        _quantile(prices, weights, q).quantize(CENT, ROUND_HALF_UP) for q in QUARTILES
    )


def _minutes_range(similar: tuple[SimilarRepair, ...]) -> tuple[int, ...] | None:
    """Quartiles of the recorded bench times; None when too few were recorded."""
    timed = [s for s in similar if s.repair.minutes]  # 0 counts as not recorded
    if len(timed) < SuggestionIndex.MIN_SIMILAR:
        return None
    minutes = [Decimal(s.repair.minutes) for s in timed]
    weights = [s.score for s in timed]
    return tuple(
        int(_quantile(minutes, weights, q).quantize(Decimal(1), ROUND_HALF_UP))
        for q in QUARTILES
    )


def _merged(
    found: list[tuple[SimilarRepair, ...]], neighbours: int
) -> tuple[SimilarRepair, ...]:
    """At most `neighbours` repairs, taken in turn from each fault's list."""
    merged: dict[int, SimilarRepair] = {}
    for row in zip_longest(*found):
        for similar in row:
            if similar is not None and len(merged) < neighbours:
                merged.setdefault(similar.repair.ticket_id, similar)
    return tuple(sorted(merged.values(), key=lambda s: -s.score))


def _not_enough(
    faults: list[str],
    found: list[tuple[SimilarRepair, ...]],
    neighbours: int,
    *,
    history: bool,
) -> Suggestion:
    if not history:
        reason = "No past repairs yet"
    else:
        count, fault = min((len(s), f) for s, f in zip(found, faults, strict=True))
        reason = _count(count)
        if len(faults) > 1:
            reason += f' for "{_short(fault)}"'
    return Suggestion(
        enough_history=False,
        price_low=None,
        price_typical=None,
        price_high=None,
        minutes_low=None,
        minutes_typical=None,
        minutes_high=None,
        similar=_merged(found, neighbours),
        parts=(),
        reason=f"{reason}; not enough history to suggest a price.",
    )


def _count(count: int) -> str:
    if count == 0:
        return "No similar past repairs"
    if count == 1:
        return "Only 1 similar past repair"
    return f"Only {count} similar past repairs"


def _reason(faults: list[str], found: list[tuple[SimilarRepair, ...]]) -> str:
    if len(faults) > 1:
        each = ", ".join(
            f'{len(similar)} for "{_short(fault)}"'
            for fault, similar in zip(faults, found, strict=True)
        )
        return f"Based on similar past repairs for each fault: {each}."
    similar = found[0]
    closest = similar[0].repair
    device = " ".join(p for p in (closest.brand.strip(), closest.model.strip()) if p)
    return (
        f"Based on {len(similar)} similar past repairs, the closest being "
        f'{closest.number} ({device}, "{_short(closest.problem)}").'
    )


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _quantile(values: list[Decimal], weights: list[float], q: float) -> Decimal:
    """Weighted quantile, interpolated between the midpoints of the weights."""
    pairs = sorted(zip(values, weights, strict=True), key=lambda pair: pair[0])
    total = sum(w for _, w in pairs)
    cumulative = 0.0
    midpoints = []
    for _, weight in pairs:
        midpoints.append((cumulative + weight / 2) / total)
        cumulative += weight
    if q <= midpoints[0]:
        return pairs[0][0]
    for i in range(1, len(pairs)):
        if q <= midpoints[i]:
            fraction = (q - midpoints[i - 1]) / (midpoints[i] - midpoints[i - 1])
            low, high = pairs[i - 1][0], pairs[i][0]
            return low + (high - low) * Decimal(str(round(fraction, 6)))
    return pairs[-1][0]


def _common_parts(similar: tuple[SimilarRepair, ...]) -> tuple[SuggestedPart, ...]:
    """Parts used by at least half the similar repairs, most common first."""
    used: dict[object, list[PartUsed]] = {}
    for s in similar:  # best first, so a part's first record names it
        quantities: dict[object, PartUsed] = {}
        for part in s.repair.parts:
            key = part.product_id
            if key is None:
                key = part.name.strip().lower()
            seen = quantities.get(key)
            quantity = part.quantity + (seen.quantity if seen else 0)
            quantities[key] = PartUsed(part.product_id, part.name, quantity)
        for key, part in quantities.items():
            used.setdefault(key, []).append(part)
    offered = [
        SuggestedPart(
            product_id=records[0].product_id,
            name=records[0].name,
            quantity=statistics.median_low(r.quantity for r in records),
            share=len(records) / len(similar),
        )
        for records in used.values()
        if 2 * len(records) >= len(similar)
    ]
    offered.sort(key=lambda part: (-part.share, part.name))
    return tuple(offered)


class IndexCache:
    """Process-wide cache: one built index per `version` key.

    Thread-safe: a lock is held while checking and building, so for a given
    version the index is built once even when several requests ask at the same
    time; a different version replaces it. Choose a version that changes when
    the history does (for instance the count and latest id of finished repairs).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: object = None
        self._index: SuggestionIndex | None = None

    def get(self, version, build: Callable[[], SuggestionIndex]) -> SuggestionIndex:
        with self._lock:
            if self._index is None or self._version != version:
                self._index = None  # a failed build leaves nothing stale behind
                self._index = build()
                self._version = version
            return self._index

    def clear(self) -> None:
        with self._lock:
            self._index = None
            self._version = None
