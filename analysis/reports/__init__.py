"""What leaves the tool: exports with manifests, weekly briefs, alerts, deep links."""
