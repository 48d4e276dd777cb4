"""Segmentation: domain and tracker terms stay whole, stopwords go, odd input is defined."""

from __future__ import annotations

from analysis.nlp.segment import backend, domain_terms, lcut, stopwords, tokenize, tracker_terms


def test_domain_terms_stay_whole() -> None:
    tokens = lcut("爱奇艺的纳逗Pro上线AI艺人库，未经授权使用肖像权属于侵权，数字人和换脸也是，有人写成纳豆Pro")
    for term in ["纳逗Pro", "纳豆Pro", "AI艺人库", "未经授权", "肖像权", "侵权", "数字人", "换脸"]:
        assert term in tokens, (term, tokens)


def test_tracker_entities_are_in_the_dictionary() -> None:
    names = tracker_terms()
    assert names, "trackers.toml should contribute entity names"
    cjk = next(n for n in names if any("\u4e00" <= ch <= "\u9fff" for ch in n) and 2 <= len(n) <= 6)
    assert cjk in lcut(f"今天{cjk}又上热搜了")


def test_tokenize_drops_stopwords_punctuation_and_placeholder() -> None:
    tokens = tokenize("@user 我们觉得这个AI演员的表演，真的很假！！ 123")
    assert "我们" not in tokens and "的" not in tokens and "，" not in tokens and "123" not in tokens
    assert "user" not in tokens and "ai演员" in tokens and "表演" in tokens
    assert "不" not in stopwords() and "没有" not in stopwords()  # negators matter downstream


def test_odd_inputs() -> None:
    assert lcut("") == [] and tokenize("") == []
    assert tokenize("😂😂") == ["😂😂"] or all(t for t in tokenize("😂😂"))
    assert len(lcut("肖像权" * 20000)) == 20000


def test_backend_matches_jieba_reference() -> None:
    import jieba

    assert backend() in {"jieba", "jieba_fast_dat"}
    text = "就算不是美食文很少断更"
    assert lcut(text) == [t for t in jieba.lcut(text) if t.strip()]
    assert all(len(t) >= 2 for t, _, _ in domain_terms())


def test_a_masked_handle_leaves_no_tokens() -> None:
    # clean_text masks only the first label of a Bluesky or Mastodon handle ("@user.doe.example.com"); the rest
    # of the user's handle must not become keywords (and "bsky"/"social" would top every Bluesky day)
    from analysis.nlp.segment import tokenize_many
    from analysis.nlp.text import clean_text

    for raw in ["@jane.doe.example.com thanks for the thread", "@alice.bsky.social thanks for the thread",
                "@alice@mastodon.social thanks for the thread"]:
        model = clean_text(raw).model_text
        assert tokenize(model) == tokenize_many([model])[0] == ["thanks", "thread"], raw
    assert tokenize("@user.不喜欢") == tokenize("@user 不喜欢")  # only Latin labels are part of a handle


def test_a_weibo_video_card_leaves_no_tokens() -> None:
    # "<poster's nickname>的微博视频" is the link text of a Weibo video: an ordinary user's nickname, not content
    from analysis.nlp.segment import tokenize_many
    from analysis.nlp.text import clean_text

    for card in ("刘老师说电影的微博视频", "小火炮_2的秒拍视频"):
        model = clean_text(f"AI演员太假了 {card}").model_text
        assert tokenize(model) == tokenize_many([model])[0] == tokenize("AI演员太假了"), card


def test_jiebas_dictionary_cache_is_kept_in_the_users_data_dir(tmp_path, monkeypatch) -> None:
    """Not jieba's default /tmp/jieba.cache, which another user of a shared server may own (jieba then prints a
    traceback on every start); where the data dir cannot hold it, jieba's default is left alone."""
    import os

    from analysis.nlp.segment import _dictionary_cache_dir, _tokenizer

    monkeypatch.setenv("ACTORWATCH_DATA", str(tmp_path / "data"))
    assert _dictionary_cache_dir() == str(tmp_path / "data" / "cache" / "jieba")
    assert os.path.isdir(tmp_path / "data" / "cache" / "jieba")
    tokenizer = _tokenizer()  # built once per process, with the data dir of that moment
    if type(tokenizer).__module__.split(".")[0] == "jieba":
        assert tokenizer.tmp_dir and tokenizer.tmp_dir.endswith(os.path.join("cache", "jieba"))
    (tmp_path / "ro").write_text("a file where the data dir should be")
    monkeypatch.setenv("ACTORWATCH_DATA", str(tmp_path / "ro"))
    assert _dictionary_cache_dir() is None


def test_english_keywords_are_words_not_pronouns_or_pieces_of_contractions() -> None:
    from analysis.nlp.segment import tokenize_many
    from analysis.nlp.topics import record_keywords

    text = "They say AI actors aren't real actors, and they're right: we don't need Tilly Norwood's agents."
    for tokens in (tokenize(text), tokenize_many([text])[0]):
        # jieba cuts at the apostrophe: "aren", "t", "re" and the pronouns came out as the post's keywords
        assert not {"they", "we", "aren", "don", "re", "t", "s"} & set(tokens), tokens
        assert {"actors", "real", "right", "need", "tilly", "norwood", "agents"} <= set(tokens)
        assert tokens.count("not") == 2  # the negator stays, as 不 and 没有 do (stopwords.txt)
        assert set(record_keywords(tokens, 5)) <= {"actors", "real", "right", "need", "tilly", "norwood", "agents",
                                                   "ai", "not"}
    assert tokenize("We can\u2019t and won\u2019t") == ["not", "not"]
    assert "isn" not in tokenize("这个AI演员isn't好") and "not" in tokenize("这个AI演员isn't好")
