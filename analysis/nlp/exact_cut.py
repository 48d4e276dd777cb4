"""jieba's default cut (HMM on), word for word, with the Python work per character cut down.

jieba 0.42.1 builds a dict-of-lists DAG, then scores every edge in a generator with `max` over tuples,
then walks the route in a generator: most of its time is interpreter overhead, not the algorithm. This
does the same dynamic programme in one right-to-left pass over the same dictionary (the tokenizer's
`FREQ` and `total`, user words included) with each word's log-probability looked up instead of
recomputed, and hands runs of unknown characters to jieba's own HMM (`finalseg.cut`). Scores are the
same floats (`(log f − log total) + route`, in jieba's order) and ties go to the longer word as in
jieba's `max((score, x))`, so the output is identical; tests/test_segment_exact.py checks it against
`Tokenizer.lcut` on the probe sentences, the labelled sets and a demo corpus.

Where jieba-next is installed, its compiled trie computes the DAG and route (the same sums and ties, 2.5× faster
than the loop below); it is used only if it routes a set of probe sentences exactly as the loop does. Its own
HMM is not used: it breaks ties between states differently from jieba on characters the HMM has never seen.
"""

from __future__ import annotations

from collections.abc import Callable
from math import log
from typing import Any

from jieba import finalseg, re_han_default, re_skip_default

_MISSING = object()
_NONE = float("-inf")  # no candidate yet: any finite score beats it


class ExactCutter:
    """`cut(text)` → the same list as `tokenizer.lcut(text)` (default mode, HMM on)."""

    def __init__(self, tokenizer: Any) -> None:
        tokenizer.check_initialized()
        self._freq: dict[str, int] = tokenizer.FREQ
        self._log_total = log(tokenizer.total)
        self._logp_table: dict[str, float | None] | None = None
        self._route = _native_route(tokenizer) or self._py_route

    @property
    def _logp(self) -> dict[str, float | None]:
        """One lookup per fragment: log(f) - log(total) as jieba's calc computes it before adding the route's
        tail, or None for a fragment that is only a prefix of words (jieba's FREQ value 0). Built on first use
        (~50 MB): with the compiled route it is never needed."""
        if self._logp_table is None:
            log_total = self._log_total
            self._logp_table = {w: log(f) - log_total if f else None for w, f in self._freq.items()}
        return self._logp_table

    def cut(self, text: str, memo: dict[str, list[str]] | None = None,
            then: Callable[[list[str]], list[str]] | None = None) -> list[str]:
        """With `memo` (piece → words), shared by the calls for one batch, a piece of text seen before —
        a run of Han text or what lies between two — is not segmented again; `then` maps a new piece's words
        before they are kept and returned (e.g. dropping stopwords: words are segmented the same in any context)."""
        out: list[str] = []
        if memo is not None:
            for piece in re_han_default.split(text):
                words = memo.get(piece)
                if words is None:
                    words = []
                    self._cut_piece(piece, words)
                    if then is not None:
                        words = then(words)
                    memo[piece] = words
                out.extend(words)
            return out
        for block in re_han_default.split(text):
            if block:
                self._cut_piece(block, out)
        return out if then is None else then(out)

    def _cut_piece(self, block: str, out: list[str]) -> None:
        if re_han_default.match(block):
            self._cut_block(block, out)
        else:
            for part in re_skip_default.split(block):
                if re_skip_default.match(part):
                    out.append(part)
                else:
                    out.extend(part)

    def _py_route(self, sentence: str) -> list[int]:
        """Index of the last character of the best word starting at each position (jieba's route)."""
        logp = self._logp
        n = len(sentence)
        score = [0.0] * (n + 1)
        ends = [0] * (n + 1)
        unknown = -self._log_total  # log(1) - log(total): a character that is no word on its own
        missing, none = _MISSING, _NONE
        get = logp.get
        for start in range(n - 1, -1, -1):
            best = none  # below every score
            end = start + 1
            frag = sentence[start]
            while (p := get(frag, missing)) is not missing:
                if p is not None:
                    s = p + score[end]
                    if s >= best:  # ties: the later (longer) candidate, as jieba's max
                        best, best_end = s, end
                if end >= n:
                    break
                end += 1
                frag = sentence[start:end]
            if best is none:
                best, best_end = unknown + score[start + 1], start + 1
            score[start], ends[start] = best, best_end - 1
        return ends

    def _cut_block(self, sentence: str, out: list[str]) -> None:
        ends = self._route(sentence)
        freq = self._freq
        n = len(sentence)
        x = 0
        buf_start = -1
        while x < n:
            y = ends[x] + 1
            if y - x == 1:
                if buf_start < 0:
                    buf_start = x
            else:
                if buf_start >= 0:
                    self._flush(sentence[buf_start:x], freq, out)
                    buf_start = -1
                out.append(sentence[x:y])
            x = y
        if buf_start >= 0:
            self._flush(sentence[buf_start:], freq, out)

    @staticmethod
    def _flush(buf: str, freq: dict[str, int], out: list[str]) -> None:
        if len(buf) == 1:
            out.append(buf)
        elif not freq.get(buf):
            out.extend(_hmm_memo(buf))
        else:
            out.extend(buf)


# Sentences whose routes exercise ties, user words, long compounds, digits and unknown characters.
_ROUTE_PROBES = ("同济大学的学生今天下午去看电影", "倒桩的第一步是要起床啊啊啊啊啊", "就算不是美食文很少断更",
                 "好似人间地狱之间的渄洄", "中华人民共和国国务院新闻办公室", "研究生命起源", "结婚的和尚未结婚的",
                 "他说的确实在理", "纳逗Pro上线AI演员", "旧历啧啧啧愿望就是吃好睡饱身边人好")


def jieba_route(tokenizer: Any, sentence: str) -> list[int]:
    """jieba's own route (its `get_DAG` and `calc`): the index of the last character of each position's best word."""
    route: dict[int, tuple[float, int]] = {}
    tokenizer.calc(sentence, tokenizer.get_DAG(sentence), route)
    return [route[i][1] for i in range(len(sentence))]


def _native_route(tokenizer: Any) -> Callable[[str], list[int]] | None:
    """jieba-next's compiled `get_dag_and_calc` over the tokenizer's dictionary, or None: not installed, or it routes
    a probe differently from jieba itself (a later release may change its private API)."""
    try:
        from jieba_next.jieba_next_rust import PrefixDict

        route = PrefixDict(tokenizer.FREQ, float(tokenizer.total)).get_dag_and_calc
        if all(list(route(s))[:len(s)] == jieba_route(tokenizer, s) for s in _ROUTE_PROBES):
            return route
    except Exception:  # noqa: BLE001 — an optional accelerator: any failure means the loop, which is exact
        return None
    return None


_HMM_MEMO: dict[str, list[str]] = {}
_HMM_MEMO_MAX = 100_000  # runs kept (~20 MB at most); then it starts over
_hmm_memo_made_with = [-1]  # how many force-split words jieba had when the kept runs were cut


def _hmm_memo(run: str) -> list[str]:
    """hmm_cut's words for a run of characters the dictionary does not join, kept across batches: such runs (names,
    slang, typos) recur from batch to batch, and the HMM's answer depends only on the run and on jieba's
    force-split words (`add_word(w, 0)` adds one), whose count is checked on every call."""
    if len(finalseg.Force_Split_Words) != _hmm_memo_made_with[0] or len(_HMM_MEMO) >= _HMM_MEMO_MAX:
        _HMM_MEMO.clear()
        _hmm_memo_made_with[0] = len(finalseg.Force_Split_Words)
    words = _HMM_MEMO.get(run)
    if words is None:
        words = _HMM_MEMO[run] = []
        hmm_cut(run, words)
    return words


def hmm_cut(sentence: str, out: list[str]) -> None:
    """`finalseg.cut(sentence)` appended to `out`: Han runs through the BMES HMM, other runs split as jieba does."""
    force_split = finalseg.Force_Split_Words
    if finalseg.re_han.fullmatch(sentence):  # the usual case: one Han run, which split would return between two ""
        for word in _hmm_words(sentence):
            if word in force_split:
                out.extend(word)
            else:
                out.append(word)
        return
    for block in finalseg.re_han.split(sentence):
        if finalseg.re_han.match(block):
            for word in _hmm_words(block):
                if word in force_split:
                    out.extend(word)
                else:
                    out.append(word)
        else:
            out.extend(x for x in finalseg.re_skip.split(block) if x)


_MIN = finalseg.MIN_FLOAT
_START = finalseg.start_P
_TRANS = finalseg.trans_P
# Transition log-probabilities into each state from its two possible predecessors (finalseg.PrevStatus).
_T_EB, _T_SB = _TRANS["E"].get("B", _MIN), _TRANS["S"].get("B", _MIN)
_T_MM, _T_BM = _TRANS["M"].get("M", _MIN), _TRANS["B"].get("M", _MIN)
_T_SS, _T_ES = _TRANS["S"].get("S", _MIN), _TRANS["E"].get("S", _MIN)
_T_BE, _T_ME = _TRANS["B"].get("E", _MIN), _TRANS["M"].get("E", _MIN)


def _hmm_words(obs: str) -> list[str]:
    """finalseg's Viterbi over states B, M, E, S and the words it yields, with jieba's sums and ties.

    jieba takes max((prob, state)) over the predecessors, so an equal prob goes to the later state
    letter (S over E, M over B); each sum is (previous + transition) + emission, in that order.
    """
    emit = finalseg.emit_P
    e_b, e_m, e_e, e_s = emit["B"], emit["M"], emit["E"], emit["S"]
    first = obs[0]
    v_b = _START["B"] + e_b.get(first, _MIN)
    v_m = _START["M"] + e_m.get(first, _MIN)
    v_e = _START["E"] + e_e.get(first, _MIN)
    v_s = _START["S"] + e_s.get(first, _MIN)
    back: list[tuple[str, str, str, str]] = []  # per step: the predecessor of B, M, E, S
    for ch in obs[1:]:
        em = e_b.get(ch, _MIN)
        a, b = v_e + _T_EB + em, v_s + _T_SB + em
        n_b, p_b = (a, "E") if a > b else (b, "S")
        em = e_m.get(ch, _MIN)
        a, b = v_m + _T_MM + em, v_b + _T_BM + em
        n_m, p_m = (a, "M") if a >= b else (b, "B")
        em = e_s.get(ch, _MIN)
        a, b = v_s + _T_SS + em, v_e + _T_ES + em
        n_s, p_s = (a, "S") if a >= b else (b, "E")
        em = e_e.get(ch, _MIN)
        a, b = v_b + _T_BE + em, v_m + _T_ME + em
        n_e, p_e = (a, "B") if a > b else (b, "M")
        v_b, v_m, v_e, v_s = n_b, n_m, n_e, n_s
        back.append((p_b, p_m, p_e, p_s))
    state = "E" if v_e > v_s else "S"
    index = {"B": 0, "M": 1, "E": 2, "S": 3}
    states = [state]
    for step in reversed(back):
        state = step[index[state]]
        states.append(state)
    states.reverse()
    words: list[str] = []
    begin = next_i = 0
    for i, pos in enumerate(states):
        if pos == "B":
            begin = i
        elif pos == "E":
            words.append(obs[begin:i + 1])
            next_i = i + 1
        elif pos == "S":
            words.append(obs[i])
            next_i = i + 1
    if next_i < len(obs):
        words.append(obs[next_i:])
    return words
