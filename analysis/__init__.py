"""Analysis layer: cleaning, segmentation, sentiment, stance, topics, entities and reports."""
