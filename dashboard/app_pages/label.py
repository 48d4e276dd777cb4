"""Label: annotate the current tracker's own records (sentiment, stance, emotion) from the keyboard.

Records come stratified by day and source, favouring those the model is least sure of; all annotators get
them in the same order, so their labels overlap and the page shows their agreement (Cohen's kappa).
Labels go to the store's `labels` dataset; `actorwatch adapt` learns from them.
The annotator's name is kept in the session and a browser cookie, never in the URL (dashboard.annotator).
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import streamlit as st

from analysis.nlp.label_sample import sample_from
from analysis.nlp.labelling_keys import (
    EMOTION_KEYS,
    SENTIMENT_KEYS,
    STANCE_KEYS,
    BadKeys,
    label_row,
    parse_keys,
)
from analysis.nlp.labels_io import display_text
from analysis.reports.brief import md_escape
from analysis.reports.links import safe_url
from collectors.display_zone import clock_text, zone_short
from dashboard import annotator as remembered_annotator
from dashboard import labelling, render
from dashboard.state import current_filters

KEYS_INPUT = "Label keys"
SYNTHETIC_NOTE = ("A synthetic demo record (text we wrote, not a post): label it to practise the keys; "
                  "`actorwatch adapt` never trains or measures a model on such labels.")


def legend() -> str:
    def keys(mapping: dict[str, str]) -> str:
        return " · ".join(f"`{k}` {v}" for k, v in mapping.items())

    return (f"**Sentiment** {keys(SENTIMENT_KEYS)}  \n**then stance** (optional) {keys(STANCE_KEYS)}  \n"
            f"**then emotion** (optional) {keys(EMOTION_KEYS)}  \n"
            "`.` leaves a place empty (`0.a` = negative, anger) · `x` skips the record · a leading `?` marks it "
            "unsure (kept, not used for adapting) · **Enter** saves and shows the next record")


def focus_keys_input(token: str) -> None:
    """Put the cursor in the keys field after each record, so labelling never needs the mouse.

    The script changes with the record (a hash of its key, never the key itself: ids are untrusted), so it runs
    again for each one.
    """
    selector = json.dumps(f'input[aria-label="{KEYS_INPUT}"]')
    run = hashlib.sha256(token.encode()).hexdigest()[:12]
    st.iframe(f"""<script>
      // record {run}
      const field = window.parent.document.querySelector({selector});
      if (field) {{ field.focus(); }}
    </script>""", height=1, tab_index=-1, alt="Keyboard helper: puts the cursor in the Label keys field (no content)")


def show_record(record: pd.Series, sig: str) -> None:
    st.caption(f"{record['source']} · {clock_text(pd.Timestamp(record['published_instant']))} {zone_short()} · {record['kind']}"
               + (" · synthetic" if record.get("synthetic") else "")
               + f" · record {record['source']}:{md_escape(record['public_id'])}")  # free text from the source
    with st.container(border=True):
        st.text(display_text(record["title"], record["text"]))
    parent = record.get("parent_id")
    if isinstance(parent, str) and parent:
        text = labelling.parent_text(sig, record["source"], parent)
        with st.expander("In reply to" if text else "In reply to (not in the store)"):
            st.text(text or record["public_parent_id"])
    url = safe_url(record.get("url"))
    if url:
        st.link_button("Open the original", url)
    if record.get("synthetic"):
        st.caption(SYNTHETIC_NOTE)


f = current_filters()
tracker = f.tracker
st.title("Label")
st.markdown("Label this tracker's records so the model can adapt to its words (`actorwatch adapt`) and every chart "
            "can say how right it is **on your posts**. Texts are shown as plain text; links only when they are web "
            "links.")
if "label-annotator" not in st.session_state:  # first run of the page in this session, or back from another page
    st.session_state["label-annotator"] = remembered_annotator.remembered()
annotator = st.text_input("Annotator (your name)", key="label-annotator", max_chars=remembered_annotator.MAX_CHARS,
                          help="Stored with each label, and remembered in this browser (never put in the page's link). "
                          "Two annotators on the same records give an agreement figure.").strip()
remembered_annotator.remember(annotator)
render.set_params(annotator=None)  # links made before the name left the URL still carry it: drop it, unread
labels = labelling.current_labels(tracker)
mine = labels[labels["annotator"] == annotator] if annotator and not labels.empty else labels.iloc[0:0]

given = labels[labels["status"] != "skip"] if len(labels) else labels  # a skip is no label: counted nowhere
c1, c2, c3 = st.columns(3)
c1.metric("Labelled by you", f"{int((given['annotator'] == annotator).sum()) if annotator else 0:,}")
c2.metric("Labels on this tracker", f"{len(given):,}", help="Labelled or unsure; skipped records are not counted.")
c3.metric("Annotators", f"{given['annotator'].nunique():,}", help="Who gave at least one label (skips aside).")

if not annotator:
    st.info("Type your name above to start labelling.", icon=":material/badge:")
elif annotator.startswith("llm:"):
    st.error("Names starting with llm: are reserved for language-model pre-labels.")
else:
    sig = render.signature()
    pool = labelling.label_candidates(sig, f)
    queue = sample_from(pool, 1, exclude=set(mine["item"]))
    if queue.empty:
        st.success("Nothing left to label in this view: widen the dates or sources in the sidebar.")
    else:
        record = queue.iloc[0]
        item = f"{record['source']}:{record['id']}"
        shown_item = f"{record['source']}:{record['public_id']}"
        st.header("Next record")
        show_record(record, sig)
        with st.form("label-form", clear_on_submit=True, border=False):
            keys = st.text_input(KEYS_INPUT, placeholder="e.g. 0 · 1s · 2nn · 0oa · x", max_chars=8,
                                 help="Type the keys, then Enter.")
            submitted = st.form_submit_button("Save (Enter)")
        with st.expander("Keys", expanded=len(mine) < 3):
            st.markdown(legend())
        if submitted:
            try:
                choice = parse_keys(keys)
            except BadKeys as exc:
                st.error(str(exc))
            else:
                labelling.save(label_row(tracker, record["source"], record["id"],
                                         display_text(record["title"], record["text"]), annotator, choice, "dashboard"))
                st.session_state["label-saved"] = (shown_item, choice)
                st.rerun()
        focus_keys_input(item)
    saved = st.session_state.pop("label-saved", None)
    if saved:
        what = ", ".join(v for v in (saved[1].sentiment, saved[1].stance, saved[1].emotion) if v) or saved[1].status
        st.toast(f"Saved {md_escape(saved[0])}: {what}" + (" (unsure)" if saved[1].status == "unsure" else ""))

st.header("Agreement")
rows = labelling.agreement_rows(labels)
if rows:
    st.table(pd.DataFrame(rows))
    st.caption("Cohen's kappa (scikit-learn) on the items both annotators labelled (status labelled); 1 is perfect "
               "agreement, 0 what chance alone would give. Pre-labels by a language model are compared with the "
               "humans' majority label and are only used for adapting when asked for, with this figure in view.")
else:
    st.caption("Agreement appears once two annotators have labelled the same records.")

if len(mine):
    st.header("Your latest labels")
    recent = mine.sort_values("labelled_at", ascending=False).head(10)
    recent = recent.assign(item=labelling.public_items(render.signature(), recent["item"].tolist()))
    st.dataframe(recent[["item", "sentiment", "stance", "emotion", "status", "labelled_at"]], hide_index=True,
                 width="stretch")
