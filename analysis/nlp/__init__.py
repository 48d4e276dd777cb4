"""Per-record language processing: cleaning, segmentation, sentiment, stance, entities, frames, keywords, enrichment."""
