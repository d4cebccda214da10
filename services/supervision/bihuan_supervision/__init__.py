"""Supervision (督查): sees everything, warns, issues supervision orders, ingests the citizens' voice."""
