"""The benchmark: every registered analyzer, and VADER and TextBlob, on the shared test splits.

Run `python benchmarks/run.py` (see run.py); results go to benchmarks/results.json and the README.
"""
