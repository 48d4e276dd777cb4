"""What every analysis stage shares: the view filters and the datasets enrichment writes beside the records."""
