"""Terms of an ask or an answer for routing: the card tokenizer of the directory, keeping term counts.

kindred.matching.engine.text.analyze gives the terms of a text (jieba search tokens of Chinese, whole
lower-cased English words, fillers and single Chinese characters dropped) but deduplicates them, which
suits a card and not an answer, where how often a word comes back says what the answer is about. So a
text is analysed one whitespace-separated chunk at a time and the counts survive. Markup (answers of a
Stack Exchange dump, rich-text bodies) is removed first.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from kindred.circles.text import normalize
from kindred.matching.engine.text import analyze

_MARKUP_RE = re.compile(r"<[^>]{0,400}>")
_URL_RE = re.compile(r"https?://\S+")

# English function words that the card stopwords (kindred.matching.engine.text.STOPWORDS) leave in and
# that are never what an ask is about; they would otherwise fill the "matched terms" shown to the asker.
ENGLISH_FILLERS = frozenset(
    [
        "i",
        "me",
        "my",
        "we",
        "you",
        "your",
        "he",
        "she",
        "it",
        "its",
        "they",
        "them",
        "this",
        "that",
        "these",
        "those",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "doing",
        "have",
        "has",
        "had",
        "having",
        "would",
        "should",
        "could",
        "might",
        "must",
        "shall",
        "may",
        "not",
        "no",
        "nor",
        "so",
        "than",
        "too",
        "very",
        "just",
        "but",
        "or",
        "if",
        "then",
        "else",
        "when",
        "where",
        "why",
        "how",
        "which",
        "whom",
        "whose",
        "there",
        "here",
        "any",
        "some",
        "all",
        "each",
        "other",
        "such",
        "only",
        "own",
        "same",
        "more",
        "most",
        "much",
        "many",
        "about",
        "above",
        "after",
        "again",
        "against",
        "at",
        "before",
        "below",
        "between",
        "by",
        "down",
        "during",
        "into",
        "off",
        "out",
        "over",
        "under",
        "up",
        "further",
        "once",
        "as",
        "until",
        "while",
        "because",
        "both",
        "few",
        "get",
        "got",
        "make",
        "made",
        "use",
        "used",
        "using",
        "one",
        "two",
        "also",
        "like",
        "im",
        "dont",
        "ive",
        "id",
        "isnt",
        "doesnt",
        "thanks",
        "thank",
        "please",
        "anyone",
        "someone",
        "something",
        "know",
        "think",
        "want",
        "way",
        "really",
        "well",
        "good",
        "best",
        "better",
        "lot",
    ]
)


def plain(text: str) -> str:
    """Text without markup, entities and links."""
    return _URL_RE.sub(" ", html.unescape(_MARKUP_RE.sub(" ", text or "")))


def terms(text: str) -> list[str]:
    """Every term of the text, in order, repeated as often as it occurs."""
    out: list[str] = []
    for chunk in normalize(plain(text)).split():
        # Single Latin letters are what is left of "it's" and "don't".
        out.extend(
            t for t in analyze(chunk) if t not in ENGLISH_FILLERS and not (len(t) == 1 and t.isascii())
        )
    return out


def term_counts(parts: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Weighted term counts of several texts: (text, weight) pairs, e.g. a title counted twice."""
    counts: dict[str, float] = {}
    for text, weight in parts:
        for term in terms(text):
            counts[term] = counts.get(term, 0.0) + weight
    return counts
