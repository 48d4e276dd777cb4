"""Methods: sources and coverage, the sentiment, stance and emotion models with their measured figures (every
labelled set, ours vs the baselines, the in-domain test's confusion matrix), privacy, versions."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from analysis.core.wording import INDEPENDENT_POSTS
from collectors.display_zone import zone_label
from collectors.pseudonym import POLICY
from dashboard import data, render, versions
from dashboard.charts.embed import show_page_extras
from dashboard.model_info import (
    agreement_table,
    english_route_line,
    evaluation_table,
    in_domain_confusion,
    option_rows,
)

view = render.base_view()
model = render.model()

TASK_TITLES = {"sentiment": "Sentiment model", "stance": "Stance model", "emotion": "Emotion model"}
TASK_NOTES = {
    "sentiment": "Negative / neutral / positive per record. Shares are of *scored* records.",
    "stance": "Oppose / support / conditional / deny-involvement / neutral toward the tracker's AI-performer "
              "initiative, per post (Voices page). Curated statements keep their curated stance.",
    "emotion": "Joy / anger / disgust / sadness / fear / surprise / neutral per record (Topics page).",
}


def confusion_table(card: dict[str, Any] | None) -> None:
    """The in-domain test's confusion matrix (rows: true label, columns: predicted), as the card holds it."""
    cm = in_domain_confusion(card)
    if cm is None:
        st.caption("No in-domain test confusion matrix in this card.")
        return
    frame = pd.DataFrame(cm["matrix"], index=[f"true {x}" for x in cm["labels"]],
                         columns=[f"predicted {x}" for x in cm["labels"]])
    st.markdown(f"**Confusion matrix on the in-domain test split** (n = {cm['n']}; rows true, columns predicted):"
                if cm.get("n") is not None else "**Confusion matrix on the in-domain test split** (rows true, "
                "columns predicted):")
    st.dataframe(frame, width="stretch")


def measured_tables(task: str) -> None:
    """Every labelled set the card measured (ours vs baselines, with intervals) and the in-domain confusion."""
    card = (model.get("cards") or {}).get(task)
    badge = (model.get("badges") or {}).get(task) or {}
    st.markdown(f"**Quoted beside every {task} chart:** {badge.get('text', 'not measured on in-domain text')}.")
    route = english_route_line(card) if task != "sentiment" else None
    if route:
        st.markdown(route)
    rows = evaluation_table(card)
    if rows:
        st.markdown("**Every labelled set measured** (in-domain Chinese and English, each shared set; ours vs the "
                    "baselines; 95% bootstrap intervals):")
        st.dataframe(rows, hide_index=True, width="stretch", key=f"methods-evaluations-{task}")
    confusion_table(card)
    options = option_rows(task)
    if options:
        st.markdown("**Slower, more accurate option** (not the default: it embeds tens of texts per second per core, "
                    "as measured in the table, so it re-annotates one tracker's posts, whose badges then quote its "
                    "figure):")
        st.dataframe(options, hide_index=True, width="stretch", key=f"methods-options-{task}")
    if card:  # the card is sent only once a reader opens the panel (cards are long; most readers never do)
        panel = st.expander(f"Full model card (`{badge.get('card')}`): training data, baselines, per-class figures",
                            key=f"methods-card-{task}", on_change="rerun")
        if panel.open:
            with panel:
                st.json(card, expanded=1)


if show_page_extras():
    st.title("Methods")
    st.markdown("How every number on this dashboard is made, so it can be checked and reproduced.")
    st.header("Sources and coverage")
    st.caption("Records per source and day for this tracker and date range (all sources and languages). Thin or "
               f"empty days make every chart above them thin too. Days are {zone_label()} days on every page (the "
               "deployment's display time zone: ACTORWATCH_TZ or `actorwatch --tz`, default UTC); stored times stay "
               "UTC, and the hot-search list keeps its own Beijing days.")
render.chart("methods-coverage", view)

if show_page_extras():
    st.header("Sentiment model", anchor="sentiment-model")
    st.caption(TASK_NOTES["sentiment"])
    if model["version"] is None:
        st.warning(model["accuracy_note"])
    else:
        c1, c2 = st.columns(2)
        c1.metric("Model", str(model["name"]), help=f"version {model['version']}")
        f1 = model.get("macro_f1")
        c2.metric("Measured macro-F1 (3-class)", f"{f1:.2f}" if f1 is not None else "not measured",
                  help=f"Macro-averaged F1 over negative / neutral / positive on {model.get('macro_f1_on')}."
                  if f1 is not None else "No evaluation of this model version on labelled data was found.")
        if model.get("scope"):  # which scorer scored what (enrich routes English posts to a second scorer)
            st.markdown(f"Scored by {model['name']}{model['scope']}.")
        if model["measured"] and not model.get("card"):
            st.dataframe(model["measured"], hide_index=True, width="stretch")
        elif not model.get("card"):
            st.markdown(model["accuracy_note"])
            st.info("No model card found for this model version. Shares from an unevaluated model can be badly "
                    "wrong (stock snownlp labels ~70% of neutral Weibo posts positive).")
        measured_tables("sentiment")
        st.markdown("The bands on sentiment charts are 95% Wilson intervals for sampling only, clustered by "
                    "author — they do not include "
                    "the model's own error, which the figures above measure. " + INDEPENDENT_POSTS)

    for task in ("stance", "emotion"):
        st.header(TASK_TITLES[task], anchor=f"{task}-model")
        st.caption(TASK_NOTES[task])
        measured_tables(task)

    st.subheader("Agreement of the labelled corpus", anchor="agreement")
    st.markdown("The in-domain figures above are measured on `data/labelled/test.csv`: real sentences about AI "
                "performers from public pages, split from training by page. How the corpus was built and how far "
                "two labellers agree on it (Cohen's kappa per task, on a blind second pass of 10% of the units) are "
                "in `data/labelled/README.md`; a model cannot be measured more precisely than its labels agree.")
    agreement = agreement_table(model.get("cards") or {})
    if agreement:
        st.markdown("**How far two labellers agree**, as a ceiling for the models' figures: the second labeller's "
                    "blind labels scored against the first's, like a model's (macro-F1 with a 95% bootstrap "
                    "interval), beside the figure of the model these pages use on the test split in the same language. The "
                    "second pass covers a random 10% of the corpus, so its intervals are wide.")
        st.dataframe(pd.DataFrame(agreement), hide_index=True, width="stretch", key="methods-agreement")

    st.header("Models adapted to a tracker", anchor="adapted-models")
    adapted = data.adapted_models()
    if adapted:
        st.markdown("Each was trained by `actorwatch adapt` on the base training data plus that tracker's own labels "
                    "(Label page or `actorwatch labels import`), and is measured by cross-validation on those labels: "
                    "every label predicted by a model that never saw it. The base model's figure is on the same labels. "
                    "Labels drawn by the sampler favour records the base model was unsure of, so both figures are on "
                    "harder-than-average posts.")
        st.dataframe(pd.DataFrame(adapted), hide_index=True, width="stretch")
    else:
        st.markdown("None yet. Label a tracker's records on the **Label** page (or import a CSV with "
                    "`actorwatch labels import`), then run `actorwatch adapt --tracker ID` and "
                    "`actorwatch enrich --model NAME` to show that tracker's charts with the adapted model.")

    st.header("Pseudonymisation and privacy", anchor="privacy")
    st.markdown(POLICY)
    st.markdown("The Explore table and every export read the pseudonymised view (`records_public`). Public figures "
                "and organisations (verified accounts, tracker entities, news outlets) keep their names; an account "
                "verified on any of its records keeps it on all of them, so no author is both a name and a "
                "pseudonym. Ordinary users never appear by name.")

    st.header("Events, peaks and effects")
    st.markdown("Curated events, statements and claims come from `trackers.toml`, each with a source URL and date. "
                "Before/after comparisons around events show **association, not causation**: other things happen "
                "on the same days. Peaks are detected automatically on daily volume and labelled with their top "
                "terms.")

    st.header("Versions", anchor="versions")
    st.dataframe(versions.versions_frame(render.signature(), model), hide_index=True, width="stretch")
