"""Headless training runs: the loops behind `hfrl train`, evaluation and result files."""
