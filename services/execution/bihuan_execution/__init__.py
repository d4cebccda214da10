"""Execution (执行): progress against every milestone, with evidence, lag reasons and cooperation."""
