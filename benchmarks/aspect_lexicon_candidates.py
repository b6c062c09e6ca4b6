"""List candidate terms for lexicons/aspect_terms.tsv from the TRAIN splits (for a person to curate).

Prints, most frequent first, as `term<TAB>count<TAB>guessed category<TAB>source`:
- gold aspect terms of SemEval-2014 restaurants/laptops and MAMS-ATSA train that the lexicon
  does not match yet (exactly, case-insensitively, plural included);
- nouns of Women's E-Commerce Clothing Reviews train found by the aspect scorer's noun-phrase
  heuristic ("the X is ...") that the lexicon does not know.
The guessed category is that of the term's last word in the lexicon, else "other". Nothing is
written: a person reads the list and adds the terms that name a product or service aspect to
lexicons/aspect_terms.tsv (the shipped file holds terms only, never sentences of the data).

    python benchmarks/aspect_lexicon_candidates.py [--data /work/shared/data] [--min-count 3]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from sentiment.lexicon.aspect import OTHER_CATEGORY, AspectScorer
from sentiment.lexicon.data import load_lexicon
from sentiment.lexicon.polarity import PolarityScorer
from sentiment.resources import lexicons_dir
from sentiment.text import tokenize

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
GOLD_TERM_SPLITS = ("semeval14_restaurants/train", "semeval14_laptops/train", "mams_atsa/train")
HEURISTIC_SPLITS = ("womens_clothing_reviews/train",)


def _rows(path: Path):
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the shared data sets")
    parser.add_argument("--min-count", type=int, default=3, help="leave out rarer terms")
    args = parser.parse_args()
    folder = lexicons_dir()
    scorer = AspectScorer.load(folder, PolarityScorer(load_lexicon(folder)))
    known = scorer.terms.categories

    def unknown(term: str) -> bool:
        return tuple(t.lower() for t in term.split()) not in known

    counts: Counter[tuple[str, str]] = Counter()
    for split in GOLD_TERM_SPLITS:
        for row in _rows(args.data / f"{split}.jsonl"):
            for aspect in row["aspects"]:
                term = " ".join(t.text for t in tokenize(aspect["term"].lower()))
                if term and unknown(term):
                    counts[(term, split)] += 1
    for split in HEURISTIC_SPLITS:
        for row in _rows(args.data / f"{split}.jsonl"):
            text = row["text"]
            for aspect in scorer.score(text, tokenize(text)):
                if aspect.category == OTHER_CATEGORY:
                    counts[(aspect.term.lower(), split)] += 1
    for (term, split), count in counts.most_common():
        if count < args.min_count:
            break
        print(f"{term}\t{count}\t{scorer.terms.category_of(term.split())}\t{split}")


if __name__ == "__main__":
    main()
