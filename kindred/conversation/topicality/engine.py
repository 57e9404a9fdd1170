"""Topicality: is a message about the circle's trade (on_topic), chit-chat (chatter, 水) or about another
business altogether (off_industry, 杂)? Pure Python + numpy/scipy, no Django.

The model learns the circle's own trade, not a fixed one (`build`):

- on_topic examples: the members' cards (offers, needs, tags, industries), the circle's taxonomy (names
  and synonyms of its industries), a few trade-agnostic business phrasings filled with those terms
  ("有没有做{term}的朋友？", seed.ON_TOPIC_TEMPLATES), and the circle's own on-topic messages;
- chatter and off_industry examples: small hand-written generic corpora shipped with the package
  (seed.CHATTER, seed.OFF_INDUSTRY): greetings, thanks, laughter, weather; stock tips, 微商 ads, health
  products, real estate, politics. An off-industry example that uses the circle's own vocabulary is left
  out (a property circle talks about flats: that is its trade).

Features: character 1–3-grams of the normalized text, TF-IDF (sublinear tf, l2), plus a few dense cues
that mean the same thing in every circle: length, emoji, laughter, greetings and thanks, phone numbers and
links (ads), and whether the text names a term of the circle's vocabulary. A multinomial logistic
regression with an L2 penalty is fitted by L-BFGS (scipy.optimize), classes weighted to balance them.

Why not scikit-learn: the whole model is ~100 lines of numpy here (a vectorizer and a softmax regression),
it pickles small into the cache, and a dependency of ~40 MB for it is not worth it.

Nothing is downloaded: everything the model sees is the circle's data and this package.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import minimize

from . import seed

ON_TOPIC = "on_topic"
CHATTER = "chatter"
OFF_INDUSTRY = "off_industry"
LABELS: tuple[str, ...] = (ON_TOPIC, CHATTER, OFF_INDUSTRY)

# What members write; every other kind (red envelopes, welcomes, joins, meetups, deals) is an event of the
# apps and is never judged.
JUDGED_KINDS = frozenset({"chat", "ask"})

# --- named thresholds -------------------------------------------------------------------------------
# The poster is nudged ("post it anyway?") only when the model is this sure: a false nudge annoys a member
# who was talking business, a missed one costs one stray message. Chosen with ON_TOPIC_PRIOR by 3-fold
# on the train part of the bench only (bench/topicality.py --tune): at 0.70 and a prior of 3, 3 of 78
# nudges were false and 82 % of the off-topic messages were caught; at 0.80 none was false but only
# chatter was caught (46 %); at 0.60, 6 false.
NUDGE_PROBABILITY = 0.70
# A reply that is chatter ("谢谢王总！" under an answered ask) closes a loop: it is labelled, not nudged.
# Off-industry replies are nudged like any message.
NUDGE_CHATTER_IN_REPLY = False

# --- features ---------------------------------------------------------------------------------------
NGRAM_MIN, NGRAM_MAX = 1, 3  # Chinese words are 1–3 characters; longer n-grams are rarely seen twice
MAX_FEATURES = 30000  # the most frequent n-grams kept (a circle's data and the seed stay well under)
TEXT_MAX_CHARS = 500  # a long message is judged by its start: the topic is set early
L2_PENALTY = 1.0  # the inverse of scikit-learn's C=1, its default: not tuned
MAX_ITERATIONS = 300
# An item of a card's list of offers or needs this short is a term of the trade ("中央厨房代工"); longer
# ones are sentences.
CARD_ITEM_MAX_CHARS = 8
# When in doubt, on topic: the on-topic examples weigh this many times the others together (classes are
# otherwise balanced): a message like nothing the model has seen is more likely the trade's new business
# than spam. Chosen with NUDGE_PROBABILITY on the train part (1: 9 false nudges of 90; 3: 3 of 78).
ON_TOPIC_PRIOR = 3.0
# Taxonomy terms and card tags shorter than this are not matched as vocabulary ("IP" inside "VIP").
VOCAB_MIN_CHARS = 2
# A circle's own message seen as training data counts like this many card lines: messages are the
# style members write in, cards the words they use.
MESSAGE_WEIGHT = 1.0
MESSAGES_MAX = 2000  # the latest on-topic messages of the circle the model learns from

_URL_RE = re.compile(r"https?://\S+|www\.\S+", re.I)
_DIGITS_RE = re.compile(r"\d+")
_PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_WECHAT_RE = re.compile(r"(加|\+)\s*(v|vx|微信|威信|薇|wx)", re.I)
_EMOJI_RE = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf\U0001f000-\U0001f2ff]|\\[[^\\[\\]]{1,4}\\]")
_LAUGH_RE = re.compile(r"哈{2,}|呵呵|嘻嘻|嘿嘿|h{3,}|2333|lol|lmao|haha", re.I)
_GREETING_RE = re.compile(
    r"早安|早上好|午安|晚安|大家好|各位好|周末愉快|节日快乐|新年快乐|中秋快乐|国庆快乐|辛苦了"
    r"|good morning|good night|hello|\bhi\b|happy (new year|holidays|weekend)",
    re.I,
)
_THANKS_RE = re.compile(r"谢谢|感谢|多谢|thx|thanks|thank you|辛苦|收到|好的|👍|🙏", re.I)
_PUNCT_RE = re.compile(r"[\s\W_]+", re.U)
_ITEM_SPLIT = re.compile(r"[、，,;；。.!！?？:：()（）/\s]+")

DENSE = ("length", "short", "emoji", "laugh", "greeting", "thanks", "contact", "link", "vocab", "question")


def normalize(text: str) -> str:
    """NFKC, lower case, digits folded to 0, links to one token, whitespace folded, cut to TEXT_MAX_CHARS."""
    t = unicodedata.normalize("NFKC", text).lower()
    t = _URL_RE.sub(" ↗ ", t)
    t = _DIGITS_RE.sub("0", t)
    return " ".join(t.split())[:TEXT_MAX_CHARS]


def ngrams(text: str) -> list[str]:
    """Character n-grams of the normalized text, each run of letters apart (punctuation splits runs)."""
    out: list[str] = []
    for run in _PUNCT_RE.split(normalize(text)):
        if not run:
            continue
        for n in range(NGRAM_MIN, NGRAM_MAX + 1):
            out.extend(run[i : i + n] for i in range(len(run) - n + 1))
    return out


def _contains_term(folded: str, terms: Sequence[str]) -> bool:
    return any(t in folded for t in terms)


def dense_features(text: str, vocabulary: Sequence[str]) -> list[float]:
    """The cues that mean the same in every circle (see DENSE), each 0..1."""
    raw = unicodedata.normalize("NFKC", text)
    folded = raw.lower()
    letters = len(_PUNCT_RE.sub("", raw))
    emoji = len(_EMOJI_RE.findall(raw))
    return [
        min(math.log1p(letters) / math.log1p(200), 1.0),
        1.0 if letters <= 6 else 0.0,
        min(emoji / 3, 1.0),
        1.0 if _LAUGH_RE.search(folded) else 0.0,
        1.0 if _GREETING_RE.search(folded) else 0.0,
        1.0 if _THANKS_RE.search(folded) else 0.0,
        1.0 if (_PHONE_RE.search(raw) or _WECHAT_RE.search(folded)) else 0.0,
        1.0 if _URL_RE.search(raw) else 0.0,
        1.0 if _contains_term(folded, vocabulary) else 0.0,
        1.0 if ("?" in raw or "？" in raw or "吗" in raw) else 0.0,
    ]


# --- what the circle is about -----------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """A member's card, as the model reads it."""

    offers: str = ""
    needs: str = ""
    tags: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()  # names and synonyms of the card's industries


@dataclass(frozen=True)
class Industry:
    """One industry of the circle's taxonomy: its names and synonyms."""

    names: tuple[str, ...]
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Trade:
    """Everything the model learns the circle's trade from."""

    cards: Sequence[Card] = ()
    taxonomy: Sequence[Industry] = ()
    messages: Sequence[str] = ()  # the circle's on-topic messages

    def vocabulary(self) -> list[str]:
        """Whole terms of the trade: taxonomy names and synonyms, card tags and industries (folded)."""
        terms: set[str] = set()
        for ind in self.taxonomy:
            terms.update(ind.names)
            terms.update(ind.synonyms)
        for card in self.cards:
            terms.update(card.tags)
            terms.update(card.industries)
            # A card's short listed items ("PPT设计、路演材料") are the trade's terms too.
            for part in (card.offers, card.needs):
                terms.update(p for p in _ITEM_SPLIT.split(part) if len(p) <= CARD_ITEM_MAX_CHARS)
        folded = {unicodedata.normalize("NFKC", t).lower().strip() for t in terms}
        return sorted(t for t in folded if len(t) >= VOCAB_MIN_CHARS)


def _split_phrases(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"[\n;；。!！]+", text) if p.strip()]


def training_set(trade: Trade) -> tuple[list[str], list[str], list[float]]:
    """(texts, labels, weights) the circle's model learns from (see the module docstring)."""
    texts: list[str] = []
    labels: list[str] = []
    weights: list[float] = []

    def add(text: str, label: str, weight: float = 1.0) -> None:
        if text.strip():
            texts.append(text)
            labels.append(label)
            weights.append(weight)

    for card in trade.cards:
        for part in (card.offers, card.needs):
            for phrase in _split_phrases(part):
                add(phrase, ON_TOPIC)
        if card.tags:
            add(" ".join(card.tags), ON_TOPIC)
    for ind in trade.taxonomy:
        add(" ".join((*ind.names, *ind.synonyms)), ON_TOPIC)
    vocabulary = trade.vocabulary()
    chinese_terms = [t for t in vocabulary if not t.isascii()] or vocabulary
    for i, template in enumerate(seed.ON_TOPIC_TEMPLATES):
        if chinese_terms:
            add(template.format(term=chinese_terms[(i * 7) % len(chinese_terms)]), ON_TOPIC)
    for text in list(trade.messages)[-MESSAGES_MAX:]:
        add(text, ON_TOPIC, MESSAGE_WEIGHT)
    for text in seed.CHATTER:
        add(text, CHATTER)
    for text in seed.OFF_INDUSTRY:
        folded = unicodedata.normalize("NFKC", text).lower()
        if not _contains_term(folded, vocabulary):  # the circle's own trade is never off-industry
            add(text, OFF_INDUSTRY)
    return texts, labels, weights


# --- the model --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    label: str
    score: float  # the model's probability of that label
    probabilities: dict[str, float] = field(default_factory=dict)

    @property
    def off_topic(self) -> bool:
        return self.label != ON_TOPIC


@dataclass
class Model:
    """A fitted model: picklable (it is kept in the cache between posts)."""

    index: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray  # (features + dense + bias, classes)
    vocabulary: list[str]
    training_size: int

    def _matrix(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return _vectorize(texts, self.index, self.idf, self.vocabulary)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return _softmax(self._matrix(texts) @ self.coef)

    def judge(self, text: str, *, kind: str = "chat") -> Verdict | None:
        """The verdict on one message; None for an event (never judged) or an empty text."""
        if kind not in JUDGED_KINDS or not text.strip():
            return None
        p = self.probabilities([text])[0]
        best = int(np.argmax(p))
        return Verdict(LABELS[best], float(p[best]), {lab: float(p[i]) for i, lab in enumerate(LABELS)})


def nudges(verdict: Verdict | None, *, reply: bool = False) -> bool:
    """Whether the poster is asked "post it anyway?" before the message is posted."""
    if verdict is None or not verdict.off_topic or verdict.score < NUDGE_PROBABILITY:
        return False
    return not (reply and verdict.label == CHATTER and not NUDGE_CHATTER_IN_REPLY)


def _vectorize(
    texts: Sequence[str], index: dict[str, int], idf: np.ndarray, vocabulary: Sequence[str]
) -> sparse.csr_matrix:
    rows, cols, vals = [], [], []
    for r, text in enumerate(texts):
        counts = Counter(g for g in ngrams(text) if g in index)
        if counts:
            ids = np.fromiter((index[g] for g in counts), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            w = tf * idf[ids]
            w /= np.linalg.norm(w) or 1.0
            rows.extend([r] * len(ids))
            cols.extend(ids.tolist())
            vals.extend(w.tolist())
    n = len(index)
    tfidf = sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), n))
    dense = np.array([[*dense_features(t, vocabulary), 1.0] for t in texts], dtype=np.float64)
    return sparse.hstack([tfidf, sparse.csr_matrix(dense)], format="csr")


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def fit(
    texts: Sequence[str],
    labels: Sequence[str],
    weights: Sequence[float] | None = None,
    *,
    vocabulary: Sequence[str] = (),
) -> Model:
    """Fit the vectorizer and the softmax regression; classes are weighted to count alike."""
    df: Counter[str] = Counter()
    for text in texts:
        df.update(set(ngrams(text)))
    kept = [g for g, _n in df.most_common(MAX_FEATURES)]
    index = {g: i for i, g in enumerate(sorted(kept))}
    n_docs = len(texts)
    idf = np.array([math.log((1 + n_docs) / (1 + df[g])) + 1.0 for g in sorted(kept)], dtype=np.float64)
    X = _vectorize(texts, index, idf, list(vocabulary))
    y = np.array([LABELS.index(lab) for lab in labels])
    Y = np.zeros((len(y), len(LABELS)))
    Y[np.arange(len(y)), y] = 1.0
    w = np.asarray(weights if weights is not None else np.ones(len(y)), dtype=np.float64)
    per_class = np.bincount(y, weights=w, minlength=len(LABELS))
    present = per_class > 0
    balance = np.where(present, w.sum() / (present.sum() * np.maximum(per_class, 1e-9)), 0.0)
    balance[LABELS.index(ON_TOPIC)] *= ON_TOPIC_PRIOR
    w = w * balance[y]
    w = w / w.sum()
    d, k = X.shape[1], len(LABELS)
    penalized = np.ones((d, k))
    penalized[-1, :] = 0.0  # the bias is not penalized
    lam = L2_PENALTY / max(n_docs, 1)

    def loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
        W = flat.reshape(d, k)
        P = _softmax(np.asarray(X @ W))
        value = -float(np.sum(w * np.log(np.clip(np.sum(P * Y, axis=1), 1e-12, None))))
        value += 0.5 * lam * float(np.sum(penalized * W * W))
        grad = np.asarray(X.T @ ((P - Y) * w[:, None])) + lam * penalized * W
        return value, grad.ravel()

    result = minimize(loss, np.zeros(d * k), jac=True, method="L-BFGS-B", options={"maxiter": MAX_ITERATIONS})
    return Model(
        index=index, idf=idf, coef=result.x.reshape(d, k), vocabulary=list(vocabulary), training_size=n_docs
    )


def build(trade: Trade) -> Model:
    """The circle's model, learned from its trade (seconds at most: run it in the background)."""
    texts, labels, weights = training_set(trade)
    return fit(texts, labels, weights, vocabulary=trade.vocabulary())


def judge_all(model: Model, texts: Iterable[str]) -> list[Verdict]:
    """Verdicts on many chat messages at once (one matrix product)."""
    items = list(texts)
    if not items:
        return []
    P = model.probabilities(items)
    out = []
    for p in P:
        best = int(np.argmax(p))
        out.append(Verdict(LABELS[best], float(p[best]), {lab: float(p[i]) for i, lab in enumerate(LABELS)}))
    return out
