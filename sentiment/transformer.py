"""The optional `transformer` analyzer: a local Hugging Face sequence-classification checkpoint
directory behind the common interface.

Nothing is ever downloaded (`local_files_only=True`), only safetensors weights are read (a
pickle-based `pytorch_model.bin` is refused) and no code from the checkpoint runs. The modes it
serves follow from the checkpoint's labels (see transformer_labels.py). No checkpoint ships with
the package: pass `path=`, or set SENTIMENT_TRANSFORMER_DIR (how the CLI and the service find one).

Inference is batched under torch.inference_mode, with truncation to the model's maximum length.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from .base import BaseAnalyzer
from .errors import ResourceError
from .text import split_sentences
from .transformer_labels import (
    ANALYZER_NAME,
    MODE_LABELS,
    POLARITY_OF_FINE_GRAINED,
    SERVABLE_MODES,
    LabelPlan,
    plan_labels,
)
from .types import (
    EMOTION_LABELS,
    FINE_GRAINED_LABELS,
    POLARITY_LABELS,
    Analysis,
    Emotion,
    FineGrained,
    Intent,
    Mode,
    Polarity,
    SentenceSentiment,
)

PathLike = str | os.PathLike[str]
CHECKPOINT_ENV = "SENTIMENT_TRANSFORMER_DIR"
CONFIG_FILE = "config.json"
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json")
PICKLED_WEIGHT_FILES = ("pytorch_model.bin", "pytorch_model.bin.index.json")
# As the neural analyzer: one thread per process unless asked (a service runs several workers).
DEFAULT_THREADS = 1
# Transformers are far heavier per text than the MLP; 32 keeps padding waste and memory small.
DEFAULT_BATCH_SIZE = 32
# Used when neither the tokenizer nor the config states a maximum length (BERT's limit).
FALLBACK_MAX_LENGTH = 512
# Tokenizers without a stated limit report a huge sentinel (int(1e30)); anything above this is one.
UNSTATED_LENGTH = 1_000_000
# A multi-label (sigmoid) emotion checkpoint names every emotion scoring at least this.
DEFAULT_EMOTION_THRESHOLD = 0.5
MULTI_LABEL_PROBLEM = "multi_label_classification"


class TransformerAnalyzer(BaseAnalyzer):
    """A local Hugging Face sequence-classification checkpoint.

    `path`: the checkpoint directory (config.json, tokenizer files, model.safetensors), else
    $SENTIMENT_TRANSFORMER_DIR; `mode`: how to read its labels when they do not say it
    themselves (e.g. LABEL_0..LABEL_2 as polarity); `label_map`: {checkpoint label: mode label}
    for other names; `max_length`: truncation in tokens (default: the model's limit);
    `exact`: compute in float64 and round to float32, so that a text's result does not depend on
    the batch it is in (analyze_batch == [analyze(t) ...]); False keeps float32, faster on CPU,
    but then the last digits of a result can depend on what else is in its batch;
    `threads`: torch threads for this process (None leaves torch's setting alone).
    """

    name = ANALYZER_NAME
    modes = SERVABLE_MODES

    def __init__(
        self,
        path: PathLike | None = None,
        mode: Mode | str | None = None,
        label_map: Mapping[str, str] | None = None,
        threads: int | None = DEFAULT_THREADS,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_length: int | None = None,
        exact: bool = True,
        emotion_threshold: float = DEFAULT_EMOTION_THRESHOLD,
    ) -> None:
        if threads is not None:
            torch.set_num_threads(threads)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.path = checkpoint_dir(path)
        self.batch_size = batch_size
        self.exact = exact
        self.emotion_threshold = emotion_threshold
        self.config, self.tokenizer, self.model = load_checkpoint(self.path)
        self.checkpoint_labels = checkpoint_labels(self.config, self.path)
        self.plan: LabelPlan = plan_labels(self.checkpoint_labels, mode, label_map)
        self.multi_label = getattr(self.config, "problem_type", None) == MULTI_LABEL_PROBLEM
        self.max_length = max_length or default_max_length(self.tokenizer, self.config)
        if exact:
            self.model.to(torch.float64)
        self.model.eval()
        self.modes = self.plan.modes

    @property
    def metadata(self) -> dict[str, Any]:
        """What GET /analyzers shows about the loaded checkpoint."""
        return {
            "path": str(self.path),
            "model_type": getattr(self.config, "model_type", None),
            "checkpoint_labels": list(self.checkpoint_labels),
            "read_as": self.plan.mode.value,
            "label_targets": dict(zip(self.checkpoint_labels, self.plan.targets)),
            "multi_label": self.multi_label,
            "max_length": self.max_length,
            "exact": self.exact,
        }

    # --- prediction ---------------------------------------------------------------------------

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """(N, checkpoint outputs) probabilities (softmax, or sigmoids for a multi-label
        checkpoint), float32 values. Texts are batched by length to keep padding small."""
        result = np.zeros((len(texts), len(self.checkpoint_labels)), dtype=np.float64)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                inputs = self.tokenizer(
                    [texts[i] for i in rows],
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                logits = self.model(**inputs).logits
                activated = torch.sigmoid(logits) if self.multi_label else torch.softmax(logits, dim=-1)
                result[rows] = activated.float().numpy()
        return result

    def _mode_scores(self, texts: Sequence[str]) -> np.ndarray:
        """(N, labels of the plan's mode) scores, in MODE_LABELS order."""
        return self.plan.scores(self.probabilities(texts), self.multi_label)

    def _analyze_batch(self, texts: list[str], modes: tuple[Mode, ...]) -> list[Analysis]:
        scores = self._mode_scores(texts)
        fields: list[dict[str, object]] = [{} for _ in texts]
        for mode in modes:
            for row, result in enumerate(self._results(mode, scores)):
                fields[row][mode.value] = result
        if Mode.POLARITY in modes:
            for row, sentences in enumerate(self._sentences(texts, scores)):
                fields[row]["sentences"] = sentences
        return [Analysis(text=text, analyzer=self.name, **f) for text, f in zip(texts, fields)]

    # --- results ------------------------------------------------------------------------------

    def _single_choice(self, scores: np.ndarray, mode: Mode) -> np.ndarray:
        """Scores of `mode` as a distribution: folded from fine-grained for derived polarity,
        renormalized when the checkpoint's outputs are independent sigmoids."""
        labels = MODE_LABELS[self.plan.mode]
        if mode is Mode.POLARITY and self.plan.mode is Mode.FINE_GRAINED:
            folded = np.zeros((len(scores), len(POLARITY_LABELS)), dtype=scores.dtype)
            for column, label in enumerate(labels):
                folded[:, POLARITY_LABELS.index(POLARITY_OF_FINE_GRAINED[label])] += scores[:, column]
            scores = folded
        if self.multi_label:
            scores = scores / np.maximum(scores.sum(1, keepdims=True), np.finfo(np.float32).tiny)
        return scores

    def _results(self, mode: Mode, scores: np.ndarray) -> list[object]:
        if mode is Mode.EMOTION:
            return [self._emotion(row) for row in scores]
        labels = MODE_LABELS[mode]
        results: list[object] = []
        for row in self._single_choice(scores, mode):
            probabilities = {label: float(p) for label, p in zip(labels, row)}
            top = labels[int(row.argmax())]
            if mode is Mode.POLARITY:
                score = min(1.0, max(-1.0, probabilities["positive"] - probabilities["negative"]))
                results.append(Polarity(top, score, probabilities))
            elif mode is Mode.FINE_GRAINED:
                expected = sum(stars * probabilities[label] for stars, label in enumerate(FINE_GRAINED_LABELS, start=1))
                results.append(FineGrained(top, FINE_GRAINED_LABELS.index(top) + 1, min(5.0, max(1.0, expected)), probabilities))
            else:
                results.append(Intent(top, probabilities[top], probabilities))
        return results

    def _emotion(self, row: np.ndarray) -> Emotion:
        """Multi-label: every emotion over the threshold (at least the top one); single-label: the top one."""
        scores = {label: float(p) for label, p in zip(EMOTION_LABELS, row)}
        top = EMOTION_LABELS[int(row.argmax())]
        chosen = {label for label, p in scores.items() if p >= self.emotion_threshold} if self.multi_label else set()
        return Emotion(tuple(label for label in EMOTION_LABELS if label in chosen or label == top), scores)

    def _sentences(self, texts: Sequence[str], scores: np.ndarray) -> list[tuple[SentenceSentiment, ...]]:
        """Per-sentence polarity (one batch for every sentence of every multi-sentence text); a
        one-sentence text reuses the document's result."""
        spans = [split_sentences(text) for text in texts]
        keys = [(row, index) for row, row_spans in enumerate(spans) if len(row_spans) > 1 for index in range(len(row_spans))]
        per_span: dict[tuple[int, int], object] = {}
        if keys:
            sentence_scores = self._mode_scores([spans[row][index].text for row, index in keys])
            per_span = dict(zip(keys, self._results(Mode.POLARITY, sentence_scores)))
        whole = self._results(Mode.POLARITY, scores)
        return [
            tuple(
                SentenceSentiment(span.text, span.start, span.end, per_span.get((row, index), whole[row]))  # type: ignore[arg-type]
                for index, span in enumerate(row_spans)
            )
            for row, row_spans in enumerate(spans)
        ]


# --- loading ----------------------------------------------------------------------------------


def checkpoint_dir(path: PathLike | None) -> Path:
    """The checkpoint directory from `path` or $SENTIMENT_TRANSFORMER_DIR, checked for the files a
    safe offline load needs."""
    if path is None:
        path = os.environ.get(CHECKPOINT_ENV) or None
    if path is None:
        raise ResourceError(
            "the transformer analyzer needs a local Hugging Face sequence-classification checkpoint directory "
            f"(none ships with the package): get_analyzer('transformer', path='DIR'), or set {CHECKPOINT_ENV}=DIR "
            "for the CLI and the service"
        )
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise ResourceError(f"transformer checkpoint directory not found: {folder}")
    if not (folder / CONFIG_FILE).is_file():
        raise ResourceError(
            f"{folder} has no {CONFIG_FILE}: not a Hugging Face checkpoint directory "
            f"(expected {CONFIG_FILE}, tokenizer files and {WEIGHT_FILES[0]})"
        )
    if not any((folder / name).is_file() for name in WEIGHT_FILES):
        pickled = [name for name in PICKLED_WEIGHT_FILES if (folder / name).is_file()]
        why = f" ({', '.join(pickled)} is pickle-based and is never loaded; convert it to safetensors)" if pickled else ""
        raise ResourceError(f"{folder} has no {' or '.join(WEIGHT_FILES)}{why}")
    return folder


def _quiet_transformers() -> None:
    """No download or loading progress bars, no advisory warnings on stderr."""
    from transformers.utils import logging

    logging.disable_progress_bar()
    logging.set_verbosity_error()


def load_checkpoint(folder: Path) -> tuple[Any, Any, torch.nn.Module]:
    """(config, tokenizer, model) from `folder`, offline and without remote code; every failure is a
    ResourceError that says which part could not be read."""
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

    _quiet_transformers()
    offline = {"local_files_only": True, "trust_remote_code": False}
    try:
        config = AutoConfig.from_pretrained(folder, **offline)
    except Exception as error:  # transformers raises ValueError, OSError, JSONDecodeError, ...
        raise ResourceError(f"cannot read {folder / CONFIG_FILE}: {error}") from None
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, **offline)
    except Exception as error:
        raise ResourceError(f"cannot load the tokenizer of {folder} (tokenizer.json / vocab files): {error}") from None
    # With no tokenizer files, transformers quietly builds one that knows only the special tokens.
    if isinstance(tokenizer, bool) or not callable(tokenizer) or len(tokenizer) <= len(set(tokenizer.all_special_tokens)):
        raise ResourceError(f"no tokenizer vocabulary in {folder} (expected tokenizer.json or the model's vocab files)")
    if getattr(tokenizer, "pad_token", None) is None:
        raise ResourceError(f"the tokenizer of {folder} has no padding token, so texts cannot be batched; set pad_token in its tokenizer_config.json")
    try:
        model, info = AutoModelForSequenceClassification.from_pretrained(
            folder, config=config, use_safetensors=True, output_loading_info=True, **offline
        )
    except Exception as error:
        raise ResourceError(f"cannot load the weights of {folder} ({' / '.join(WEIGHT_FILES)}): {error}") from None
    missing = sorted(set(info.get("missing_keys") or ()) | {key[0] for key in info.get("mismatched_keys") or ()})
    if missing:
        raise ResourceError(
            f"{folder} is not a fine-tuned sequence-classification checkpoint: its weights lack {', '.join(missing[:5])}"
            f"{' ...' if len(missing) > 5 else ''} (a classifier head would be random)"
        )
    return config, tokenizer, model


def checkpoint_labels(config: Any, folder: Path) -> tuple[str, ...]:
    """The output labels in output order (config.id2label)."""
    id2label = {int(k): str(v) for k, v in (getattr(config, "id2label", None) or {}).items()}
    if sorted(id2label) != list(range(len(id2label))) or len(id2label) < 2:
        raise ResourceError(f"{folder / CONFIG_FILE}: id2label must name outputs 0..n-1 (n >= 2), got {id2label}")
    return tuple(id2label[i] for i in range(len(id2label)))


def default_max_length(tokenizer: Any, config: Any) -> int:
    """The tokenizer's stated limit, capped by the model's position embeddings."""
    limits = [int(n) for n in (getattr(tokenizer, "model_max_length", None), getattr(config, "max_position_embeddings", None)) if n]
    limits = [n for n in limits if n < UNSTATED_LENGTH]
    return min(limits) if limits else FALLBACK_MAX_LENGTH
