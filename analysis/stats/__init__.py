"""Numbers over many records: series with intervals, peaks, event effects, cross-case alignment, event studies."""
