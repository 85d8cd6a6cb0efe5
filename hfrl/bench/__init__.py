"""Benchmarks: suite files, the sweep runner, tables with IQM and bootstrap intervals, plots."""
