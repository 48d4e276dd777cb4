"""Entity mentions: which tracker entities a text names, by any alias (zh, en, pinyin), and co-mentions.

Matching is one compiled regex per tracker over every alias, longest alias first, so one scan of the
text finds all mentions. Latin aliases are case-insensitive and must stand as whole words ("IQ" does
not match inside "IQiyi" or "unique"); a single capitalised word such as "Variety" or "Deadline" is
matched case-sensitively, because its lowercase form is an ordinary English word. A two-character
Chinese alias (奇艺, 马苏, 于正) is rejected where its first character ends a dictionary word (神奇|艺术, 骑马|苏州,
对于|正常).
A longer alias also counts for the entities whose aliases it contains: 张若昀工作室 names the studio
and the performer, 爱奇艺AI艺人库 names the library and iQIYI.
A name a tracker declares `ambiguous` (also an ordinary word or a common first name: "Variety", "Tilly") must be
written as declared, must not run on into another capitalised word ("Variety Show"), and needs a cue: one firm
mention in the same text, that is another of the tracker's names, or an ambiguous one in an attribution ("told
Variety", "via Variety", "Variety reported", "(Variety)", "Blunt said").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import accumulate, combinations
from pathlib import Path
from typing import NamedTuple

import ahocorasick

from collectors.trackers import Entity, Tracker

_LATIN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")  # word edges
_CJK = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+$")
_TITLE_WORD = re.compile(r"^[A-Z][a-z]+$")
_SPACE = re.compile(r"\s+")
# What normalise replaces by one space: a run of two or more whitespace characters, or one that is not a space (the
# same text as _SPACE's runs all replaced, without replacing every single space by another)
_SPACE_RUN = re.compile(r"\s{2,}|[^\S ]")
# Cues that let an ambiguous name count without another mention: an attribution right before or after it.
_CUE_BEFORE = re.compile(r"(?<![a-z])(?:told|to|via|according to|by|per) $|\($")
_CUE_AFTER = re.compile(r"\)| (?:said|says|told|reported|reports|wrote|writes|published|confirmed|stated|added|noted)"
                        r"(?![a-z])")
_NAME_GOES_ON = re.compile(r" [A-Z]")  # "Variety Show", "Tilly Smith": part of a longer name
_WORD_BEFORE = re.compile(r"(?<![A-Za-z])[A-Z][A-Za-z'-]* $")  # "Irish Equity", "Private Equity", unless it starts
_SENTENCE_STARTS = frozenset(".!?:;(\"“”—")  # a sentence ("When Tilly", "As Equity notes")
_PERSON_TYPES = frozenset({"performer", "executive"})
# One spelling for characters real texts use interchangeably (NFKC leaves them apart): hyphens and dashes
# inside a name ("SAG‐AFTRA" with U+2010) and the dot between a transliterated name's parts ("艾米莉・布朗特").
# One character for one, so match offsets still index the text.
_FOLD = str.maketrans({**dict.fromkeys("\u2010\u2011\u2012\u2013\u2212", "-"),
                       **dict.fromkeys("\u30fb\uff65\u2027\u2022\u2219\u22c5", "\u00b7")})
_FOLDED = re.compile("[" + "".join(chr(c) for c in _FOLD) + "]")  # a search is cheaper than translate


class TermMatcher:
    """Which labels' terms occur in a text; one regex scan, longest term first at each position.

    The regex is a character trie over the lowercased terms (fast: the engine skips positions whose
    character starts no term); word boundaries and case-sensitive terms are checked per match.
    """

    def __init__(self, terms: Mapping[str, Iterable[str]], nested: bool = True, guard_short: bool = True,
                 ambiguous: Iterable[str] = ()) -> None:
        self._guard_short = guard_short  # reject two-character Chinese terms whose first character ends a word
        self._labels: dict[str, list[str]] = {}  # normalised term -> labels, in insertion order
        self._exact: dict[str, set[str]] = {}  # case-sensitive term (a lone capitalised word, an ambiguous name) -> spellings
        insensitive: set[str] = set()
        for label, label_terms in terms.items():
            for raw in label_terms:
                term = normalise(raw).strip()
                if not term:
                    continue
                key = term.lower()
                labels = self._labels.setdefault(key, [])
                if label not in labels:
                    labels.append(label)
                if _TITLE_WORD.match(term):
                    self._exact.setdefault(key, set()).add(term)
                else:
                    insensitive.add(key)
        for key in insensitive:
            self._exact.pop(key, None)
        self._ambiguous: frozenset[str] = frozenset()  # terms that need a cue, always matched as written
        for raw in ambiguous:
            term = normalise(raw).strip()
            if term.lower() in self._labels:
                self._ambiguous |= {term.lower()}
                if term.lower() != term.upper():
                    self._exact.setdefault(term.lower(), set()).add(term)
        if nested:  # a term also names the labels of every shorter term inside it
            for key, labels in self._labels.items():
                for other, other_labels in self._labels.items():
                    if other != key and _squash(other) in _squash(key):
                        labels.extend(lab for lab in other_labels if lab not in labels)
        pattern = _trie_pattern(self._labels)
        self._regex = re.compile(pattern) if self._labels else None
        # the same matches as the regex (leftmost, then longest), found by an Aho-Corasick automaton: one pass over the
        # text whatever the number of terms, where the regex tried the trie at every position (~8% of enrichment)
        self._automaton = _automaton(self._labels) if self._labels else None
        # What each match needs checking for, worked out once per term rather than once per match:
        # (labels, Latin first char, Latin last char, case-sensitive spellings or None, straddle guard, ambiguous)
        self._checks: dict[str, tuple[list[str], bool, bool, set[str] | None, bool, bool]] = {
            key: (labels, key[0] in _LATIN_CHARS, key[-1] in _LATIN_CHARS, self._exact.get(key),
                  guard_short and len(key) == 2 and bool(_CJK.match(key)), key in self._ambiguous)
            for key, labels in self._labels.items()}
        self._unchecked = frozenset(key for key, check in self._checks.items() if not any(check[1:]))

    def find(self, text: str | Prepared | None) -> list[str]:
        """Labels whose terms occur in `text`, in order of first mention, each once."""
        parts, accepted = self.matches(text)
        found: dict[str, None] = {}
        for key in dict.fromkeys(parts[i] for i in accepted):
            found.update(dict.fromkeys(self._labels[key]))
        return list(found)

    def labels_of(self, key: str) -> list[str]:
        """The labels a matched term (as `matches` gives it) names."""
        return self._labels[key]

    def matches(self, text: str | Prepared | None) -> tuple[list[str], list[int]]:
        """The lower-cased text cut at every match (`re.split`: text, match, text, …, text) and the indices of
        the accepted matches in it: the same matches as `spans`, for less work per match."""
        if not text or self._automaton is None:
            return [], []
        prepared = text if isinstance(text, Prepared) else prepare(text)
        parts = _split(self._automaton, prepared.low)
        unchecked = self._unchecked
        if unchecked.issuperset(parts[1::2]):
            return parts, list(range(1, len(parts), 2))
        accepted = [i for i in range(1, len(parts), 2) if parts[i] in unchecked or self._accepts(prepared, parts, i)]
        ambiguous = [i for i in accepted if parts[i] in self._ambiguous]
        if not ambiguous or len(ambiguous) < len(accepted):  # none, or anchored by an unambiguous mention
            return parts, accepted
        starts = list(accumulate(map(len, parts), initial=0))
        return parts, accepted if any(_attributed(prepared.low, starts[i], starts[i + 1]) for i in ambiguous) else []

    def _accepts(self, prepared: Prepared, parts: list[str], i: int) -> bool:
        """`spans`' checks of the match parts[i], with its neighbours read from the parts around it."""
        key = parts[i]
        _, latin_first, latin_last, spellings, guard, ambiguous = self._checks[key]
        # the character before and after the match: the end of the text before it, or of the match
        # right before it; likewise after ("" at either end of the text)
        before = parts[i - 1][-1:] or (parts[i - 2][-1] if i > 1 else "")
        after = parts[i + 1][:1] or (parts[i + 2][0] if i + 2 < len(parts) else "")
        if latin_first and before and before in _LATIN_CHARS:
            return False
        if latin_last and after and after in _LATIN_CHARS:
            return False
        if spellings is not None:
            start = sum(map(len, parts[:i]))
            if prepared.norm[start:start + len(key)] not in spellings:
                return False
            if ambiguous and _joins_name(prepared.norm, start, start + len(key)):
                return False
        return not (guard and before and before + key[0] in two_char_words())

    def spans(self, text: str | Prepared | None) -> list[tuple[list[str], int, int]]:
        """Every accepted match as (labels, start, end); offsets index `normalise(text)`.

        `text` may come `prepare`d, so several matchers over one text normalise it once."""
        if not text or self._regex is None:
            return []
        norm, low = text if isinstance(text, Prepared) else prepare(text)
        out, cued = [], []
        checks, size = self._checks, len(low)
        for match in self._regex.finditer(low):
            key = match.group()
            start, end = match.span()
            labels, latin_first, latin_last, spellings, guard, ambiguous = checks[key]
            if latin_first and start > 0 and low[start - 1] in _LATIN_CHARS:
                continue
            if latin_last and end < size and low[end] in _LATIN_CHARS:
                continue
            if spellings is not None and norm[start:end] not in spellings:
                continue
            if guard and _straddles_word(low, start):
                continue
            if ambiguous and spellings is not None and _joins_name(norm, start, end):
                continue
            out.append((labels, start, end))
            cued.append(not ambiguous)
        # one firm mention (an unambiguous name, or an ambiguous one in an attribution) is the cue for all the others
        return out if any(cued) or any(_attributed(low, start, end) for _, start, end in out) else []

    def __bool__(self) -> bool:
        return self._regex is not None


_ASCII_LOWER = {c: c + 32 for c in range(65, 91)}


class Prepared(NamedTuple):
    """A text as every TermMatcher scans it: whitespace runs as one space, and its lower case."""

    norm: str
    low: str


def prepare(text: str) -> Prepared:
    norm = normalise(text)
    low = norm.lower()
    if len(low) != len(norm):  # a few non-ASCII letters change length when lowercased
        low = norm.translate(_ASCII_LOWER)
    return Prepared(norm, low)


def normalise(text: str) -> str:
    """Runs of whitespace as one space, dash and name-dot variants as one: the text `TermMatcher.spans` offsets
    refer to."""
    text = _SPACE_RUN.sub(" ", text)
    return text.translate(_FOLD) if _FOLDED.search(text) else text


def _joins_name(norm: str, start: int, end: int) -> bool:
    """Whether the cased name norm[start:end] is part of a longer name: a capitalised word right after it, or right
    before it where that word does not start the text or a sentence."""
    if _NAME_GOES_ON.match(norm, end):
        return True
    word = _WORD_BEFORE.search(norm, max(0, start - 40), start)
    if word is None:
        return False
    head = norm[:word.start()].rstrip()
    return bool(head) and head[-1] not in _SENTENCE_STARTS


def _attributed(low: str, start: int, end: int) -> bool:
    """Whether the match low[start:end] stands in an attribution: "told X", "via X", "X reported", "(X)"."""
    return bool(_CUE_BEFORE.search(low, max(0, start - 14), start) or _CUE_AFTER.match(low, end))


def _squash(term: str) -> str:
    return term.replace(" ", "")


def _automaton(terms: Iterable[str]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for term in terms:
        automaton.add_word(term, (term, len(term) - 1))  # the term and how far back from its end it starts
    automaton.make_automaton()
    return automaton


def _split(automaton: ahocorasick.Automaton, low: str) -> list[str]:
    """`low` cut at every match, as `re.split` with a capturing group gives it: text, match, text, …, text.

    Leftmost, then longest, as the regex: the longest term at each start, then starts taken left to right past the
    previous match. Not `iter_long`, which skips a shorter term that starts inside a longer one's failed attempt
    (no match in "爱奇艺" for the terms 奇艺 and 爱奇艺AI艺人库)."""
    longest: dict[int, str] = {}
    for end, (term, back) in automaton.iter(low):  # matches come by their end, in text order
        longest[end - back] = term  # so a later match from the same start is a longer one
    parts, last = [], 0
    for start in sorted(longest):
        if start >= last:
            term = longest[start]
            parts += (low[last:start], term)
            last = start + len(term)
    parts.append(low[last:])
    return parts


def _trie_pattern(terms: Iterable[str]) -> str:
    """A regex matching any of `terms`, longest first, built as a character trie."""
    trie: dict[str, dict] = {}
    for term in terms:
        node = trie
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        alternatives = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alternatives:
            return ""
        body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


@lru_cache(maxsize=1)
def two_char_words() -> frozenset[str]:
    """Two-character words of jieba's main dictionary (used to reject straddling short aliases)."""
    import jieba

    path = Path(jieba.__file__).with_name("dict.txt")
    words = set()
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            word = line.split(" ", 1)[0]
            if len(word) == 2:
                words.add(word)
    return frozenset(words)


def _straddles_word(text: str, start: int) -> bool:
    """Whether the character before the term and its first one form a word (对于|正常, 神奇|艺术).

    Only that side: on real text a word formed by the term's last character and the next one (于正|正在,
    百度|度数, 奇艺|高清) was a true mention 8 times in 9, while every term with a word before it was not one
    (终于|正常, 属于|正常, 用于|正途) but for 上百度."""
    return start > 0 and text[start - 1 : start + 1] in two_char_words()


def pinyin_variants(entity: Entity) -> list[str]:
    """Pinyin spellings of the entity's Chinese names ("zhang ruo yun", "zhangruoyun").

    For people, only when the curated Latin name agrees with it: pypinyin reads surnames such as 曾
    (Zeng) with their common reading (ceng), and a wrong spelling would invent mentions.
    """
    from pypinyin import lazy_pinyin

    latin_keys = {_squash(n).lower() for n in entity.all_names() if not _CJK.search(n[:1] or "")}
    out: list[str] = []
    for name in entity.all_names():
        if not _CJK.match(name) or len(name) < 2:
            continue
        syllables = lazy_pinyin(name)
        joined = "".join(syllables)
        if len(joined) < 5:
            continue  # too short to be distinctive ("masu")
        if entity.type in _PERSON_TYPES and latin_keys and joined not in latin_keys:
            continue
        out.extend([" ".join(syllables), joined])
    return list(dict.fromkeys(out))


def entity_terms(tracker: Tracker) -> dict[str, list[str]]:
    """Entity id → every alias it is matched by (names, aliases, pinyin)."""
    terms: dict[str, list[str]] = {}
    for entity in tracker.entities:
        names = entity.all_names()
        names += [n.lstrip("@") for n in names if n.startswith("@")]
        names += [_SPACE.sub("", n) for n in names if " " in n and not _CJK.search(n)]  # hashtag style
        names += [n.replace("'", "\u2019") for n in names if "'" in n]  # typographic apostrophe ("Zhang Ruoyun’s")
        terms[entity.id] = list(dict.fromkeys([*names, *pinyin_variants(entity), *entity.ambiguous]))
    return terms


def ambiguous_terms(tracker: Tracker) -> list[str]:
    """The names of the tracker's entities that count only with a cue."""
    return [name for entity in tracker.entities for name in entity.ambiguous]


_MATCHERS: dict[int, tuple[Tracker, TermMatcher]] = {}


def entity_matcher(tracker: Tracker) -> TermMatcher:
    """The compiled matcher of a tracker (built once per tracker object)."""
    cached = _MATCHERS.get(id(tracker))
    if cached is not None and cached[0] is tracker:
        return cached[1]
    matcher = TermMatcher(entity_terms(tracker), ambiguous=ambiguous_terms(tracker))
    _MATCHERS[id(tracker)] = (tracker, matcher)
    return matcher


def entity_mentions(text: str | None, tracker: Tracker) -> list[str]:
    """Ids of the tracker's entities mentioned in `text`, in order of first mention."""
    return entity_matcher(tracker).find(text)


def co_mentions(entity_lists: Iterable[Sequence[str]]) -> Counter[tuple[str, str]]:
    """How many texts mention each unordered pair of entities together (pairs sorted by id)."""
    pairs: Counter[tuple[str, str]] = Counter()
    for ids in entity_lists:
        pairs.update(combinations(sorted(set(ids)), 2))
    return pairs




