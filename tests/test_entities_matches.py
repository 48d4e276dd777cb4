"""TermMatcher.find and .matches accept exactly the matches `spans` accepts, on texts made to hit every check."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.nlp.entities import TermMatcher, entity_matcher, prepare
from analysis.nlp.stance import _lexicon
from analysis.nlp.topics import frame_matcher
from collectors.trackers import load_trackers

TERMS = {"ai": ["AI演员", "AI艺人库", "纳逗Pro", "iQIYI"], "word": ["Variety", "Deadline"], "short": ["奇艺", "马苏"],
         "long": ["爱奇艺AI艺人库", "SAG-AFTRA"]}
# pieces of the terms, Latin letters and digits beside them, words a short term may straddle, spaces
PIECES = ["AI", "ai", "演员", "艺人库", "纳逗", "Pro", "pro", "iQIYI", "iqiyi", "Variety", "variety", "Deadline", "奇艺",
          "神", "术", "骑", "马苏", "州", "爱", "x", "7", " ", "，", "SAG-AFTRA", "-", "AFTRA", "told ", " said", "(", ")",
          " Show"]


def _by_spans(matcher: TermMatcher, text: str) -> list[str]:
    found: dict[str, None] = {}
    for labels, _, _ in matcher.spans(text):
        found.update(dict.fromkeys(labels))
    return list(found)


def _matchers() -> list[TermMatcher]:
    lexicon = _lexicon()
    return [TermMatcher(TERMS), TermMatcher(TERMS, nested=False, guard_short=False),
            TermMatcher(TERMS, ambiguous=["Variety", "马苏"]), frame_matcher(), lexicon.cues,
            lexicon.speakers, *(entity_matcher(t) for t in load_trackers())]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=14))
def test_find_and_matches_agree_with_spans(pieces: list[str]) -> None:
    text = "".join(pieces)
    for matcher in _matchers():
        assert matcher.find(text) == _by_spans(matcher, text), text
        parts, accepted = matcher.matches(prepare(text))
        starts = [sum(map(len, parts[:i])) for i in accepted]
        assert [(matcher.labels_of(parts[i]), s, s + len(parts[i])) for i, s in zip(accepted, starts)] == \
            matcher.spans(text), text


STANCE_PIECES = ["支持", "反对", "抵制", "可以", "接受", "从未签署", "本工作室", "不", "没", "not ", "don't ", "support",
                 "boycott", "fine", " ", "，", "x", "但", "如果", "never signed", "our client"]


def _cue_counts_by_spans(text: str) -> dict[str, int]:
    """stance.cue_counts as written over `spans` (the reference)."""
    from analysis.nlp.entities import normalise
    from analysis.nlp.stance import _FLIPPABLE, CUE_CLASSES, _negated

    lex = _lexicon()
    norm = normalise(text)
    counts = dict.fromkeys(CUE_CLASSES, 0)
    for labels, start, _ in lex.cues.spans(norm):
        flip = bool(_FLIPPABLE & set(labels)) and _negated(norm, start, lex.zh_negators, lex.en_negators)
        for label in labels:
            if flip and label in _FLIPPABLE:
                if label == "oppose":
                    counts["accept"] += 1
                label = "support" if label == "oppose" else "oppose"
            counts[label] += 1
    if counts["deny_act"]:
        counts["deny_speaker"] = len(lex.speakers.spans(norm))
    return counts


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(STANCE_PIECES), max_size=16))
def test_stance_cue_counts_agree_with_counting_over_spans(pieces: list[str]) -> None:
    from analysis.nlp.stance import cue_counts

    text = "".join(pieces)
    assert cue_counts(text) == _cue_counts_by_spans(text), text


def test_the_automaton_cuts_texts_where_the_regex_trie_did() -> None:
    # matches() cuts with an Aho-Corasick automaton (leftmost, then longest); the regex trie it replaced is the reference
    import re

    from analysis.nlp.entities import _split, _trie_pattern
    from collectors.demo import generate

    texts = generate(load_trackers(), records=600, seed=11)["text"].to_pylist()
    texts += ["".join(PIECES[i % len(PIECES)] for i in range(k, k + 9)) for k in range(len(PIECES))]
    for matcher in _matchers():
        splitter = re.compile(f"({_trie_pattern(matcher._labels)})")
        for text in texts:
            low = prepare(text).low
            assert _split(matcher._automaton, low) == splitter.split(low), text


def test_a_short_term_inside_a_longer_terms_failed_start_is_found() -> None:
    # pyahocorasick's iter_long skipped 奇艺 in 爱奇艺 while trying 爱奇艺AI艺人库 (found by the hypothesis test above)
    matcher = TermMatcher({"short": ["奇艺"], "long": ["爱奇艺AI艺人库"]}, guard_short=False)
    for text in ("爱奇艺", "看爱奇艺的AI演员", "爱奇艺AI艺人"):
        assert matcher.find(text) == _by_spans(matcher, text) == ["short"], text
