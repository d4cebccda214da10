"""Bihuan common kit. No business rules live here: only the plumbing every service shares."""
