"""Training the aspect tagger and the aspect polarity network from a TOML config.

    python -m sentiment.aspects.training configs/aspect_tagger.toml
    python -m sentiment.aspects.training configs/aspect_polarity.toml

Both train on the train splits of the configured aspect data sets and keep the epoch with the
best dev score (tagger: exact term F1 over all dev sentences; polarity: the mean over the dev sets
of their accuracy, so that the small laptop set weighs as much as MAMS). SemEval-2014 has no dev
split: `data.carve_dev` holds out a fixed 10% of its train sentences (seed 13) instead.

The polarity network's word vectors may start from sentiment-aware vectors trained here first
(`[pretrain]`): a bag-of-words sentiment classifier over other labeled training texts (SST
phrases, clothing reviews), whose embedding rows seed the words it has seen. No pretrained
embeddings are downloaded.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import torch
from torch import nn

from ..corpora import load_sources
from ..neural.optim import make_optimizer
from ..neural.train import seed_everything
from ..neural.vocab import UNK_ID, Vocab
from ..text import tokenize
from ..types import POLARITY_LABELS
from .data import AspectSentence, PolarityExample, bio_tags, load_split, polarity_examples, term_span
from .evaluation import accuracy, extraction_score
from .features import build_vocab, normalize_word
from .tagger import AspectTagger, TaggerConfig
from .target_polarity import PolarityConfig, TargetPolarityModel

KINDS = ("tagger", "polarity")
# Pretraining batch size: bags of words are cheap, large batches keep the epoch short.
PRETRAIN_BATCH_SIZE = 256
Log = Callable[[str], None]


@dataclass(frozen=True)
class AspectTrainConfig:
    """The `[train]` table: AdamW with early stopping on dev."""

    lr: float = 2e-3
    weight_decay: float = 1e-4
    batch_size: int = 32
    epochs: int = 20
    patience: int = 4
    word_dropout: float = 0.1
    clip_grad_norm: float = 5.0
    seed: int = 13
    threads: int = 1


def _fit(
    net: nn.Module,
    size: int,
    loss_of_chunk: Callable[[list[int], torch.Generator], torch.Tensor],
    evaluate: Callable[[], dict[str, Any]],
    monitor: str,
    config: AspectTrainConfig,
    log: Log,
) -> list[dict[str, Any]]:
    """Mini-batch AdamW; after each epoch `evaluate()` on dev; keeps the best epoch's weights."""
    seed_everything(config.seed)
    optimizer = make_optimizer(net.parameters(), "adamw", config.lr, weight_decay=config.weight_decay)
    generator = torch.Generator().manual_seed(config.seed)
    history: list[dict[str, Any]] = []
    best_value, best_state, stale = -math.inf, None, 0
    for epoch in range(1, config.epochs + 1):
        started = time.perf_counter()
        net.train()
        total = 0.0
        for chunk in torch.randperm(size, generator=generator).split(config.batch_size):
            loss = loss_of_chunk(chunk.tolist(), generator)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), config.clip_grad_norm)
            optimizer.step()
            total += loss.item() * len(chunk)
        net.eval()
        entry = {"epoch": epoch, "train_loss": round(total / size, 4), **evaluate(), "seconds": round(time.perf_counter() - started, 1)}
        history.append(entry)
        log(json.dumps(entry))
        if entry[monitor] > best_value:
            best_value, best_state, stale = entry[monitor], copy.deepcopy(net.state_dict()), 0
        else:
            stale += 1
            if stale >= config.patience:
                break
    if best_state is not None:
        net.load_state_dict(best_state)
    net.eval()
    return history


# tagger --------------------------------------------------------------------------------------


def predicted_spans(tagger: AspectTagger, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
    """The character spans the tagger finds in each text (taken as one sentence)."""
    token_lists = [tokenize(text) for text in texts]
    tagged = tagger.tag([[t.text for t in tokens] for tokens in token_lists])
    return [[term_span(tokens, t.first, t.last) for t in terms] for tokens, terms in zip(token_lists, tagged)]


def fit_tagger(
    train: Sequence[AspectSentence],
    dev: Sequence[AspectSentence],
    model_config: TaggerConfig,
    vocab: Vocab,
    config: AspectTrainConfig,
    log: Log = print,
) -> tuple[AspectTagger, list[dict[str, Any]]]:
    """Train a tagger on `train` (cross-entropy over real tokens), early-stopped on dev term F1."""
    tagger = AspectTagger.create(model_config, vocab, seed=config.seed)
    token_lists = [[t.text for t in tokenize(s.text)] for s in train]
    tags = [bio_tags(tokenize(s.text), [(a.start, a.end) for a in s.aspects]) for s in train]
    keep = [i for i, tokens in enumerate(token_lists) if tokens]
    loss_fn = nn.CrossEntropyLoss()

    def loss_of_chunk(chunk: list[int], generator: torch.Generator) -> torch.Tensor:
        rows = [keep[i] for i in chunk]
        batch = tagger.batch([token_lists[r] for r in rows], config.word_dropout, generator)
        logits = tagger.net(batch)
        gold = torch.full(batch.word_ids.shape, -1, dtype=torch.long)
        for n, r in enumerate(rows):
            gold[n, : len(tags[r])] = torch.tensor(tags[r])
        mask = batch.mask
        return loss_fn(logits[mask], gold[mask])

    def evaluate() -> dict[str, Any]:
        score = extraction_score([[(a.start, a.end) for a in s.aspects] for s in dev], predicted_spans(tagger, [s.text for s in dev]))
        return {"dev_precision": round(score.precision, 4), "dev_recall": round(score.recall, 4), "dev_f1": round(score.f1, 4)}

    history = _fit(tagger.net, len(keep), loss_of_chunk, evaluate, "dev_f1", config, log)
    return tagger, history


# polarity ------------------------------------------------------------------------------------


def pretrain_word_vectors(
    vocab: Vocab, texts: Sequence[str], labels: Sequence[Any], dim: int, epochs: int, lr: float, seed: int, log: Log = print
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sentiment-aware word vectors: the embedding of a mean-of-words sentiment classifier over
    (text, polarity label) pairs. Returns (vectors (vocab, dim), mask of the rows that were trained)."""
    index = {label: i for i, label in enumerate(POLARITY_LABELS)}
    bags, targets = [], []
    for text, label in zip(texts, labels):
        if not isinstance(label, str) or label not in index:
            continue
        ids = [i for i in (vocab.id(normalize_word(t.text)) for t in tokenize(text)) if i != UNK_ID]
        if ids:
            bags.append(ids)
            targets.append(index[label])
    seed_everything(seed)
    embedding = nn.EmbeddingBag(len(vocab), dim, mode="mean")
    nn.init.normal_(embedding.weight, 0.0, 1.0 / math.sqrt(dim))
    output = nn.Linear(dim, len(POLARITY_LABELS))
    optimizer = torch.optim.Adam([*embedding.parameters(), *output.parameters()], lr=lr)
    target_tensor = torch.tensor(targets)
    generator = torch.Generator().manual_seed(seed)
    for epoch in range(1, epochs + 1):
        total, correct = 0.0, 0
        for chunk in torch.randperm(len(bags), generator=generator).split(PRETRAIN_BATCH_SIZE):
            rows = [bags[i] for i in chunk.tolist()]
            offsets = torch.tensor([0] + [len(r) for r in rows[:-1]]).cumsum(0)
            logits = output(embedding(torch.tensor([i for r in rows for i in r]), offsets))
            loss = nn.functional.cross_entropy(logits, target_tensor[chunk])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(chunk)
            correct += int((logits.argmax(1) == target_tensor[chunk]).sum())
        log(json.dumps({"pretrain_epoch": epoch, "loss": round(total / len(bags), 4), "train_accuracy": round(correct / len(bags), 4)}))
    seen = torch.zeros(len(vocab), dtype=torch.bool)
    seen[torch.tensor(sorted({i for bag in bags for i in bag}), dtype=torch.long)] = True
    return embedding.weight.detach().clone(), seen


def fit_polarity(
    train: Sequence[PolarityExample],
    dev: Mapping[str, Sequence[PolarityExample]],
    model_config: PolarityConfig,
    vocab: Vocab,
    config: AspectTrainConfig,
    pretrained: tuple[torch.Tensor, torch.Tensor] | None = None,
    log: Log = print,
) -> tuple[TargetPolarityModel, list[dict[str, Any]]]:
    """Train the target-dependent network, early-stopped on the mean dev accuracy over `dev` sets."""
    model = TargetPolarityModel.create(model_config, vocab, seed=config.seed)
    if pretrained is not None:
        vectors, seen = pretrained
        with torch.no_grad():
            words = model.net.features.words.weight
            # Rescale to the spread of the random rows, so both kinds of rows start comparable.
            scaled = vectors * (words[2:].std() / vectors[seen].std())
            words[seen] = scaled[seen]
    label_index = {label: i for i, label in enumerate(POLARITY_LABELS)}
    gold = torch.tensor([label_index[e.label] for e in train])
    loss_fn = nn.CrossEntropyLoss()

    def loss_of_chunk(chunk: list[int], generator: torch.Generator) -> torch.Tensor:
        batch = model.batch([(train[i].tokens, train[i].first, train[i].last) for i in chunk], config.word_dropout, generator)
        logits, _ = model.net(batch)
        return loss_fn(logits, gold[chunk])

    def evaluate() -> dict[str, Any]:
        scores = {}
        for name, examples in dev.items():
            predictions = model.predict([(e.tokens, e.first, e.last) for e in examples])
            scores[f"dev_accuracy_{name}"] = round(accuracy([e.label for e in examples], [p.label for p in predictions]), 4)
        return {"dev_mean_accuracy": round(sum(scores.values()) / len(scores), 4), **scores}

    history = _fit(model.net, len(train), loss_of_chunk, evaluate, "dev_mean_accuracy", config, log)
    return model, history


# configs -------------------------------------------------------------------------------------


def read_config(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    with path.open("rb") as handle:
        config = tomllib.load(handle)
    kind = config.get("kind")
    if kind not in KINDS:
        raise ValueError(f"{path}: unknown kind {kind!r}; valid: {', '.join(KINDS)}")
    return config


def _sentences(root: Path, specs: Iterable[Mapping[str, Any]]) -> dict[str, list[AspectSentence]]:
    """Data set name -> its sentences; `repeat = n` in a spec lists them n times (oversampling a
    small set against a large one)."""
    return {spec["name"]: load_split(root, spec["name"], spec["split"]) * int(spec.get("repeat", 1)) for spec in specs}


def train_from_config(config_path: str | Path, data_root: str | Path | None = None, output: str | Path | None = None, log: Log = print) -> Path:
    """Train the model a config describes and save it; returns the model directory."""
    config = read_config(config_path)
    data = config["data"]
    root = Path(data_root or data["root"])
    train_config = AspectTrainConfig(**config.get("train", {}))
    torch.set_num_threads(train_config.threads)
    train_sets = _sentences(root, data["train"])
    dev_sets = _sentences(root, data["dev"])
    train = [s for sentences in train_sets.values() for s in sentences]
    vocab_options = config.get("vocab", {})
    started = time.perf_counter()
    if config["kind"] == "tagger":
        model_config = TaggerConfig(**config.get("model", {}))
        vocab = build_vocab(([t.text for t in tokenize(s.text)] for s in train), vocab_options.get("min_count", 2), vocab_options.get("max_size", 12_000))
        model, history = fit_tagger(train, [s for d in dev_sets.values() for s in d], model_config, vocab, train_config, log)
        best = max(history, key=lambda e: e["dev_f1"])
    else:
        model_config = PolarityConfig(**config.get("model", {}))
        examples = polarity_examples(train)
        pretrain = config.get("pretrain")
        corpus = load_sources(pretrain["sources"], root) if pretrain else None
        token_lists = [list(e.tokens) for e in examples]
        if corpus is not None:
            token_lists += [[t.text for t in tokenize(text)] for text in corpus.texts]
        vocab = build_vocab(token_lists, vocab_options.get("min_count", 2), vocab_options.get("max_size", 16_000))
        pretrained = None
        if corpus is not None:
            pretrained = pretrain_word_vectors(
                vocab, corpus.texts, corpus.labels, model_config.word_dim, pretrain.get("epochs", 3), pretrain.get("lr", 5e-3), train_config.seed, log
            )
        dev = {name: polarity_examples(sentences) for name, sentences in dev_sets.items()}
        model, history = fit_polarity(examples, dev, model_config, vocab, train_config, pretrained, log)
        best = max(history, key=lambda e: e["dev_mean_accuracy"])
    model.metadata = {
        "name": config.get("name", config["kind"]),
        "kind": config["kind"],
        "description": config.get("description", ""),
        "reproduce": f"python -m sentiment.aspects.training {Path(config_path).as_posix()}",
        "dev_split": "data sets without a dev file: a fixed 10% of train sentences (random.Random(13)) as dev",
        "training_config": config,
        "best_dev": best,
        "history": history,
        "train_seconds": round(time.perf_counter() - started, 1),
    }
    folder = model.save(output or config["output"])
    log(f"saved {folder}")
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train an aspect tagger or aspect polarity model from a TOML config.")
    parser.add_argument("config", type=Path)
    parser.add_argument("--data", type=Path, default=None, help="folder of the shared data sets (default: the config's data.root)")
    parser.add_argument("--output", type=Path, default=None, help="model directory (default: the config's output)")
    args = parser.parse_args(argv)
    train_from_config(args.config, args.data, args.output, log=lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
