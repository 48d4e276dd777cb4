"""Methods: sources and coverage, the sentiment model card with its measured figures, privacy, versions."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from collectors.pseudonym import POLICY
from dashboard import data, render, versions
from dashboard.charts.embed import show_page_extras

view = render.base_view()
model = render.model()

if show_page_extras():
    st.title("Methods")
    st.markdown("How every number on this dashboard is made, so it can be checked and reproduced.")
    st.header("Sources and coverage")
    st.caption("Records per source and day for this tracker and date range (all sources and languages). Thin or "
               "empty days make every chart above them thin too; days are UTC.")
render.chart("methods-coverage", view)

if show_page_extras():
    st.header("Sentiment model", anchor="sentiment-model")
    if model["version"] is None:
        st.warning(model["accuracy_note"])
    else:
        c1, c2 = st.columns(2)
        c1.metric("Model", str(model["name"]), help=f"version {model['version']}")
        f1 = model.get("macro_f1")
        c2.metric("Measured macro-F1 (3-class)", f"{f1:.2f}" if f1 is not None else "not measured",
                  help=f"Macro-averaged F1 over negative / neutral / positive on {model.get('macro_f1_on')}."
                  if f1 is not None else "No evaluation of this model version on labelled data was found.")
        if f1 is not None:
            st.markdown(f"Quoted beside every sentiment chart: macro-F1 **{f1:.2f}** on {model['macro_f1_on']}.")
        if model["baseline"]:
            st.markdown("**Measured against the baseline** on every labelled file (held-out files were never used for "
                        "training or calibration; training files are scored out-of-fold):")
            st.dataframe(model["baseline"], hide_index=True, width="stretch")
        elif model["measured"]:
            st.markdown("**Every measurement on file:**")
            st.dataframe(model["measured"], hide_index=True, width="stretch")
        else:
            st.markdown(model["accuracy_note"])
        if model.get("card"):
            with st.expander(f"Full model card (`{model['card_path']}`): training data, baselines, per-class figures"):
                st.json(model["card"], expanded=2)
        else:
            st.info("No model card found for this model version. Shares from an unevaluated model can be badly "
                    "wrong (stock snownlp labels ~70% of neutral Weibo posts positive).")
        st.markdown("Shares are of *scored* records; the bands on sentiment charts are 95% Wilson intervals for "
                    "sampling only — they do not include the model's own error, which the figures above measure.")

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
                "and organisations named in the trackers keep their names; ordinary users never appear by name.")

    st.header("Events, peaks and effects")
    st.markdown("Curated events, statements and claims come from `trackers.toml`, each with a source URL and date. "
                "Before/after comparisons around events show **association, not causation**: other things happen "
                "on the same days. Peaks are detected automatically on daily volume and labelled with their top "
                "terms.")

    st.header("Versions", anchor="versions")
    st.dataframe(versions.versions_frame(render.signature(), model), hide_index=True, width="stretch")
