"""`actorwatch evaluate`: the JSON contract, the human table, clear errors on bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from analysis.nlp.nlp_cli import commands, evaluate, train
from analysis.nlp.sentiment import DEFAULT_MODEL, models_dir

FIX = Path(__file__).resolve().parent / "fixtures" / "sentiment"
CONTRACT = {"n", "accuracy", "macro_f1", "binary_accuracy", "binary_macro_f1", "per_class", "confusion",
            "accuracy_ci95", "macro_f1_ci95", "model", "model_version"}
shipped = pytest.mark.skipif(not (models_dir() / DEFAULT_MODEL / "model.npz").exists(),
                             reason="shipped model not built yet (run `actorwatch train`)")


def _json(args: list[str]) -> dict:
    result = CliRunner().invoke(evaluate, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_commands_are_exported() -> None:
    assert [c.name for c in commands][:2] == ["train", "evaluate"]


@pytest.mark.parametrize("model", ["vader", "snownlp", pytest.param("default", marks=shipped)])
def test_json_contract_on_tiny_file(model: str) -> None:
    report = _json([str(FIX / "tiny.csv"), "--model", model, "--json", "--bootstrap", "200"])
    assert CONTRACT <= set(report)
    assert report["n"] == 5 and report["binary_n"] == 3
    assert set(report["per_class"]) == {"negative", "positive", "neutral"}
    for c in report["per_class"].values():
        assert {"precision", "recall", "f1"} <= set(c)
    matrix = report["confusion"]["matrix"]
    assert len(matrix) == 3 and sum(map(sum, matrix)) == 5
    for key in ("accuracy", "macro_f1"):
        lo, hi = report[f"{key}_ci95"]
        assert 0 <= lo <= report[key] <= hi <= 1 or report[key] in (lo, hi)


@shipped
def test_default_scores_as_production_does(tmp_path: Path) -> None:
    """The default routes English rows where the shipped model's card says (VADER or the model), as the
    dashboard and enrichment do, and says so."""
    from analysis.nlp.sentiment import english_scorer, get_scorer

    csv = tmp_path / "mixed.csv"
    csv.write_text("text,label\n太好了，真心喜欢[哈哈],1\n垃圾平台，恶心[怒],0\n"
                   "What a wonderful and joyful performance!,1\n", encoding="utf-8")
    routed = _json([str(csv), "--json", "--bootstrap", "200"])
    by_name = _json([str(csv), "--model", DEFAULT_MODEL, "--json", "--bootstrap", "200"])
    chinese_only = _json([str(csv), "--model", DEFAULT_MODEL, "--unrouted", "--json", "--bootstrap", "200"])
    vader = _json([str(csv), "--model", "vader", "--json", "--bootstrap", "200"])
    assert chinese_only["model"] == DEFAULT_MODEL and "routing" not in chinese_only
    assert by_name == routed  # a model by name is routed as `enrich --model NAME` routes it
    assert vader["confusion"]["matrix"][1][1] >= 1 and "routing" not in vader
    english = english_scorer(get_scorer())
    if english is not None:
        assert routed["model"] == f"{DEFAULT_MODEL}+{english.name}"
        assert routed["routing"] == {DEFAULT_MODEL: 2, english.name: 1}
        # confusion rows/columns follow the CSV labels: [1][1] counts positives found; the English row by its route
        assert routed["confusion"]["matrix"][1][1] == 2
    else:  # the model scores English rows itself: the routed report is the model's own
        assert routed["model"] == DEFAULT_MODEL and "routing" not in routed
        assert routed["confusion"] == chinese_only["confusion"]


@shipped
def test_human_table() -> None:
    result = CliRunner().invoke(evaluate, [str(FIX / "tiny.csv")])
    assert result.exit_code == 0
    assert "macro-F1" in result.output and "confusion" in result.output and "n = 5" in result.output


@pytest.mark.parametrize(("name", "message"), [
    ("invalid_utf8.csv", "not valid UTF-8 (line 3"),
    ("bad_label.csv", "line 3: label '5' is not 0, 1 or 2"),
    ("wrong_columns.csv", "missing column(s) text, label"),
    ("does_not_exist.csv", "no such file"),
])
def test_bad_files_give_one_clear_line(name: str, message: str) -> None:
    result = CliRunner().invoke(evaluate, [str(FIX / name), "--model", "vader", "--json"])
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output


def test_a_row_with_more_cells_than_the_header_is_a_line_numbered_error(tmp_path: Path) -> None:
    """An unquoted comma in the text ('好,2' labelled 1) would otherwise be read as text '好' labelled 2."""
    csv = tmp_path / "comma.csv"
    csv.write_text("text,label\n太好了,1\n好,2,1\n", encoding="utf-8")
    result = CliRunner().invoke(evaluate, [str(csv), "--model", "vader", "--json"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "line 3: 1 more cell(s) than the header has columns" in result.output


def test_unknown_model_is_a_clear_error() -> None:
    result = CliRunner().invoke(evaluate, [str(FIX / "tiny.csv"), "--model", "nope"])
    assert result.exit_code != 0 and "unknown sentiment model 'nope'" in result.output


def test_unrouted_auto_is_a_usage_error() -> None:
    """auto means routed by language: with --unrouted it was quietly the default model, unrouted."""
    result = CliRunner().invoke(evaluate, [str(FIX / "tiny.csv"), "--model", "auto", "--unrouted", "--json"])
    assert result.exit_code == 2 and "Traceback" not in result.output and not result.output.startswith("{")
    assert "--unrouted" in result.output and "--model auto" in result.output


def test_unrouted_with_a_stance_or_emotion_task_is_a_usage_error() -> None:
    """--unrouted is for sentiment; a stance or emotion evaluation quietly routed English rows all the same."""
    result = CliRunner().invoke(evaluate, [str(FIX / "tiny.csv"), "--task", "emotion", "--unrouted", "--json"])
    assert result.exit_code == 2 and "Traceback" not in result.output and "sentiment only" in result.output


@shipped
@pytest.mark.shared
def test_evaluate_on_shared_dev_file(shared_data: Path) -> None:
    report = _json([str(shared_data / "sentiment3_dev.csv"), "--json", "--bootstrap", "200"])
    assert report["n"] == 2732 and report["macro_f1"] > 0.7  # snownlp is 0.43 here


def test_train_without_shared_data_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(train, ["--shared", str(tmp_path / "missing"), "--out", str(tmp_path / "m")])
    assert result.exit_code != 0 and "labelled data folder not found" in result.output


def test_train_names_the_shared_folder_it_looked_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With ACTORWATCH_SHARED pointing at a missing folder the error named ../shared/data instead."""
    monkeypatch.setenv("ACTORWATCH_SHARED", str(tmp_path / "gone"))
    result = CliRunner().invoke(train, ["--task", "stance"])
    assert result.exit_code == 1 and f"{tmp_path / 'gone'}: labelled data folder not found" in result.output


def test_sentiment_json_adds_by_lang_where_the_file_has_a_lang_column(tmp_path: Path) -> None:
    """The README promises `by_lang` for evaluate on a file with a lang column; sentiment reports left it out."""
    rows = ["text,label,lang", "太好了，真心喜欢,1,zh", "垃圾平台，恶心,0,zh", "今天下雨,2,zh",
            "I love this actress,1,en", "This is awful and creepy,0,en", "The studio announced it today,2,en"]
    (tmp_path / "l.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = _json([str(tmp_path / "l.csv"), "--model", "vader", "--json", "--bootstrap", "200"])
    assert set(report["by_lang"]) == {"zh", "en"}
    assert report["by_lang"]["en"]["n"] == 3 and report["by_lang"]["zh"]["n"] == 3
    assert "by_lang" not in _json([str(FIX / "tiny.csv"), "--model", "vader", "--json", "--bootstrap", "200"])
    text = CliRunner().invoke(evaluate, [str(tmp_path / "l.csv"), "--model", "vader", "--bootstrap", "200"])
    assert text.exit_code == 0 and "[en] n = 3" in text.output


def test_help_says_stance_and_emotion_models_are_found_by_name() -> None:
    """The help said stance and emotion took 'default, rules or a model directory' only, while names work (the
    README's `evaluate FILE --task emotion --model ai-actors-e5-emotion-7c`, an adapted model's name)."""
    text = " ".join(CliRunner().invoke(evaluate, ["--help"]).output.split())
    assert "stance — default, rules (the rule baseline), a model by name" in text
    assert "emotion — default, majority, a model by name" in text


@pytest.mark.parametrize("task", ["sentiment", "emotion"])
def test_evaluate_leaves_out_rows_marked_synthetic(tmp_path: Path, task: str) -> None:
    """An exported demo sample, labelled and evaluated on, measures the model on text we wrote: such rows are left
    out and counted; a file of nothing else is refused."""
    column, value = ("label", "0") if task == "sentiment" else ("emotion", "anger")
    path = tmp_path / "labelled.csv"
    path.write_text(f"text,{column},synthetic\n太离谱了,{value},true\n真让人生气,{value},false\n气死了,{value},\n",
                    encoding="utf-8")
    res = CliRunner().invoke(evaluate, [str(path), "--task", task, "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["n"] == 2 and report["left_out_synthetic"] == 1
    path.write_text(f"text,{column},synthetic\n太离谱了,{value},true\n", encoding="utf-8")
    res = CliRunner().invoke(evaluate, [str(path), "--task", task])
    assert res.exit_code != 0 and "1 are synthetic (demo) records" in res.output


@pytest.mark.parametrize("task", ["sentiment", "emotion"])
def test_a_file_with_synthetic_and_lang_columns_reports_by_lang_over_the_rows_kept(tmp_path: Path, task: str) -> None:
    """A file with both a `synthetic` and a `lang` column (a labelled export with the language added) ended sentiment
    evaluation in an IndexError traceback: the labels of every row were indexed with the kept rows' languages."""
    column, values = ("label", ["0", "1", "2"]) if task == "sentiment" else ("emotion", ["anger", "joy", "neutral"])
    rows = [f"text,{column},synthetic,lang", f"假的样例,{values[0]},true,zh", f"Fake sample,{values[1]},true,en"]
    rows += [f"太离谱了,{values[0]},false,zh", f"真喜欢,{values[1]},false,zh", f"今天下雨,{values[2]},false,zh",
             f"I love this actress,{values[1]},false,en", f"The studio announced it today,{values[2]},false,en"]
    (tmp_path / "l.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    res = CliRunner().invoke(evaluate, [str(tmp_path / "l.csv"), "--task", task, "--json", "--bootstrap", "200"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["n"] == 5 and report["left_out_synthetic"] == 2
    assert {lang: sub["n"] for lang, sub in report["by_lang"].items()} == {"zh": 3, "en": 2}


def test_sentiment_intervals_resample_the_files_pages(tmp_path: Path) -> None:
    """Units of one page move together: with a url column, sentiment intervals resample pages, as stance and emotion
    do (they resampled rows, so 4 units of each page gave an interval as narrow as 4 times the pages would)."""
    rows = [("太棒了，支持", 1), ("恶心，抵制AI演员", 0), ("今天发布了新片", 2), ("很好看", 1), ("太差了", 0)] * 8
    lines = ["text,label,url"] + [f"{t},{y},https://example.org/p{i // 4}" for i, (t, y) in enumerate(rows)]
    (tmp_path / "paged.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "rows.csv").write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n", encoding="utf-8")
    paged = _json([str(tmp_path / "paged.csv"), "--model", "vader", "--json", "--bootstrap", "300"])
    plain = _json([str(tmp_path / "rows.csv"), "--model", "vader", "--json", "--bootstrap", "300"])
    assert paged["bootstrap"]["resampled"] == "url" and plain["bootstrap"]["resampled"] == "rows"
    assert paged["macro_f1"] == plain["macro_f1"]
    assert paged["macro_f1_ci95"] != plain["macro_f1_ci95"]


@pytest.mark.parametrize("task", ["sentiment", "emotion"])
def test_the_report_names_the_exact_file_it_measured(tmp_path: Path, task: str) -> None:
    """A figure cited from `evaluate --json` could not be tied to the file it was measured on: the report gave only
    the path, which another copy or a later edit of the labels shares. It now gives the file's SHA-256 and rows."""
    import hashlib

    column, value = ("label", "0") if task == "sentiment" else ("emotion", "anger")
    path = tmp_path / "labelled.csv"
    path.write_text(f"text,{column},synthetic\n太离谱了,{value},true\n真让人生气,{value},false\n气死了,{value},\n",
                    encoding="utf-8")
    report = _json([str(path), "--task", task, "--model", "vader" if task == "sentiment" else "default", "--json",
                    "--bootstrap", "200"])
    assert report["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert report["file_rows"] == 3 and report["n"] == 2  # every row read; one left out as synthetic


def test_by_confidence_is_the_report_on_the_rows_the_labeller_marked_so(tmp_path: Path) -> None:
    """A `confidence` column (labelling.md: high, low) adds the same report per value: each equals the report of a
    file holding just those rows, so clear-cut and ambiguous text are measured apart."""
    rows = [("太好了，真心喜欢", 1, "high"), ("垃圾平台，恶心", 0, "high"), ("今天下雨", 2, "High "),
            ("I love this actress", 1, "low"), ("This is awful and creepy", 0, "low"), ("Well I guess it is fine", 0, "low"),
            ("The studio announced it today", 2, "")]
    whole = tmp_path / "whole.csv"
    whole.write_text("text,label,confidence\n" + "".join(f"{t},{y},{c}\n" for t, y, c in rows), encoding="utf-8")
    report = _json([str(whole), "--model", "vader", "--json", "--bootstrap", "200"])
    assert list(report["by_confidence"]) == ["high", "low"]  # a blank cell is in no part; " High " is high
    for value in ("high", "low"):
        part = tmp_path / f"{value}.csv"
        part.write_text("text,label\n" + "".join(f"{t},{y}\n" for t, y, c in rows if c.strip().lower() == value),
                        encoding="utf-8")
        alone = _json([str(part), "--model", "vader", "--json", "--bootstrap", "200"])
        for key in ("n", "accuracy", "macro_f1", "confusion"):
            assert report["by_confidence"][value][key] == alone[key]
    assert "by_confidence" not in _json([str(FIX / "tiny.csv"), "--model", "vader", "--json", "--bootstrap", "200"])
    text = CliRunner().invoke(evaluate, [str(whole), "--model", "vader", "--bootstrap", "200"])
    assert text.exit_code == 0 and "[confidence low] n = 3" in text.output


def test_stance_by_confidence(tmp_path: Path) -> None:
    rows = [("坚决反对AI演员", "oppose", "high"), ("支持数字人演员", "support", "high"), ("今天发布了新剧", "neutral", "low"),
            ("我不反对，前提是本人同意", "conditional", "low"), ("工作室声明从未签约", "deny-involvement", "low")]
    whole = tmp_path / "s.csv"
    whole.write_text("text,stance,confidence\n" + "".join(f"{t},{s},{c}\n" for t, s, c in rows), encoding="utf-8")
    report = _json([str(whole), "--task", "stance", "--model", "rules", "--json", "--bootstrap", "200"])
    assert {v: r["n"] for v, r in report["by_confidence"].items()} == {"high": 2, "low": 3}
    low = tmp_path / "low.csv"
    low.write_text("text,stance\n" + "".join(f"{t},{s}\n" for t, s, c in rows if c == "low"), encoding="utf-8")
    alone = _json([str(low), "--task", "stance", "--model", "rules", "--json", "--bootstrap", "200"])
    assert report["by_confidence"]["low"]["confusion"] == alone["confusion"]
    assert report["by_confidence"]["low"]["macro_f1"] == alone["macro_f1"]


@shipped
@pytest.mark.parametrize("task", ["sentiment", "stance"])
def test_evaluating_the_default_names_the_slower_option_with_its_cards_figure(task: str, tmp_path: Path) -> None:
    from analysis.nlp.e5_task_model import E5_OPTIONS
    from analysis.nlp.model_info import named_card, valid_headline

    option = E5_OPTIONS[task]
    card = named_card(option)
    if card is None:
        pytest.skip(f"{option} is not installed")
    path = tmp_path / "l.csv"
    path.write_text("text,label,stance\n太好了,1,support\n真糟糕,0,oppose\n今天开会,2,neutral\n", encoding="utf-8")
    report = _json([str(path), "--task", task, "--json", "--bootstrap", "200"])
    assert report["slower_option"]["model"] == option
    assert report["slower_option"]["headline"] == valid_headline(card)
    text = CliRunner().invoke(evaluate, [str(path), "--task", task, "--bootstrap", "200"]).output
    assert f"slower option {option}" in text and f"{valid_headline(card)['value']:.2f}" in text
    named = "vader" if task == "sentiment" else "rules"
    assert "slower_option" not in _json([str(path), "--task", task, "--model", named, "--json", "--bootstrap", "200"])
    assert "slower_option" not in _json([str(path), "--task", task, "--model", option, "--json", "--bootstrap", "200"])
