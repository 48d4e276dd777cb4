"""The Label page's annotator name: kept in the session and in a cookie of the user's own browser, never in the URL.

A name in the URL went into every link copied from the page: whoever opened it saw the annotator's name and, worse,
labelled under it. The cookie (first-party, SameSite=Strict) brings the name back after a reload or a new tab.
"""

from __future__ import annotations

import json
from urllib.parse import unquote

import streamlit as st

COOKIE = "actorwatch_annotator"
SESSION_KEY = "annotator"  # not the text field's key: Streamlit drops a widget's state when another page runs
MAX_CHARS = 60
KEEP_DAYS = 180


def remembered() -> str:
    """The name this session last used, else the one this browser last used (its cookie), else ''."""
    cookie = st.context.cookies.get(COOKIE)
    name = st.session_state.get(SESSION_KEY) or (unquote(cookie) if isinstance(cookie, str) else "")  # AppTest: a mock
    return str(name).strip()[:MAX_CHARS]


def remember(name: str) -> None:
    """Keep `name` for this session and in this browser's cookie (an empty name forgets it)."""
    st.session_state[SESSION_KEY] = name
    value = json.dumps(name).replace("<", "\\u003c")  # typed text: stays one string inside the script
    max_age = KEEP_DAYS * 86_400 if name else 0
    st.iframe(f"""<script>
      const name = {value};
      window.parent.document.cookie = "{COOKIE}=" + encodeURIComponent(name)
        + "; path=/; SameSite=Strict; max-age={max_age}";
    </script>""", height=1, tab_index=-1, alt="Remembers the annotator name in this browser (no content)")
