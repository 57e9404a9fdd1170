"""Ask routing: who in the circle is most likely to catch an ask. Pure Python + numpy/scipy, no Django.

Given the history of asks with their answers, optional member cards and optional closeness weights
asker → candidate (the trust graph), `Router.rank(ask)` orders the candidates best first, the asker left
out, each with a `Reason` the product can show to the asker.

Each (ask, candidate) pair has a few features, each on a 0..1 or log scale:

- expertise: BM25 of the ask against everything the candidate wrote or answered (their answers, and the
  titles and tags of the asks they answered), divided by the best candidate's score for this ask;
- similar: document-centric expertise: BM25 of the ask against every past ask, and each of the
  SIMILAR_TOP_K most similar past asks credits its answerers with its similarity (divided by the best);
- tags: for each tag of the ask, log(1 + the candidate's answers on asks with that tag);
- activity: log(1 + answers), each answer decayed with a half-life of ACTIVITY_HALF_LIFE_SHARE of the
  history's time span (at least a day) before the ask;
- volume: log(1 + all answers): the long-run prior, which recency alone forgets;
- speed: 1 / (1 + median hours to answer / SPEED_SCALE_HOURS), 0 for someone who never answered;
- closeness: log(1 + past exchanges between asker and candidate + TRUST_EXCHANGES × trust weight).

They are combined linearly, with weights learned by a pairwise logistic model (RankNet with a linear
scorer) on the history alone: earlier history predicts later history (`fit_weights`). A member's card
(offers, tags, industries) adds `card`, BM25 of the ask against the card divided by the best card score,
with CARD_SHARE times the weight learned for expertise: a card is the member's own statement of what
they know, and it is what ranks members nobody has seen answer yet (cold start in a new circle).
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from scipy.optimize import minimize

from .text import term_counts

# --- text -------------------------------------------------------------------------------------------
# Robertson's customary BM25 values; not tuned (the same as the baseline, so the comparison is fair).
BM25_K1 = 1.2
BM25_B = 0.75
# An ask's title and tags name its topic; its body adds context and noise (greetings, the story). As
# query and as past-ask document the title and each tag count twice a word of the body.
TITLE_WEIGHT = 2.0
TAG_WEIGHT = 2.0

# --- features ---------------------------------------------------------------------------------------
# Past asks whose answerers are credited for an ask: a handful, as an asker would scroll back.
SIMILAR_TOP_K = 10
# A past ask counts as "similar" in the explanation when it scores at least this share of the best one.
SIMILAR_SHOWN_SHARE = 0.5
# Who answered lately is likelier to be around: an answer given 15 % of the history's span ago counts
# half. A share of the span rather than days, so that one rule fits a site's busy first weeks and a
# circle's months. On the inner split of the coffee history a short half-life (~3 of its 19 days) did a
# little better than 30 days (inner MRR 0.244 against 0.230: within the noise of ~90 asks); the
# evaluation asks were not used.
ACTIVITY_HALF_LIFE_SHARE = 0.15
MIN_HALF_LIFE_SECONDS = 86400.0
# Expertise and similar enter as log(EXPERTISE_FLOOR + share of the best), so that they combine with
# activity as a product of likelihoods would; the floor keeps a member with no match in the running.
EXPERTISE_FLOOR = 0.1
# Median time to answer at which the speed feature is one half: within a working day.
SPEED_SCALE_HOURS = 12.0
# A confirmed tie of full weight (1.0) counts like this many past exchanges between asker and member.
TRUST_EXCHANGES = 3.0
# A full card match counts like a full expertise match (see the module docstring).
CARD_SHARE = 1.0

FEATURES = ("expertise", "similar", "tags", "activity", "volume", "speed", "closeness")

# Weights used when the history is too small to learn from (a young circle), set by hand: in a small
# circle what someone answered says more than how much they answered, so topic first, then recent
# activity and closeness. (Fitted on the coffee history, expertise gets less and activity more: a
# public site's busiest answerers take most asks.) They also start the fit. With no history at all the
# card decides (CARD_SHARE).
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "expertise": 1.5,
    "similar": 1.0,
    "tags": 0.3,
    "activity": 1.0,
    "volume": 0.2,
    "speed": 0.2,
    "closeness": 0.5,
}

# --- learning ---------------------------------------------------------------------------------------
# Inner split: the history, in order, is cut at each of these shares; the asks of the next block are
# predicted from everything before the cut (answers given before it only), like the evaluation split.
INNER_CUTS = (0.5, 0.6, 0.7, 0.8, 0.9)
# Fewer training asks than this (with an answerer among the candidates): keep DEFAULT_WEIGHTS.
MIN_TRAINING_ASKS = 15
# L2 penalty on the weights; each ask weighs 1 in the loss, so this pulls the weights towards 0 as
# strongly as three asks' evidence: the training asks are few (about 90 on the coffee history).
L2 = 3.0
EXPLAIN_TERMS = 3


@dataclass(frozen=True)
class Answer:
    user: str
    body: str
    created: datetime


@dataclass(frozen=True)
class Ask:
    id: str
    title: str
    created: datetime
    asker: str
    body: str = ""
    tags: tuple[str, ...] = ()
    answers: tuple[Answer, ...] = ()


@dataclass(frozen=True)
class Profile:
    """A member's card: what they offer, their tags and the names of their industries."""

    user: str
    offers: str = ""
    tags: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reason:
    """Why a member was asked, in facts the product words in the asker's language."""

    terms: tuple[str, ...] = ()  # words of the ask found in what they answered or on their card
    similar_answered: int = 0  # similar past asks they answered
    answers: int = 0  # all their answers in the history
    median_hours: float | None = None  # their median time to answer
    exchanges: int = 0  # past asks between the asker and them, either way

    def text(self) -> str:
        parts = []
        if self.terms:
            parts.append("matched: " + ", ".join(self.terms))
        if self.similar_answered:
            parts.append(f"answered {self.similar_answered} similar ask{'s' * (self.similar_answered > 1)}")
        if self.median_hours is not None:
            parts.append(f"answers within ~{_hours(self.median_hours)}")
        if self.exchanges:
            parts.append(f"{self.exchanges} past exchange{'s' * (self.exchanges > 1)} with you")
        return "; ".join(parts)


@dataclass(frozen=True)
class Ranked:
    user: str
    score: float
    reason: Reason


def _hours(h: float) -> str:
    if h < 1:
        return "1 h"
    if h < 48:
        return f"{round(h)} h"
    return f"{round(h / 24)} d"


def aware(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC, so that naive and aware input compare."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Bm25:
    """Okapi BM25 over weighted term counts, with an inverted index (a query touches only its terms)."""

    def __init__(self, docs: Mapping[str, Mapping[str, float]], k1: float = BM25_K1, b: float = BM25_B):
        self.k1, self.b = k1, b
        self.length = {key: sum(doc.values()) for key, doc in docs.items()}
        self.avg = (sum(self.length.values()) / len(docs)) if docs else 1.0
        self.postings: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for key, doc in docs.items():
            for term, tf in doc.items():
                self.postings[term].append((key, tf))
        n = len(docs)
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}

    def _part(self, term: str, key: str, tf: float) -> float:
        norm = 1 - self.b + self.b * self.length[key] / (self.avg or 1.0)
        return self.idf[term] * tf * (self.k1 + 1) / (tf + self.k1 * norm)

    def scores(self, query: Mapping[str, float]) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for term, qw in query.items():
            for key, tf in self.postings.get(term, ()):
                out[key] += qw * self._part(term, key, tf)
        return out

    def contributions(self, query: Mapping[str, float], key: str) -> list[tuple[float, str]]:
        """(contribution, term) of each query term found in the document `key`, strongest first."""
        found = []
        for term, qw in query.items():
            for k, tf in self.postings.get(term, ()):
                if k == key:
                    found.append((qw * self._part(term, key, tf), term))
        return sorted(found, key=lambda t: (-t[0], t[1]))


def _query(counts: Mapping[str, float]) -> dict[str, float]:
    """Query weights: sublinear in how often a term comes back, so a long body does not drown the title."""
    return {t: 1.0 + math.log(c) if c >= 1 else c for t, c in counts.items()}


@dataclass
class _Texts:
    """Term counts memoised by text: the inner split builds several indexes over the same asks."""

    cache: dict[tuple[str, ...], dict[str, float]] = field(default_factory=dict)

    def ask(self, ask: Ask) -> dict[str, float]:
        key = ("ask", ask.title, ask.body, *ask.tags)
        if key not in self.cache:
            self.cache[key] = term_counts(
                [
                    (ask.title, TITLE_WEIGHT),
                    (ask.body, 1.0),
                    *((t.replace("-", " "), TAG_WEIGHT) for t in ask.tags),
                ]
            )
        return self.cache[key]

    def topic(self, ask: Ask) -> dict[str, float]:
        """Title and tags only: what an answerer's profile learns from the asks they answered."""
        key = ("topic", ask.title, *ask.tags)
        if key not in self.cache:
            self.cache[key] = term_counts([(ask.title, 1.0), *((t.replace("-", " "), 1.0) for t in ask.tags)])
        return self.cache[key]

    def text(self, text: str) -> dict[str, float]:
        key = ("text", text)
        if key not in self.cache:
            self.cache[key] = term_counts([(text, 1.0)])
        return self.cache[key]

    def card(self, p: Profile) -> dict[str, float]:
        key = ("card", p.offers, *p.tags, "|", *p.industries)
        if key not in self.cache:
            self.cache[key] = term_counts(
                [(p.offers, 1.0), *((t, TAG_WEIGHT) for t in p.tags), *((i, 1.0) for i in p.industries)]
            )
        return self.cache[key]


def _add(into: dict[str, float], counts: Mapping[str, float]) -> None:
    for term, n in counts.items():
        into[term] = into.get(term, 0.0) + n


class Index:
    """What the history says about each candidate, ready to score asks against."""

    def __init__(
        self,
        history: Sequence[Ask],
        profiles: Sequence[Profile] = (),
        closeness: Mapping[str, Mapping[str, float]] | None = None,
        texts: _Texts | None = None,
    ) -> None:
        self.texts = texts or _Texts()
        self.closeness = closeness or {}
        self.history = [a for a in history if a.answers]
        profile_docs: dict[str, dict[str, float]] = defaultdict(dict)
        self.answer_times: dict[str, list[datetime]] = defaultdict(list)
        delays: dict[str, list[float]] = defaultdict(list)
        self.tag_answers: dict[str, Counter[str]] = defaultdict(Counter)
        self.exchanges: Counter[tuple[str, str]] = Counter()
        self.answerers: list[set[str]] = []
        for ask in self.history:
            topic = self.texts.topic(ask)
            who: set[str] = set()
            for ans in ask.answers:
                if ans.user == ask.asker:
                    continue
                _add(profile_docs[ans.user], self.texts.text(ans.body))
                if ans.user not in who:
                    _add(profile_docs[ans.user], topic)
                    self.tag_answers[ans.user].update(ask.tags)
                    self.exchanges[ask.asker, ans.user] += 1
                    self.exchanges[ans.user, ask.asker] += 1
                self.answer_times[ans.user].append(aware(ans.created))
                delays[ans.user].append(
                    max(0.0, (aware(ans.created) - aware(ask.created)).total_seconds() / 3600)
                )
                who.add(ans.user)
            self.answerers.append(who)
        self.median_hours = {u: statistics.median(d) for u, d in delays.items()}
        self.expertise = Bm25(profile_docs)
        self.asks = Bm25({str(i): self.texts.ask(a) for i, a in enumerate(self.history)})
        self.cards = {p.user: p for p in profiles}
        self.card_index = Bm25({p.user: self.texts.card(p) for p in profiles})
        self.candidates = sorted(set(self.answer_times) | set(self.cards))
        moments = [aware(a.created) for a in self.history] + [
            t for ts in self.answer_times.values() for t in ts
        ]
        span = (max(moments) - min(moments)).total_seconds() if moments else 0.0
        self.half_life = max(MIN_HALF_LIFE_SECONDS, ACTIVITY_HALF_LIFE_SHARE * span)

    def features(self, ask: Ask) -> tuple[list[str], np.ndarray, np.ndarray, dict[str, float]]:
        """(candidates without the asker, feature matrix in FEATURES order, card feature, query)."""
        users = [u for u in self.candidates if u != ask.asker]
        query = _query(self.texts.ask(ask))
        now = aware(ask.created)
        expertise = self.expertise.scores(query)
        card = self.card_index.scores(query)
        similar: dict[str, float] = defaultdict(float)
        sims = sorted(self.asks.scores(query).items(), key=lambda kv: (-kv[1], int(kv[0])))[:SIMILAR_TOP_K]
        for key, sim in sims:
            for u in self.answerers[int(key)]:
                similar[u] += sim
        decay = math.log(2) / self.half_life
        x = np.zeros((len(users), len(FEATURES)))
        c = np.zeros(len(users))
        trust = self.closeness.get(ask.asker, {})
        for i, u in enumerate(users):
            times = [t for t in self.answer_times.get(u, ()) if t <= now]
            recent = sum(math.exp(-decay * (now - t).total_seconds()) for t in times)
            med = self.median_hours.get(u)
            ex = self.exchanges[ask.asker, u] + TRUST_EXCHANGES * float(trust.get(u, 0.0))
            x[i] = (
                expertise.get(u, 0.0),
                similar.get(u, 0.0),
                sum(math.log1p(self.tag_answers[u][t]) for t in ask.tags) if u in self.tag_answers else 0.0,
                math.log1p(recent),
                math.log1p(len(self.answer_times.get(u, ()))),
                1.0 / (1.0 + med / SPEED_SCALE_HOURS) if med is not None else 0.0,
                math.log1p(ex),
            )
            c[i] = card.get(u, 0.0)
        for j in (FEATURES.index("expertise"), FEATURES.index("similar")):
            top = x[:, j].max() if len(users) else 0.0
            if top > 0:
                x[:, j] /= top
            x[:, j] = np.log(EXPERTISE_FLOOR + x[:, j])
        if len(users) and c.max() > 0:
            c /= c.max()
        return users, x, c, query

    def reason(self, ask: Ask, user: str, query: Mapping[str, float]) -> Reason:
        words = [t for _v, t in self.expertise.contributions(query, user)]
        words += [t for _v, t in self.card_index.contributions(query, user) if t not in words]
        shown = [w for w in words if not any(w != o and w in o for o in words)][:EXPLAIN_TERMS]
        sims = sorted(self.asks.scores(query).items(), key=lambda kv: (-kv[1], int(kv[0])))[:SIMILAR_TOP_K]
        best = sims[0][1] if sims else 0.0
        similar = sum(
            1 for k, s in sims if s >= SIMILAR_SHOWN_SHARE * best and user in self.answerers[int(k)]
        )
        return Reason(
            terms=tuple(shown),
            similar_answered=similar,
            answers=len(self.answer_times.get(user, ())),
            median_hours=self.median_hours.get(user),
            exchanges=self.exchanges[ask.asker, user],
        )


def before(history: Iterable[Ask], moment: datetime) -> list[Ask]:
    """The asks created before `moment`, each with only the answers given before it."""
    moment = aware(moment)
    return [
        Ask(
            a.id,
            a.title,
            a.created,
            a.asker,
            a.body,
            a.tags,
            tuple(x for x in a.answers if aware(x.created) < moment),
        )
        for a in history
        if aware(a.created) < moment
    ]


@dataclass(frozen=True)
class Example:
    """One training ask of the inner split: the features of its candidates and who answered it."""

    x: np.ndarray
    positive: np.ndarray  # bool per candidate


def inner_examples(
    history: Sequence[Ask], texts: _Texts | None = None, cuts: Sequence[float] = INNER_CUTS
) -> list[list[Example]]:
    """Per cut of the inner split, the examples of the asks of the block after it."""
    texts = texts or _Texts()
    ordered = sorted(history, key=lambda a: aware(a.created))
    n = len(ordered)
    blocks: list[list[Example]] = []
    bounds = [int(n * c) for c in cuts] + [n]
    for lo, hi in itertools.pairwise(bounds):
        if lo >= hi or lo == 0:
            blocks.append([])
            continue
        index = Index(before(ordered[:lo], ordered[lo].created), texts=texts)
        out = []
        for ask in ordered[lo:hi]:
            users, x, _c, _q = index.features(ask)
            who = {a.user for a in ask.answers if a.user != ask.asker}
            pos = np.array([u in who for u in users])
            if pos.any() and not pos.all():
                out.append(Example(x=x, positive=pos))
        blocks.append(out)
    return blocks


def fit_weights(examples: Sequence[Example], l2: float = L2) -> np.ndarray:
    """Pairwise logistic regression: every answerer of an ask above every other candidate, each ask
    weighing 1 in the loss whatever its number of pairs; L2-penalised; no intercept (it cancels)."""
    diffs, weights = [], []
    for ex in examples:
        p, q = ex.x[ex.positive], ex.x[~ex.positive]
        d = (p[:, None, :] - q[None, :, :]).reshape(-1, ex.x.shape[1])
        diffs.append(d)
        weights.append(np.full(len(d), 1.0 / len(d)))
    d = np.vstack(diffs)
    sw = np.concatenate(weights)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        m = d @ w
        value = float(sw @ np.logaddexp(0.0, -m)) + 0.5 * l2 * float(w @ w)
        g = -(d.T @ (sw / (1.0 + np.exp(np.clip(m, -50, 50))))) + l2 * w
        return value, g

    start = np.array([DEFAULT_WEIGHTS[f] for f in FEATURES])
    result = minimize(loss, start, jac=True, method="L-BFGS-B")
    return np.asarray(result.x)


def mrr(examples: Sequence[Example], w: np.ndarray) -> float:
    """Mean reciprocal rank of the first answerer under weights w (ties: the candidate listed first)."""
    total = 0.0
    for ex in examples:
        order = np.argsort(-(ex.x @ w), kind="stable")
        hit = np.flatnonzero(ex.positive[order])
        total += 1.0 / (hit[0] + 1)
    return total / max(len(examples), 1)


@dataclass(frozen=True)
class Model:
    weights: Mapping[str, float]
    training_asks: int
    validation_mrr: float | None  # inner split: mean over its later blocks, each predicted from before it
    name: str = "default"


# Hand-set candidates the learner chooses among, beside the weights it fits. A fitted linear model with
# seven features over a few dozen asks overfits (on the coffee history its validation MRR was 0.13 while
# recent activity alone scored 0.23), so the learner picks, by rolling-origin validation on the history
# alone, the best of: recent activity alone (who is around answers), activity with a little topic, the
# default mix, and the fit. Ties go to the simpler model, listed first.
CANDIDATE_WEIGHTS: Mapping[str, Mapping[str, float]] = {
    "activity": {f: (1.0 if f == "activity" else 0.0) for f in FEATURES},
    "activity+topic": {
        f: {"activity": 1.0, "expertise": 0.15, "similar": 0.05}.get(f, 0.0) for f in FEATURES
    },
    "default": DEFAULT_WEIGHTS,
}
# A candidate must beat the simpler one before it by this much mean validation MRR to be chosen.
MIN_VALIDATION_GAIN = 0.01


def learn(history: Sequence[Ask], texts: _Texts | None = None) -> Model:
    """Weights from the history alone; DEFAULT_WEIGHTS when it holds too few answered asks.

    Rolling origin: each block of the inner split after the first is scored with weights that saw only the
    blocks before it (a hand-set candidate needs no fitting); the candidate with the best mean MRR wins and
    the fit, if chosen, is refitted on every block."""
    blocks = inner_examples(history, texts)
    examples = [e for b in blocks for e in b]
    if len(examples) < MIN_TRAINING_ASKS:
        return Model(weights=dict(DEFAULT_WEIGHTS), training_asks=len(examples), validation_mrr=None)
    scored: list[tuple[str, float]] = []
    for name, weights in CANDIDATE_WEIGHTS.items():
        w = np.array([weights[f] for f in FEATURES])
        per_block = [mrr(b, w) for i, b in enumerate(blocks) if b and any(blocks[:i])]
        scored.append((name, statistics.fmean(per_block) if per_block else 0.0))
    fitted = [
        mrr(b, fit_weights([e for prev in blocks[:i] for e in prev]))
        for i, b in enumerate(blocks)
        if b and sum(len(prev) for prev in blocks[:i]) >= MIN_TRAINING_ASKS
    ]
    if fitted:
        scored.append(("fitted", statistics.fmean(fitted)))
    best_name, best_mrr = scored[0]
    for name, value in scored[1:]:
        if value > best_mrr + MIN_VALIDATION_GAIN:
            best_name, best_mrr = name, value
    if best_name == "fitted":
        weights = dict(zip(FEATURES, fit_weights(examples).tolist(), strict=True))
    else:
        weights = dict(CANDIDATE_WEIGHTS[best_name])
    return Model(weights=weights, training_asks=len(examples), validation_mrr=best_mrr, name=best_name)


class Router:
    """Ranks the candidates of an ask. Build it once per history; `rank` as many asks as needed."""

    def __init__(
        self,
        history: Sequence[Ask],
        profiles: Sequence[Profile] = (),
        closeness: Mapping[str, Mapping[str, float]] | None = None,
        *,
        model: Model | None = None,
    ) -> None:
        texts = _Texts()
        self.index = Index(history, profiles, closeness, texts=texts)
        self.model = model or learn(history, texts)
        self.w = np.array([self.model.weights[f] for f in FEATURES])
        self.card_weight = CARD_SHARE * max(self.model.weights["expertise"], DEFAULT_WEIGHTS["expertise"])

    def rank(self, ask: Ask, top: int | None = None) -> list[Ranked]:
        users, x, card, query = self.index.features(ask)
        score = x @ self.w + self.card_weight * card
        activity = x[:, FEATURES.index("activity")]
        order = sorted(range(len(users)), key=lambda i: (-score[i], -activity[i], users[i]))
        if top is not None:
            order = order[:top]
        return [Ranked(users[i], float(score[i]), self.index.reason(ask, users[i], query)) for i in order]
