"""Live sources: one module per source, registered here in one place (name -> Collector class)."""

from __future__ import annotations

from collectors.base import Collector

REGISTRY: dict[str, type[Collector]] = {}


def register(cls: type[Collector]) -> type[Collector]:
    REGISTRY[cls.name] = cls
    return cls


def collectors() -> dict[str, type[Collector]]:
    """Every built-in collector (modules are imported here so each registers itself)."""
    import importlib

    for module in BUILTIN_MODULES:
        importlib.import_module(f"collectors.sources.{module}")
    # in BUILTIN_MODULES' order, whichever module was imported first (then any others, as registered)
    rank = {f"collectors.sources.{module}": n for n, module in enumerate(BUILTIN_MODULES)}
    return dict(sorted(REGISTRY.items(), key=lambda item: rank.get(item[1].__module__, len(rank))))


# Add a new source: one module in this folder that calls `register`, plus its name here and its fixture tests.
BUILTIN_MODULES: list[str] = ["weibo", "bilibili", "gdelt", "rss", "bluesky", "mastodon", "market"]
