"""Matching: SQL steps built by pure functions (``*_sql`` modules), executed in one place (``run``)."""
