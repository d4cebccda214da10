"""Facts assessment publishes (scores, publication, accountability). Filled in by the assessment issue."""
