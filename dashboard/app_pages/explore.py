"""Explore: a filterable, searchable table of records (pseudonymised view; post text shown as text only)."""

from __future__ import annotations

import streamlit as st

from collectors.display_zone import keeps_daylight_saving, zone_short
from collectors.models import KINDS
from collectors.pseudonym import POLICY
from collectors.visibility import STATUS_LABELS, STATUSES
from dashboard import data, render
from dashboard.charts.embed import public_base_url
from dashboard.explore import NOT_RECHECKED, ORDERS, page_file_name, published_page
from dashboard.state import current_filters

PAGE_SIZE = 50
# times are instants shown on the zone's clock; with daylight saving time the offset tells the repeated hour's two apart
TIME_FORMAT = "YYYY-MM-DD HH:mm" + (" Z" if keeps_daylight_saving() else "")
f = current_filters()
sig = render.signature()

st.title("Explore records")
st.caption("Every record matching the sidebar filters, as text (markup in posts is shown, never run). " + POLICY)

c1, c2, c3 = st.columns([3, 2, 1])
search = c1.text_input("Search text, title or author (all words must match)", value=render.param("q"), key="explore-q",
                       max_chars=200)
kinds = c2.multiselect("Kinds (none = all but trend)", list(KINDS), default=render.param_list("kind", KINDS),
                       key="explore-kind", help="A trend record is a Weibo hot-search topic's title, not a post: no "
                       "records figure counts it, and Explore lists it only when `trend` is chosen (the Hot search "
                       "page shows the topics' sightings and heat).")
order = c3.selectbox("Order", list(ORDERS), index=list(ORDERS).index(render.param("order", "newest", list(ORDERS))),
                     key="explore-order")
try:
    page = max(1, int(render.param("page", "1")))
except ValueError:
    page = 1

rechecked = data.has_visibility(sig)
visibility: list[str] = []
if rechecked:
    counts = data.visibility_counts(sig, f)
    seen = ", ".join(f"{n:,} {STATUS_LABELS[s]}" for s, n in counts.items() if n)
    st.markdown(f"**Rechecked posts in view** (latest status; `actorwatch recheck`): {seen or 'none'}.")
    choices = [*STATUSES, NOT_RECHECKED]
    visibility = st.multiselect("Visibility at the latest recheck (none = all)", choices,
                                default=render.param_list("vis", choices), key="explore-vis",
                                format_func=lambda s: STATUS_LABELS.get(s, s))


def load(number: int) -> tuple:
    return data.explore_records(sig, f, search.strip(), tuple(kinds), order, PAGE_SIZE, (number - 1) * PAGE_SIZE,
                                tuple(visibility))


frame, total = load(page)
pages = max(1, -(-total // PAGE_SIZE))
chosen = int(st.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, value=min(page, pages), step=1,
                             key="explore-page"))
if chosen != page:
    page = chosen
    frame, total = load(page)
view_params = {"q": search.strip(), "kind": ",".join(kinds), "order": "" if order == "newest" else order,
               "vis": ",".join(visibility)}
render.set_params(**view_params, page="" if page == 1 else str(page))
if not rechecked:  # nothing was ever rechecked: the two columns would only be empty
    frame = frame.drop(columns=["visibility", "checked"])

st.markdown(f"**{total:,}** matching records · showing {len(frame):,} from #{(page - 1) * PAGE_SIZE + 1:,}")
# st.dataframe draws cells as plain text on a canvas: markup inside posts is never interpreted.
st.dataframe(frame, hide_index=True, width="stretch", height=min(38 * (len(frame) + 1), 740),
             column_config={
                 "published_at": st.column_config.DatetimeColumn(f"published ({zone_short()})", format=TIME_FORMAT),
                 "author_name": "author (pseudonymised)",
                 "text": st.column_config.TextColumn("text", width="large"),
                 "url": st.column_config.LinkColumn("link", display_text="open"),
                 "synthetic": st.column_config.CheckboxColumn("synthetic"),
                 "visibility": st.column_config.TextColumn("visibility (latest recheck)"),
                 "checked": st.column_config.DateColumn(f"checked ({zone_short()})", format="YYYY-MM-DD"),
                 "also_in": st.column_config.TextColumn(
                     "also carried by", help="A news article that several sources carried (the same page) is one "
                     "record, counted once: the other stored copies (source:id) it stands for."),
             })
# built on click: a media file made on every run could expire before a busy browser fetched it (a 404); the base URL
# is read now, as the click runs outside this script run
base_url, first_row = public_base_url(), (page - 1) * PAGE_SIZE + 1
st.download_button("Download this page as CSV",
                   data=lambda page_frame=frame: published_page(page_frame, f, view_params, page, first_row, total,
                                                                base_url),
                   file_name=page_file_name(f, view_params, page, frame),
                   mime="text/csv", on_click="ignore", key="explore-csv")
st.caption("Each row of the CSV says, in its last column, the view, the page's synthetic share and a link back. For a "
           "full export with provenance (filters, model version and accuracy, pseudonymisation policy) use "
           "`actorwatch export --tracker …`.")
