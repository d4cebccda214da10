"""Test harness shared by every service's tests and the cross-service tests (a pytest plugin: see plugin.py)."""
