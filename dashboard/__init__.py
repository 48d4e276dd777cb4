"""The Streamlit dashboard, its charts and the root `actorwatch` command."""
