"""Tokens for search over Chinese and English card text. Pure Python (jieba), no Django imports.

The search document of a card is its normalized text followed by its jieba search tokens; a query
matches when every one of its tokens is a substring of the document. So "短视频" finds "做短视频发行"
whether or not jieba keeps 短视频 whole, and "Film Shanghai" finds "shanghai film festival".
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable

import jieba

# Trade words jieba should keep whole: the entertainment chain and its neighbours.
DOMAIN_WORDS = (
    "短视频",
    "短剧",
    "微短剧",
    "直播",
    "直播带货",
    "MCN",
    "网红",
    "艺人经纪",
    "经纪",
    "演出",
    "票务",
    "影视",
    "电影",
    "剧集",
    "网剧",
    "综艺",
    "动画",
    "动漫",
    "游戏",
    "手游",
    "音乐",
    "唱片",
    "版权",
    "IP授权",
    "授权",
    "衍生品",
    "周边",
    "潮玩",
    "发行",
    "宣发",
    "制片",
    "出品",
    "投资",
    "融资",
    "天使轮",
    "投资人",
    "剧本杀",
    "沉浸式",
    "文旅",
    "虚拟人",
    "数字人",
    "AIGC",
    "PPT",
    "小程序",
    "私域",
    "电商",
    "抖音",
    "快手",
    "小红书",
    "B站",
    "视频号",
    "出海",
    "配音",
    "后期",
    "特效",
    "收藏",
)

_TOKEN_RE = re.compile(r"[\w\u4e00-\u9fff]+", re.UNICODE)
_init_lock = threading.Lock()
_initialized = False


def _ensure_init() -> None:
    global _initialized
    if _initialized:
        return
    with _init_lock:
        if _initialized:
            return
        jieba.setLogLevel(60)
        for word in DOMAIN_WORDS:
            jieba.add_word(word, freq=20000)
        jieba.initialize()
        _initialized = True


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), lower case, whitespace folded."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def tokens(text: str) -> list[str]:
    """Search tokens: jieba's search-mode cut of Chinese runs, whole English words, deduplicated in order."""
    _ensure_init()
    out: list[str] = []
    seen: set[str] = set()
    for run in _TOKEN_RE.findall(normalize(text)):
        for tok in jieba.cut_for_search(run):
            tok = tok.strip()
            if not tok or tok in seen or (len(tok) == 1 and not tok.isalnum()):
                continue
            seen.add(tok)
            out.append(tok)
    return out


def query_tokens(query: str) -> list[str]:
    """The tokens a query must all match. Single CJK characters inside longer words are dropped
    (jieba's search mode yields 短/视频 beside 短视频); a query of one character keeps it."""
    toks = tokens(query)
    if not toks:
        return []
    longest_first = sorted(toks, key=len, reverse=True)
    kept: list[str] = []
    for tok in longest_first:
        # A token contained in a longer kept token adds nothing to an AND of substrings.
        if any(tok in longer for longer in kept):
            continue
        kept.append(tok)
    return kept


def search_document(fields: Iterable[str]) -> str:
    text = normalize(" ".join(f for f in fields if f))
    return f"{text} {' '.join(tokens(text))}".strip()
