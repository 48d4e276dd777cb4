"""Backlash alerts for unions and industry groups: rules, state, evidence packs and delivery channels.

config.py (TOML rules + validation) → rules.py (evaluate against the store) → evidence.py (pseudonymised
top records + chart link) → deliver.py (webhook, email, Atom file) with state.py (cooldowns, what was
sent, retries) tied together by run.py.
"""
