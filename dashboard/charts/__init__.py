"""Every chart the dashboard and `actorwatch chart` publish: one module per page, the registry, the embed kit.

A page module registers its charts (`registry.register(ChartDef(...))`) when imported; the registry
imports the modules named in PAGE_MODULES on first use.
"""

PAGE_MODULES = tuple(f"dashboard.charts.{page}" for page in (
    "overview", "timeline", "voices", "hot_search", "topics", "compare", "industry", "methods"))
