"""`monitor bench`: the pipeline measured against its anchors; outside the product path."""
