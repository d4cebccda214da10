"""`make bench`: baselines of the raw servers and the system's own figures, measured in one run, side by side."""
