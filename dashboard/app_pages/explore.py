"""Explore: a filterable, searchable table of records (pseudonymised view; post text shown as text only)."""

from __future__ import annotations

import streamlit as st

from collectors.models import KINDS
from collectors.pseudonym import POLICY
from dashboard import data, render
from dashboard.charts.embed import csv_bytes
from dashboard.explore import ORDERS
from dashboard.state import current_filters

PAGE_SIZE = 50
f = current_filters()
sig = render.signature()

st.title("Explore records")
st.caption("Every record matching the sidebar filters, as text (markup in posts is shown, never run). " + POLICY)

c1, c2, c3 = st.columns([3, 2, 1])
search = c1.text_input("Search text, title or author (all words must match)", value=render.param("q"), key="explore-q",
                       max_chars=200)
kinds = c2.multiselect("Kinds (none = all)", list(KINDS), default=render.param_list("kind", KINDS), key="explore-kind")
order = c3.selectbox("Order", list(ORDERS), index=list(ORDERS).index(render.param("order", "newest", list(ORDERS))),
                     key="explore-order")
try:
    page = max(1, int(render.param("page", "1")))
except ValueError:
    page = 1



def load(number: int) -> tuple:
    return data.explore_records(sig, f, search.strip(), tuple(kinds), order, PAGE_SIZE, (number - 1) * PAGE_SIZE)


frame, total = load(page)
pages = max(1, -(-total // PAGE_SIZE))
chosen = int(st.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, value=min(page, pages), step=1,
                             key="explore-page"))
if chosen != page:
    page = chosen
    frame, total = load(page)
render.set_params(q=search.strip(), kind=",".join(kinds), order="" if order == "newest" else order,
                  page="" if page == 1 else str(page))

st.markdown(f"**{total:,}** matching records · showing {len(frame):,} from #{(page - 1) * PAGE_SIZE + 1:,}")
# st.dataframe draws cells as plain text on a canvas: markup inside posts is never interpreted.
st.dataframe(frame, hide_index=True, width="stretch", height=min(38 * (len(frame) + 1), 740),
             column_config={
                 "published_at": st.column_config.DatetimeColumn("published (UTC)", format="YYYY-MM-DD HH:mm"),
                 "author_name": "author (pseudonymised)",
                 "text": st.column_config.TextColumn("text", width="large"),
                 "url": st.column_config.LinkColumn("link", display_text="open"),
                 "synthetic": st.column_config.CheckboxColumn("synthetic"),
             })
st.download_button("Download this page as CSV", data=csv_bytes(frame), file_name="actorwatch-explore-page.csv",
                   mime="text/csv", on_click="ignore", key="explore-csv")
st.caption("For a full export with provenance (filters, model version and accuracy, pseudonymisation policy) use "
           "`actorwatch export --tracker …`.")
