"""A tiny labelled corpus (developer-written phrases, no real post) laid out like ../shared/data + data/labelled,
so stance and emotion training can run end to end in a test."""

from __future__ import annotations

import csv
from pathlib import Path

LABELLED_COLUMNS = ["text", "label", "stance", "emotion", "confidence", "lang", "url", "page_date", "split",
                    "synthetic", "topic"]
# stance → (zh phrase, en phrase, sentiment label, emotion)
STANCE_PHRASES = {
    "oppose": ("坚决抵制AI演员，偷脸可耻", "Boycott AI actors, this is theft", "0", "anger"),
    "support": ("AI演员太棒了，期待新作", "AI actors are great, cannot wait", "1", "joy"),
    "conditional": ("只要本人同意并付费就可以", "Fine as long as they consent and get paid", "2", "neutral"),
    "deny-involvement": ("本工作室从未签署授权协议", "Our client never signed any agreement", "2", "neutral"),
    "neutral": ("平台今天发布了公告", "The platform published a notice today", "2", "neutral"),
}
EMOTION_PHRASES = {  # SMP2020 names
    "happy": "今天太开心了哈哈", "angry": "气死我了什么破服务", "sad": "好难过想哭", "fear": "好害怕不敢出门",
    "surprise": "天哪居然是真的", "neutral": "明天上午开会",
}
NLPCC2014_PHRASES = {
    "happiness": "终于放假了真高兴", "like": "这家店的蛋糕真好吃", "anger": "太气人了不讲理", "disgust": "恶心死了真反胃",
    "sadness": "心里好难受", "fear": "吓死我了好可怕", "surprise": "没想到竟然这样", "none": "周末去图书馆",
}
NLPCC2016 = {"春节放鞭炮": ("放鞭炮才有年味", "放鞭炮污染空气吵死了", "春节快到了"),
             "开放二胎": ("开放二胎是好政策", "开放二胎养不起", "二胎政策今天公布")}


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _labelled_rows(split: str, copies: int, synthetic: bool = False) -> list[list[str]]:
    rows = []
    for i in range(copies):
        for stance, (zh, en, label, emotion) in STANCE_PHRASES.items():
            for lang, text in (("zh", zh), ("en", en)):
                rows.append([f"{text} {split}{i}", label, stance, emotion, "high", lang, "https://example.org/p",
                             "", split, "true" if synthetic else "false", "test"])
    return rows


def write_tiny_corpus(root: Path) -> tuple[Path, Path]:
    """(shared dir, labelled dir) under `root`."""
    shared, labelled = root / "shared", root / "labelled"
    _write(labelled / "train.csv", LABELLED_COLUMNS, _labelled_rows("train", 3))
    _write(labelled / "synthetic_train.csv", LABELLED_COLUMNS, _labelled_rows("train", 2, synthetic=True))
    _write(labelled / "dev.csv", LABELLED_COLUMNS, _labelled_rows("dev", 2))
    _write(labelled / "test.csv", LABELLED_COLUMNS, _labelled_rows("test", 2))
    code = {"FAVOR": "1", "AGAINST": "0", "NONE": "2"}
    nlpcc = [[f"{text}{i}", target, code[name], name, f"tiny:{target}:{name}:{i}"]
             for target, texts in NLPCC2016.items() for name, text in zip(code, texts, strict=True) for i in range(6)]
    _write(shared / "stance_nlpcc2016_train.csv", ["text", "target", "label", "source_label", "source_id"], nlpcc)
    smp = [[f"{text}{i}", "2", name, f"usual:{name}:{i}"] for name, text in EMOTION_PHRASES.items() for i in range(10)]
    _write(shared / "sentiment_usual_train.csv", ["text", "label", "source_label", "source_id"], smp)
    posts = [(f"T:{name}{i}", f"{text}{i}。", name) for name, text in NLPCC2014_PHRASES.items() for i in range(10)]
    _write(shared / "emotion_nlpcc2014_weibos.csv", ["text", "label", "source_label", "source_id"],
           [[text, "2", name, pid] for pid, text, name in posts])
    _write(shared / "emotion_nlpcc2014_sentences.csv", ["text", "label", "source_label", "weibo_label", "source_id"],
           [[text, "2", name, name, f"{pid}.1"] for pid, text, name in posts])
    return shared, labelled
