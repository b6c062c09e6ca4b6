"""Trained aspect-based sentiment: a BIO tagger that finds aspect terms, a target-dependent
network that gives each term its polarity, their hybrid with the lexicon's clause scoring, and
the file-level aspect summary behind `sentiment aspects`.

Importing this package imports no torch; the modules that need it (features, tagger,
target_polarity, analyzer, training) import it themselves.
"""
