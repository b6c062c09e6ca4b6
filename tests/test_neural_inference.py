"""The batched inference path (tokens.py, inference.py) against the reference one: `tokenize`,
`Featurizer.bag_ids`/`word_ids` and the networks' own `forward`, on tiny models built here."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neural_toy import POSITIVE_WORDS, featurizer_for, make_classifier, toy_polarity
from sentiment import Mode
from sentiment.neural import inference
from sentiment.neural.model import TextClassifier
from sentiment.neural.nets import MLPConfig, RNNConfig
from sentiment.neural.tokens import TextTokens
from sentiment.neural.train import Encoded, TrainConfig, fit
from sentiment.neural.vocab import ByteIndex, NgramHashes, _bucket, byte_keys
from sentiment.text import tokenize

# Texts for every tokenizer path: plain ASCII (joins, runs of "!?" and dots, NUL and control
# characters, long words), clue characters without and with an emoticon or URL, \x1c-\x1f (white
# space only to the full pattern), non-ASCII text, empty and blank texts.
TRICKY_TEXTS = [
    "The film wasn't well-made... at all!!?",
    "a--b -a- 'x' it's x-y-z . .. ! ?!",
    "",
    "   \t\n ",
    "ok\x00fine\x07 \x7f",
    "internationalization antidisestablishmentarianism supercalifragilistic",
    "10:30 on day 2; a=b and snake_case",
    "great :) but :-( sad xD",
    "see http://example.com/a.b. or www.example.org!",
    "one\x1ctwo\x1fthree",
    "Ünïcödé text, naïve café — “quotes” and 😀👍🏽 emoji…",
    "İstanbul ÇOK güzel",
    "x" * 70 + " " + "é" * 40,
]


def texts_with_vocabulary():
    texts, _ = toy_polarity(24)
    return texts + TRICKY_TEXTS


@pytest.mark.parametrize("lowercase", [True, False])
def test_text_tokens_are_tokenizes_tokens_with_their_spans(lowercase):
    texts = TRICKY_TEXTS + toy_polarity(8)[0]
    tokens = TextTokens.of(texts, lowercase)
    strings = tokens.strings(np.arange(len(tokens)))
    for row, text in enumerate(texts):
        expected = tokenize(text)
        run = slice(tokens.first[row], tokens.first[row] + tokens.counts[row])
        assert strings[run] == [t.lower if lowercase else t.text for t in expected]
        assert tokens.starts[run].tolist() == [t.start for t in expected]
        assert tokens.ends[run].tolist() == [t.end for t in expected]
        assert (tokens.rows[run] == row).all()


def test_word_ids_by_bytes_equal_the_vocabularys_dict():
    featurizer = featurizer_for(texts_with_vocabulary() + ["understanding understandings"])
    tokens = TextTokens.of(TRICKY_TEXTS + ["understanding understandings unknownword"], lowercase=True)
    words = tokens.word_ids(featurizer.vocab)
    assert words.tolist() == featurizer.vocab.ids(tokens.strings(np.arange(len(tokens))), missing=-1).tolist()
    assert (words >= 0).sum() > 10 and (words < 0).any()


@pytest.mark.parametrize("char_ngrams", [(3, 5), (1, 2), (2, 6), (0, 0)])
def test_own_ids_by_array_operations_equal_hashing_each_token(char_ngrams):
    featurizer = featurizer_for(texts_with_vocabulary(), char_ngrams=char_ngrams, buckets=1000)
    rng = np.random.default_rng(1)
    letters = list("abcdefghij'-:<>_0") + ["é", "ß", "😀"]
    tokens = ["", "a", "ab", "the", "film", "great", "x" * 30, "naïve", "😀"]
    tokens += ["".join(rng.choice(letters, size=rng.integers(1, 12))) for _ in range(300)]
    flat, sizes = featurizer.own_id_arrays(tokens)
    assert flat.tolist() == [i for token in tokens for i in featurizer.own_ids(token)]
    assert sizes.tolist() == [len(featurizer.own_ids(token)) for token in tokens]
    assert featurizer.own_id_arrays([])[0].tolist() == []


def test_the_byte_index_finds_each_word_with_keys_by_its_position():
    rng = np.random.default_rng(0)
    letters = list("abcdefghijklmnopqrstuvwxyzéü😀") + ["\x00"]
    words = list(dict.fromkeys("".join(rng.choice(letters, size=rng.integers(1, 20))) for _ in range(3000)))
    words += ["", "a\x00b", "\x00", "x" * 16, "x" * 17, "é" * 8, "é" * 9]  # edges: empty, NUL, 16 bytes and more
    index = ByteIndex.of(words)
    keys = [byte_keys(word) for word in words]
    keyed = [i for i, key in enumerate(keys) if key is not None]
    assert len(keyed) > 2000 and (index.ids >= 0).sum() == len(keyed)
    lows = np.array([keys[i][0] for i in keyed], dtype=np.uint64)
    highs = np.array([keys[i][1] for i in keyed], dtype=np.uint64)
    assert index.lookup(lows, highs).tolist() == keyed
    other = lows ^ np.uint64(1 << 40)  # mostly keys of no word
    ids = {key: i for i, key in enumerate(keys) if key is not None}
    expected = [ids.get((low, high), -1) for low, high in zip(other.tolist(), highs.tolist())]
    assert index.lookup(other, highs).tolist() == expected and expected.count(-1) > 2000


def test_word_ngram_buckets_by_array_operations_equal_hashing_the_joined_words():
    words = ["a", "don't", "é", "😀", "x" * 70, "mid-length-word", "z"]
    hashes = NgramHashes.of(words)
    for n in (2, 3, 4):
        starts = np.arange(len(words) - n + 1)
        expected = [_bucket("w", " ".join(words[s : s + n]), 1000) for s in starts]
        assert hashes.buckets(starts, n, 1000).tolist() == expected


def bag_classifier(texts, lowercase: bool = True) -> TextClassifier:
    featurizer = featurizer_for(texts, word_ngrams=3, char_ngrams=(2, 4), buckets=512)
    if not lowercase:
        from sentiment.neural.vocab import FeatureConfig, Featurizer, Vocab

        config = FeatureConfig(lowercase=False, word_ngrams=3, char_ngrams=(2, 4), buckets=512, max_tokens=12)
        featurizer = Featurizer(config, Vocab.build(texts, config))
    config = MLPConfig(num_ids=featurizer.num_ids, num_outputs=3, embedding_dim=8, hidden=[{"size": 8, "activation": "tanh"}])
    return TextClassifier.create("multiclass", ("negative", "neutral", "positive"), featurizer, config, seed=3)


def reference(classifier: TextClassifier, texts) -> np.ndarray:
    token_lists = [classifier.featurizer.tokens(text) for text in texts]
    return classifier.predict_encoded([classifier.encode_tokens(tokens) for tokens in token_lists]).probabilities


def batched(classifier: TextClassifier, texts, batch_size: int = 512) -> np.ndarray:
    tokens = TextTokens.of(texts, classifier.featurizer.config.lowercase)
    return classifier.predict_batch(classifier.token_batch(tokens), batch_size).probabilities


@pytest.mark.parametrize("lowercase", [True, False], ids=["lowercase", "cased-max-12-tokens"])
def test_bag_means_equal_the_embedding_bag_of_bag_ids(lowercase):
    texts = texts_with_vocabulary()
    classifier = bag_classifier(texts[:20], lowercase).batch_invariant()
    together = batched(classifier, texts)
    # the bags are summed in float32 (inference.FAST_BAG_DTYPE): the reference's float64 sums
    # rounded to float32 may differ in the last bit
    np.testing.assert_allclose(together, reference(classifier, texts), rtol=0, atol=1e-6)
    np.testing.assert_array_equal(batched(classifier, texts, batch_size=3), together)
    alone = np.concatenate([batched(classifier, [text]) for text in texts])
    np.testing.assert_array_equal(together, alone)  # analyze_batch == analyze text by text


RNNS = [
    {"cell": "gru", "pooling": "max"},
    {"cell": "gru", "pooling": "mean", "bidirectional": False},
    {"cell": "lstm", "pooling": "last"},
    {"cell": "lstm", "pooling": "attention", "bidirectional": False},
]


@pytest.mark.parametrize("net", RNNS, ids=lambda net: f"{net['cell']}-{net['pooling']}")
def test_sequence_path_equals_the_rnn_and_each_text_alone(net):
    texts = texts_with_vocabulary()
    classifier = make_classifier(texts[:20], ("negative", "neutral", "positive"), arch="rnn", **net).batch_invariant()
    together = batched(classifier, texts)
    np.testing.assert_allclose(together, reference(classifier, texts), rtol=0, atol=1e-6)
    alone = np.concatenate([batched(classifier, [text]) for text in texts])
    np.testing.assert_array_equal(together, alone)  # analyze_batch == analyze text by text


@pytest.mark.parametrize("net", RNNS, ids=lambda net: f"{net['cell']}-{net['pooling']}")
def test_the_scripted_recurrence_equals_the_python_loop(net, monkeypatch):
    assert isinstance(inference.recurrence(), torch.jit.ScriptFunction)  # the pinned torch scripts it
    texts = texts_with_vocabulary()
    classifier = make_classifier(texts[:20], ("negative", "neutral", "positive"), arch="rnn", **net).batch_invariant()
    scripted = batched(classifier, texts)
    monkeypatch.setattr(inference, "recurrence", lambda: inference._recurrence)  # the fallback
    np.testing.assert_array_equal(batched(classifier, texts), scripted)


@pytest.mark.parametrize("net", RNNS, ids=lambda net: f"{net['cell']}-{net['pooling']}")
def test_gradient_times_input_through_the_recurrence_equals_the_rnns_own_forward(net):
    from sentiment.neural import attribution

    texts = texts_with_vocabulary()
    classifier = make_classifier(texts[:20], ("negative", "neutral", "positive"), arch="rnn", **net).batch_invariant()
    batch = classifier.token_batch(TextTokens.of(texts, classifier.featurizer.config.lowercase))
    # a value that differs by row, as the analyzer's do (each text's predicted label): the backward
    # pass is of the sum over the texts, which a row mix-up would leave unchanged otherwise
    label = torch.arange(len(texts)) % 3
    chosen = lambda outputs, rows: outputs[rows, label[rows]]  # noqa: E731
    fast = attribution.gradient_times_input(classifier, batch, chosen)
    reference = attribution._gradient_times_input_by_forward(classifier, batch, chosen)
    assert [len(w) for w in fast] == batch.counts.tolist() and 0 in batch.counts  # empty texts report nothing
    for ours, theirs in zip(fast, reference):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    assert max(np.abs(w).max(initial=0) for w in fast) > 1e-4  # not all zero
    assert all(p.grad is None for p in classifier.net.parameters())


def test_an_rnn_of_several_layers_runs_its_own_forward():
    texts = texts_with_vocabulary()
    classifier = make_classifier(texts[:20], ("negative", "positive"), arch="rnn", num_layers=2).batch_invariant()
    assert classifier.encoder() is None
    np.testing.assert_array_equal(batched(classifier, texts), reference(classifier, texts))


def test_the_recurrence_falls_back_to_float64_where_rows_are_not_independent(monkeypatch):
    texts = texts_with_vocabulary()
    classifier = make_classifier(texts[:20], ("negative", "positive"), arch="rnn").batch_invariant()
    assert classifier.encoder().hidden_weight.dtype == inference.RECURRENCE_DTYPE
    monkeypatch.setattr(inference, "rows_independent", lambda weight: False)
    classifier.net.embedding.weight.data = classifier.net.embedding.weight.data.clone()  # new weights: rebuilt
    assert classifier.encoder().hidden_weight.dtype == torch.float64
    np.testing.assert_allclose(batched(classifier, texts), reference(classifier, texts), rtol=0, atol=1e-12)


def test_the_batched_path_follows_training_steps():
    """Fused optimizers change weights in place without a trace: before a classifier serves, the
    batched path reads its current weights every time."""
    texts, labels = toy_polarity(16)
    classifier = make_classifier(texts, ("negative", "positive"))
    before = batched(classifier, texts)
    fit(classifier, Encoded.of(classifier, texts, labels), TrainConfig(lr=0.05, batch_size=8, epochs=2, patience=None))
    after = batched(classifier, texts)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, reference(classifier, texts), rtol=0, atol=1e-6)


def test_sentence_runs_are_the_tokens_inside_each_span():
    text = "Great film. But the end, the end was bad!  Fun " + POSITIVE_WORDS[0]
    tokens = TextTokens.of([text, "x"], lowercase=True)
    starts, ends = np.array([0, 12, 43]), np.array([11, 41, len(text)])
    first, end = tokens.runs(np.zeros(3, dtype=np.int64), starts, ends)
    strings = tokens.strings(np.arange(len(tokens)))
    assert [strings[a:b] for a, b in zip(first, end)] == [
        [t.lower for t in tokenize(text) if s <= t.start and t.end <= e] for s, e in zip(starts, ends)
    ]


# --- the analyzer ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory):
    """A neural analyzer of one tiny polarity MLP."""
    from sentiment.neural.analyzer import NeuralAnalyzer
    from sentiment.neural.checkpoint import save_model

    texts, labels = toy_polarity(16)
    classifier = make_classifier(texts, ("negative", "neutral", "positive"))
    fit(classifier, Encoded.of(classifier, texts, labels), TrainConfig(lr=0.05, batch_size=8, epochs=3, patience=None))
    root = tmp_path_factory.mktemp("models")
    save_model(classifier, root / "neural" / "polarity")
    return NeuralAnalyzer(models_dir=root)


def test_each_sentence_is_scored_as_that_sentence_alone(analyzer):
    texts = ["The film was great. The hotel was awful!  Dull dinner", "fun", "Bad hotel :( really. Fun film, see www.x.org!"]
    results = analyzer.analyze_batch(texts)
    for result in results:
        for sentence in result.sentences:
            assert sentence.polarity == analyzer.analyze(sentence.text).polarity
    assert [len(r.sentences) for r in results] == [3, 1, 2]
    assert results[1].sentences[0].polarity == results[1].polarity


def test_distributions_are_the_reported_probabilities(analyzer):
    texts = ["The film was great.", "awful", ""]
    distributions = analyzer.distributions(texts, "polarity")[Mode.POLARITY]
    labels = ("negative", "neutral", "positive")
    expected = [[r.polarity.probabilities[label] for label in labels] for r in analyzer.analyze_batch(texts)]
    assert distributions.probabilities.tolist() == expected


def test_rounded_is_pythons_round():
    from sentiment.neural.analyzer import rounded

    rng = np.random.default_rng(0)
    ties = (np.arange(-3000, 3000) + 0.5) / 1e6  # decimal ties (as far as floats hold them)
    values = np.concatenate([rng.normal(0, 0.3, 20_000), ties, ties * 1e3, [1e-3, -2.5e-6, 0.0, -0.0, 1e12 + 0.3]])
    assert rounded(values, 6).tolist() == [round(float(v), 6) for v in values]


def test_byte_tokenizer_matches_tokenize_on_random_ascii():
    """Seeded fuzzing over the characters the byte rules treat specially (joins, runs, clue
    characters of URLs and emoticons, control characters): every token and span as `tokenize`."""
    import random

    alphabet = "aZ9_ '-.!?:;=()<>^/@#$%&*,\"\t\n\x0b\x0c\r\x00\x1c\x1fhtpswxXD"
    generator = random.Random(7)
    texts = ["".join(generator.choice(alphabet) for _ in range(generator.randint(0, 40))) for _ in range(3000)]
    texts += ["http://x.y", "www.a.b c", ":-) :P ;) <3 xD XD ^_^", "a'b'c a-'b '-a"]
    for lowercase in (True, False):
        tokens = TextTokens.of(texts, lowercase)
        strings = tokens.strings(np.arange(len(tokens)))
        for row, text in enumerate(texts):
            expected = tokenize(text)
            run = slice(tokens.first[row], tokens.first[row] + tokens.counts[row])
            assert strings[run] == [t.lower if lowercase else t.text for t in expected], repr(text)
            assert tokens.starts[run].tolist() == [t.start for t in expected], repr(text)
