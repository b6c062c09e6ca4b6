"""One contract, every registered analyzer, every mode it serves."""

from __future__ import annotations

import json
import math

import pytest

from sentiment import (
    EMOTION_LABELS,
    FINE_GRAINED_LABELS,
    INTENT_LABELS,
    POLARITY_LABELS,
    Analysis,
    InvalidInputError,
    Mode,
    UnsupportedModeError,
    available_analyzers,
    get_analyzer,
)
from tiny_transformer import tiny_checkpoint

TEXTS = (
    "The camera struggles in low light but the battery is great!",
    "I absolutely love this phone :)",
    "Terrible service. The waiter was rude and the food was cold.",
    "Where can I buy this in blue?",
    "It arrived on Tuesday.",
    "",
    "Très bon café 😍 — the staff were lovely.",
)

CASES = [
    (name, mode)
    for name, spec in available_analyzers().items()
    for mode in sorted(spec.modes, key=lambda m: m.value)
]

# The transformer analyzer ships no checkpoint: it is checked on tiny random ones whose labels
# serve each mode (a five-star one serves fine_grained and polarity, so it is the default).
TRANSFORMER = "transformer"
TINY_CHECKPOINT_LABELS = {
    Mode.POLARITY: (POLARITY_LABELS, False),
    Mode.FINE_GRAINED: (("1 star", "2 stars", "3 stars", "4 stars", "5 stars"), False),
    Mode.EMOTION: (EMOTION_LABELS, True),
    Mode.INTENT: (INTENT_LABELS, False),
}


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """`build(name, mode=None)`: the analyzer registered as `name`, built once per module."""
    built: dict[tuple[str, Mode | None], object] = {}

    def analyzer(name: str, mode: Mode | None = None):
        if name != TRANSFORMER:
            mode = None
        key = (name, mode)
        if key not in built:
            if name == TRANSFORMER:
                labels, multi_label = TINY_CHECKPOINT_LABELS[mode or Mode.FINE_GRAINED]
                folder = tmp_path_factory.mktemp(f"tiny-{(mode or Mode.FINE_GRAINED).value}")
                built[key] = get_analyzer(name, path=tiny_checkpoint(folder, labels, multi_label))
            else:
                built[key] = get_analyzer(name)
        return built[key]

    return analyzer


def _check_distribution(values, labels) -> None:
    assert set(values) == set(labels)
    assert all(0.0 <= v <= 1.0 for v in values.values())


def _check_result(result: Analysis, text: str, name: str, mode: Mode) -> None:
    assert isinstance(result, Analysis)
    assert result.text == text and result.analyzer == name
    asked = {
        Mode.POLARITY: "polarity",
        Mode.FINE_GRAINED: "fine_grained",
        Mode.ASPECT: "aspects",
        Mode.EMOTION: "emotion",
        Mode.INTENT: "intent",
    }
    for other_mode, field in asked.items():
        if other_mode is not mode:
            assert getattr(result, field) is None, f"{field} filled though only {mode} was asked"
    if mode is Mode.POLARITY:
        p = result.polarity
        assert p.label in POLARITY_LABELS and -1.0 <= p.score <= 1.0
        _check_distribution(p.probabilities, POLARITY_LABELS)
        assert math.isclose(sum(p.probabilities.values()), 1.0, abs_tol=1e-6)
        for token in result.explanation or ():
            assert text[token.start : token.end] == token.token
        for sentence in result.sentences or ():
            assert text[sentence.start : sentence.end] == sentence.text
    elif mode is Mode.FINE_GRAINED:
        f = result.fine_grained
        assert f.label in FINE_GRAINED_LABELS and f.stars == FINE_GRAINED_LABELS.index(f.label) + 1
        assert 1.0 <= f.score <= 5.0
        _check_distribution(f.probabilities, FINE_GRAINED_LABELS)
    elif mode is Mode.EMOTION:
        e = result.emotion
        assert set(e.labels) <= set(EMOTION_LABELS) and e.labels
        _check_distribution(e.scores, EMOTION_LABELS)
    elif mode is Mode.INTENT:
        i = result.intent
        assert i.label in INTENT_LABELS and 0.0 <= i.confidence <= 1.0
        _check_distribution(i.scores, INTENT_LABELS)
    elif mode is Mode.ASPECT:
        assert isinstance(result.aspects, tuple)
        for aspect in result.aspects:
            assert text[aspect.start : aspect.end] == aspect.term
            assert aspect.polarity in POLARITY_LABELS and -1.0 <= aspect.score <= 1.0


@pytest.mark.parametrize(("name", "mode"), CASES, ids=[f"{n}-{m.value}" for n, m in CASES])
def test_analyzer_contract(build, name: str, mode: Mode) -> None:
    analyzer = build(name, mode)
    assert analyzer.name == name and mode in analyzer.modes
    batch = analyzer.analyze_batch(list(TEXTS), modes=[mode])
    assert len(batch) == len(TEXTS)
    for text, result in zip(TEXTS, batch):
        _check_result(result, text, name, mode)
        assert Analysis.from_json(json.dumps(json.loads(result.to_json()))) == result
    assert batch == [analyzer.analyze(text, modes=[mode]) for text in TEXTS]
    assert analyzer.analyze_batch([], modes=[mode]) == []


@pytest.mark.parametrize("name", sorted(available_analyzers()))
def test_unsupported_and_unknown_modes_list_valid_choices(build, name: str) -> None:
    analyzer = build(name)
    with pytest.raises(UnsupportedModeError, match="valid modes: .*polarity"):
        analyzer.analyze("fine", modes=["sarcasm"])
    for mode in set(Mode) - set(analyzer.modes):
        with pytest.raises(UnsupportedModeError):
            analyzer.analyze("fine", modes=[mode])


@pytest.mark.parametrize("name", sorted(available_analyzers()))
def test_non_text_input_is_refused(build, name: str) -> None:
    analyzer = build(name)
    with pytest.raises(InvalidInputError):
        analyzer.analyze(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        analyzer.analyze_batch("a single string")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(available_analyzers()))
def test_all_modes_at_once_fill_every_field(build, name: str) -> None:
    analyzer = build(name)
    result = analyzer.analyze(TEXTS[0], modes=sorted(analyzer.modes, key=lambda m: m.value))
    fields = {Mode.POLARITY: "polarity", Mode.FINE_GRAINED: "fine_grained", Mode.ASPECT: "aspects",
              Mode.EMOTION: "emotion", Mode.INTENT: "intent"}
    for mode in analyzer.modes:
        assert getattr(result, fields[mode]) is not None
