"""Needs ↔ offers relevance between member cards. Pure Python + numpy/scipy, no Django imports.

Each card gives two documents: what it offers (offers text, offer tags, the names of its industries) and
what it needs (needs text, need tags). Terms are jieba search tokens of Chinese plus whole English words
(kindred.circles.text), without a few filler words; and, through the industry taxonomy, one concept per
industry whose name or synonym occurs (短视频, 抖音, 快手 … all add the concept "short-video"), so that a
need for 抖音运营 meets an offer of 短视频发行.

Search tokens score, but are never shown: jieba's search mode also yields the pieces of a word (短视, 视频
and 短视频 for 短视频). What a person reads (the explanation of a match, the words a trip's members share)
is the whole word of jieba's precise mode that holds the token, or the taxonomy term that named a concept.

TF-IDF (sublinear tf, smoothed idf over every offer and need document of the circle), rows L2-normalised,
as scipy.sparse CSR matrices. One-way s(A→B) = cos(needs_A, offers_B): how well B's offers answer A's
needs. The reciprocal score fuses s(A→B) and s(B→A): the arithmetic mean, which beat the harmonic,
geometric and min fusions and one-way scoring on the hand-labelled cards of bench/reciprocal.py.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jieba
import numpy as np
import scipy.sparse as sp

from kindred.circles.text import _ensure_init as _jieba_ready
from kindred.circles.text import normalize, tokens

from . import embed

TAG_WEIGHT = 2.0  # a tag is a deliberate statement: it counts twice a word of free text
CONCEPT_WEIGHT = 1.0  # the taxonomy concept of a term, on top of the term itself
MIN_TERM_LENGTH_CJK = 2  # single Chinese characters (的, 做, 找 …) carry no meaning on their own
EXPLAIN_TERMS = 5  # matched terms shown per direction
CONCEPT_PREFIX = "§"
# A need for clients (客户, 项目 …) is answered by someone who needs what one offers: a member who needs a
# PPT is the client a PPT designer is looking for. Such a need takes this share of the other direction.
CLIENT_WORDS = ("客户", "客源", "甲方", "项目", "试点", "订单", "买家", "clients", "customers", "projects")
CLIENT_SHARE = 0.8

# Words that occur in any card and say nothing about what is offered or needed.
STOPWORDS = frozenset(
    [
        "可以",
        "能够",
        "我们",
        "你们",
        "他们",
        "一个",
        "一些",
        "一起",
        "一位",
        "一份",
        "希望",
        "需要",
        "想要",
        "寻找",
        "找到",
        "提供",
        "承接",
        "相关",
        "以及",
        "或者",
        "还有",
        "没有",
        "自己",
        "这些",
        "那些",
        "什么",
        "怎么",
        "如何",
        "已经",
        "正在",
        "愿意",
        "我想",
        "想找",
        "都能",
        "也能",
        "也可以",
        "包括",
        "各种",
        "方面",
        "等等",
        "之类",
        "年轻",
        "一下",
        "一点",
        "很多",
        "非常",
        "比较",
        "看看",
        "and",
        "the",
        "for",
        "with",
        "from",
        "our",
        "your",
        "who",
        "what",
        "need",
        "needs",
        "want",
        "looking",
        "offer",
        "offers",
        "can",
        "will",
        "of",
        "to",
        "in",
        "on",
        "a",
        "an",
    ]
)


def _kept(tok: str) -> bool:
    if tok in STOPWORDS or tok.isdigit():
        return False
    return tok.isascii() or len(tok) >= MIN_TERM_LENGTH_CJK


def analyze(text: str) -> list[str]:
    """The card's terms, in order, deduplicated: jieba search tokens and English words, fillers dropped."""
    return [tok for tok in tokens(text) if _kept(tok)]


_RUN = re.compile(r"[\w\u4e00-\u9fff]+", re.UNICODE)


def analyze_with_words(text: str) -> tuple[list[str], list[str]]:
    """(analyze(text), whole_words(text)) from one jieba cut: the search tokens of a word are its pieces
    that jieba's dictionary knows, then the word itself, exactly as jieba's search mode yields them."""
    _jieba_ready()
    freq = jieba.dt.FREQ
    terms: list[str] = []
    words: list[str] = []
    seen: set[str] = set()
    for run in _RUN.findall(normalize(text)):
        for word in jieba.cut(run):
            word = word.strip()
            if not word:
                continue
            pieces = [
                word[i : i + 2] for i in range(len(word) - 1) if len(word) > 2 and freq.get(word[i : i + 2])
            ]
            pieces += [
                word[i : i + 3] for i in range(len(word) - 2) if len(word) > 3 and freq.get(word[i : i + 3])
            ]
            for tok in (*pieces, word):
                if tok in seen or (len(tok) == 1 and not tok.isalnum()):
                    continue
                seen.add(tok)
                if _kept(tok):
                    terms.append(tok)
            if _kept(word) and word not in words:
                words.append(word)
    return terms, words


def whole_words(text: str) -> list[str]:
    """The words a person reads in `text`: jieba's precise-mode cut (短视频 stays whole, never 短视 or
    视频) and whole English words, fillers dropped, deduplicated in order."""
    return analyze_with_words(text)[1]


def shown_word(term: str, words: Sequence[str]) -> str:
    """How a search token is shown: itself when it is a whole word, else the shortest whole word that holds
    it (视频 → 短视频); '' when no whole word does (a filler's piece)."""
    if term in words:
        return term
    holders = [w for w in words if term in w]
    return min(holders, key=len) if holders else ""


@dataclass(frozen=True)
class IndustryTerms:
    """One industry of the taxonomy: its code and every word that names it (names and synonyms)."""

    code: str
    name: str
    words: tuple[str, ...]


class Lexicon:
    """Industry concepts: which words name which industry (a word may name several)."""

    def __init__(self, industries: Iterable[IndustryTerms]) -> None:
        self.industries = {i.code: i for i in industries}
        self._by_word: dict[str, set[str]] = {}
        for ind in self.industries.values():
            for word in ind.words:
                w = normalize(word)
                if w:
                    self._by_word.setdefault(w, set()).add(ind.code)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, str, str]]) -> Lexicon:
        """From (code, name_zh, name_en, synonyms) rows, as the taxonomy and the Industry table hold them."""
        return cls(
            IndustryTerms(code=code, name=zh, words=(zh, en, *syn.split())) for code, zh, en, syn in rows
        )

    def concepts(self, text_norm: str, terms: Sequence[str]) -> dict[str, str]:
        """{industry code: the word of the text that names it}. CJK words match as substrings of the text
        (jieba may cut 短视频发行 either way); ASCII words (IP, MCN, VC) only as whole terms."""
        found: dict[str, str] = {}
        term_set = set(terms)
        for word, codes in self._by_word.items():
            present = word in term_set if word.isascii() else word in text_norm
            if present:
                for code in codes:
                    found.setdefault(code, word)
        return found


@dataclass
class Side:
    """One document (offers or needs) of a card: weighted features and, per feature, the card's own word."""

    weights: dict[str, float] = field(default_factory=dict)
    # feature → the whole word (or taxonomy term) of the card that shows it; '' for a piece of a filler
    words: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CardText:
    key: int
    offers: str = ""
    needs: str = ""
    offer_tags: tuple[str, ...] = ()
    need_tags: tuple[str, ...] = ()
    industry_names: tuple[str, ...] = ()  # how the card's industries are named on it (their Chinese names)


def _side(texts: Iterable[tuple[str, float]], lexicon: Lexicon) -> Side:
    side = Side()
    for raw, weight in texts:
        norm = normalize(raw)
        if not norm:
            continue
        terms, whole = analyze_with_words(norm)
        for term in terms:
            side.weights[term] = side.weights.get(term, 0.0) + weight
            if not side.words.get(term):
                side.words[term] = shown_word(term, whole)
        for code, word in lexicon.concepts(norm, terms).items():
            feature = CONCEPT_PREFIX + code
            side.weights[feature] = side.weights.get(feature, 0.0) + weight * CONCEPT_WEIGHT
            side.words.setdefault(feature, word)
    return side


def card_sides(card: CardText, lexicon: Lexicon) -> tuple[Side, Side]:
    """(offers side, needs side) of one card."""
    offers = _side(
        [
            (card.offers, 1.0),
            *((t, TAG_WEIGHT) for t in card.offer_tags),
            *((n, 1.0) for n in card.industry_names),
        ],
        lexicon,
    )
    needs = _side([(card.needs, 1.0), *((t, TAG_WEIGHT) for t in card.need_tags)], lexicon)
    return offers, needs


Fusion = Callable[[np.ndarray, np.ndarray], np.ndarray]


def harmonic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    total = x + y
    out = np.zeros_like(total, dtype=np.float64)
    np.divide(2.0 * x * y, total, out=out, where=total > 0)
    return out


def arithmetic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (x + y) / 2.0


def geometric(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.sqrt(x * y)


def minimum(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.minimum(x, y)


FUSIONS: dict[str, Fusion] = {
    "harmonic": harmonic,
    "geometric": geometric,
    "arithmetic": arithmetic,
    "min": minimum,
}
DEFAULT_FUSION = "arithmetic"  # best on bench/reciprocal.py (harmonic: MRR 0.815, nDCG@5 0.787)


@dataclass(frozen=True)
class TermMatch:
    need: str  # the word on the side that needs
    offer: str  # the word on the side that offers (the same word, or a synonym of the same industry)
    weight: float


class TextIndex:
    """The offers and needs matrices of a set of cards (rows in the order of `cards`)."""

    def __init__(self, cards: Sequence[CardText], lexicon: Lexicon, *, embedder: Any = None) -> None:
        self.embedder = embedder
        self.need_texts = [" ".join((c.needs, *c.need_tags)) for c in cards]
        self.offer_texts = [" ".join((c.offers, *c.offer_tags, *c.industry_names)) for c in cards]
        self.keys = [c.key for c in cards]
        self.row = {k: i for i, k in enumerate(self.keys)}
        sides = [card_sides(c, lexicon) for c in cards]
        self.offer_sides = [o for o, _n in sides]
        self.need_sides = [n for _o, n in sides]
        docs = [*self.offer_sides, *self.need_sides]
        vocab: dict[str, int] = {}
        df: dict[str, int] = {}
        for doc in docs:
            for term in doc.weights:
                vocab.setdefault(term, len(vocab))
                df[term] = df.get(term, 0) + 1
        self.vocab = vocab
        self.terms = list(vocab)
        n_docs = max(len(docs), 1)
        self.idf = np.ones(len(vocab))
        for term, j in vocab.items():
            self.idf[j] = math.log((1 + n_docs) / (1 + df[term])) + 1.0
        self.offers = self._matrix(self.offer_sides)
        self.needs = self._matrix(self.need_sides)
        self.clients: dict[int, str] = {}
        for i, side in enumerate(self.need_sides):
            word = next((w for w in CLIENT_WORDS if w in side.weights), "")
            if word:
                self.clients[i] = word

    def _matrix(self, sides: Sequence[Side]) -> sp.csr_matrix:
        rows, cols, vals = [], [], []
        for i, side in enumerate(sides):
            for term, tf in side.weights.items():
                j = self.vocab[term]
                rows.append(i)
                cols.append(j)
                vals.append((1.0 + math.log(tf)) * self.idf[j])
        m = sp.csr_matrix((vals, (rows, cols)), shape=(len(sides), len(self.vocab)), dtype=np.float64)
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        inv = np.zeros_like(norms)
        inv[norms > 0] = 1.0 / norms[norms > 0]
        return (sp.diags(inv) @ m).tocsr()

    def client_word(self, key: int) -> str:
        """The word of the card's needs that asks for clients, or ''."""
        return self.clients.get(self.row[key], "")

    def one_way(self) -> np.ndarray:
        """Dense s[a, b] = how well b's offers answer a's needs (cosine, 0..1); for a member who needs
        clients, at least CLIENT_SHARE of how well a's offers answer b's needs. Blended with embeddings
        when a local model is configured (engine.embed)."""
        s = np.asarray((self.needs @ self.offers.T).todense())
        if self.embedder is not None:
            s = embed.blend(s, embed.one_way(self.embedder, self.need_texts, self.offer_texts))
        raw_t = s.T.copy()
        for i in self.clients:
            s[i] = np.maximum(s[i], CLIENT_SHARE * raw_t[i])
        return s

    def reciprocal(self, fusion: str = DEFAULT_FUSION) -> np.ndarray:
        s = self.one_way()
        r = FUSIONS[fusion](s, s.T)
        np.fill_diagonal(r, 0.0)
        return r

    def _embedded(self) -> tuple[np.ndarray, np.ndarray]:
        """(needs, offers) embeddings of every card, encoded once."""
        cached: tuple[np.ndarray, np.ndarray] | None = self.__dict__.get("_vectors")
        if cached is None:
            cached = (
                embed.encode(self.embedder, self.need_texts),
                embed.encode(self.embedder, self.offer_texts),
            )
            self.__dict__["_vectors"] = cached
        return cached

    def _client_shares(self, forward: np.ndarray, backward: np.ndarray, rows: np.ndarray) -> None:
        """In place, for the pairs (rows[p], every card): a member who needs clients is answered at least
        CLIENT_SHARE as well by someone who needs what they offer (both directions)."""
        if not self.clients:
            return
        seekers = np.zeros(len(self.keys), dtype=bool)
        seekers[np.fromiter(self.clients, dtype=np.int64)] = True
        raw_forward = forward.copy()
        mine = seekers[rows]
        forward[mine] = np.maximum(forward[mine], CLIENT_SHARE * backward[mine])
        backward[:, seekers] = np.maximum(backward[:, seekers], CLIENT_SHARE * raw_forward[:, seekers])

    def reciprocal_rows(self, rows: np.ndarray, fusion: str = DEFAULT_FUSION) -> np.ndarray:
        """Rows `rows` of reciprocal(fusion) (len(rows) × n), from sparse products of those rows only."""
        forward = np.asarray((self.needs[rows] @ self.offers.T).toarray())  # s[row, j]
        backward = np.asarray((self.offers[rows] @ self.needs.T).toarray())  # s[j, row]
        if self.embedder is not None:
            needs_e, offers_e = self._embedded()
            forward = embed.blend(forward, np.clip(needs_e[rows] @ offers_e.T, 0.0, 1.0))
            backward = embed.blend(backward, np.clip(offers_e[rows] @ needs_e.T, 0.0, 1.0))
        self._client_shares(forward, backward, rows)
        fused = FUSIONS[fusion](forward, backward)
        fused[np.arange(len(rows)), rows] = 0.0
        return fused

    def reciprocal_pairs(self, xs: np.ndarray, ys: np.ndarray, fusion: str = DEFAULT_FUSION) -> np.ndarray:
        """reciprocal(fusion)[xs[p], ys[p]] for each pair, without any n × n matrix."""
        forward = np.asarray(self.needs[xs].multiply(self.offers[ys]).sum(axis=1)).ravel()
        backward = np.asarray(self.offers[xs].multiply(self.needs[ys]).sum(axis=1)).ravel()
        if self.embedder is not None:
            needs_e, offers_e = self._embedded()
            forward = embed.blend(forward, np.clip((needs_e[xs] * offers_e[ys]).sum(axis=1), 0.0, 1.0))
            backward = embed.blend(backward, np.clip((offers_e[xs] * needs_e[ys]).sum(axis=1), 0.0, 1.0))
        if self.clients:
            seekers = np.zeros(len(self.keys), dtype=bool)
            seekers[np.fromiter(self.clients, dtype=np.int64)] = True
            fx = np.where(seekers[xs], np.maximum(forward, CLIENT_SHARE * backward), forward)
            backward = np.where(seekers[ys], np.maximum(backward, CLIENT_SHARE * forward), backward)
            forward = fx
        fused = FUSIONS[fusion](forward, backward)
        fused[xs == ys] = 0.0
        return fused

    def row_scores(self, key: int, fusion: str = DEFAULT_FUSION) -> tuple[np.ndarray, np.ndarray]:
        """(one-way s(key → every card), reciprocal scores of key against every card), for one member
        without the full matrix: two sparse products of one row."""
        i = self.row[key]
        forward = np.asarray((self.needs[i] @ self.offers.T).todense()).ravel()
        backward = np.asarray((self.offers[i] @ self.needs.T).todense()).ravel()
        if i in self.clients:
            forward = np.maximum(forward, CLIENT_SHARE * backward)
        if self.clients:
            seekers = np.fromiter(self.clients, dtype=np.int64)
            backward[seekers] = np.maximum(backward[seekers], CLIENT_SHARE * forward[seekers])
        fused = FUSIONS[fusion](forward, backward)
        fused[i] = 0.0
        return forward, fused

    def _row_dicts(self, which: str) -> list[dict[int, float]]:
        """Every row of the needs or offers matrix as {feature: weight}, built once (slicing CSR rows one
        at a time is slow)."""
        key = f"_rows_{which}"
        rows: list[dict[int, float]] | None = self.__dict__.get(key)
        if rows is None:
            m = self.needs if which == "needs" else self.offers
            indices, data, ptr = m.indices.tolist(), m.data.tolist(), m.indptr.tolist()
            rows = [
                dict(zip(indices[ptr[i] : ptr[i + 1]], data[ptr[i] : ptr[i + 1]], strict=True))
                for i in range(m.shape[0])
            ]
            self.__dict__[key] = rows
        return rows

    def matched_terms(self, needer: int, offerer: int, limit: int = EXPLAIN_TERMS) -> list[TermMatch]:
        """The features that make s(needer → offerer), strongest first, as the words on both cards.

        A word contained in a stronger matched word is left out (视频 beside 短视频)."""
        a, b = self.row[needer], self.row[offerer]
        need = self._row_dicts("needs")[a]
        offer = self._row_dicts("offers")[b]
        scored = sorted(
            ((need[j] * offer[j], self.terms[j]) for j in need.keys() & offer.keys()),
            key=lambda t: (-t[0], t[1]),
        )
        need_words, offer_words = self.need_sides[a].words, self.offer_sides[b].words
        shown = tuple((need_words[f], offer_words[f]) for _w, f in scored)
        # Which of them a person reads depends on the words alone: decided once per list of words.
        memo: dict[tuple[tuple[str, str], ...], list[int]] = self.__dict__.setdefault("_readable", {})
        if shown not in memo:
            found = [TermMatch(need=n, offer=o, weight=float(i)) for i, (n, o) in enumerate(shown)]
            memo[shown] = [int(t.weight) for t in _readable(found)]
        return [
            TermMatch(need=shown[i][0], offer=shown[i][1], weight=scored[i][0]) for i in memo[shown][:limit]
        ]

    def shared_offer_terms(self, a: int, b: int, limit: int = EXPLAIN_TERMS) -> tuple[str, ...]:
        """Words of card a's offers side that card b's offers side shares (for overlap of business)."""
        ra, rb = self.offers[self.row[a]], self.offers[self.row[b]]
        common = set(ra.indices.tolist()) & set(rb.indices.tolist())
        scored = sorted(
            ((float(ra[0, j] * rb[0, j]), self.terms[j]) for j in common), key=lambda t: (-t[0], t[1])
        )
        side = self.offer_sides[self.row[b]]
        return shared_words([side.words[feature] for _w, feature in scored])[:limit]


def _readable(found: Sequence[TermMatch]) -> list[TermMatch]:
    """The matched terms a person reads: whole words only, each pair once, and no word that a longer
    matched word holds (短剧 beside 微短剧)."""
    found = [t for t in found if t.need and t.offer]
    words = {w for t in found for w in (t.need, t.offer)}
    out: list[TermMatch] = []
    for t in found:
        if any(t.need in w and t.need != w for w in words) and any(
            t.offer in w and t.offer != w for w in words
        ):
            continue
        if any(t.need == o.need and t.offer == o.offer for o in out):
            continue
        out.append(t)
    return out


def shared_words(words: Iterable[str]) -> tuple[str, ...]:
    """Shown words in their order, each once, without '' and without a word a longer one holds."""
    unique: list[str] = []
    for word in words:
        if word and word not in unique:
            unique.append(word)
    return tuple(w for w in unique if not any(w in other and w != other for other in unique))


def overlap_words(*pairs: tuple[Side, Side]) -> tuple[int, tuple[str, ...]]:
    """For (needs, offers) pairs of two cards: how many features meet (search tokens and concepts, for a
    score) and the words shown for them (whole words and taxonomy terms, for a person)."""
    count = 0
    words: list[str] = []
    for needs, offers in pairs:
        common = sorted(needs.weights.keys() & offers.weights.keys())
        count += len(common)
        words += [w for f in common for w in (needs.words[f], offers.words[f])]
    return count, tuple(sorted(shared_words(words)))
