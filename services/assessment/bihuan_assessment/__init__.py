"""Assessment (问效 · 问责): scores computed from data, explainable to the last point."""
