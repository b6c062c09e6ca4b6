"""Batched inference: a whole batch's tokens (tokens.py) as flat arrays, without per-text tensors.

The networks' own `forward` (nets.py, used in training) is the reference. Prediction sums the
bags in float32 (FAST_BAG_DTYPE) and the sequence path runs its recurrence in float32
(RECURRENCE_DTYPE): outputs differ from the reference by float32 rounding, and never depend on the
other texts of the batch.

- Bags (MLP): the sum of a vocabulary word's own rows (its word id and character n-grams) is
  kept once the word has occurred (a table the size of the vocabulary); other tokens are summed
  per batch, and word n-gram ids are hashed with array operations (vocab.py). The same pieces,
  in float64, give every token's occlusion at once (attribution.py).
- Sequences (RNN with one recurrent layer): a word's input projection is kept once it has
  occurred (computed for a fixed block of words, so it never depends on the batch); the
  recurrence runs over the texts sorted by length, each step on the texts still running, both
  directions together, in a TorchScript loop (`recurrence`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, List, Sequence

import numpy as np
import torch
from torch import nn

from .nets import MLP, RNN
from .tokens import TokenBatch
from .vocab import UNK_ID, Featurizer, NgramHashes

# Words whose RNN input projections are computed together, by one matrix product of this fixed
# shape, when one of them first occurs.
PROJECTION_BLOCK = 256
# Prediction sums each text's bag in float32 with fused gather-and-sum kernels (embedding_bag),
# about ten times faster than float64 gathers and scatter-adds (which have no fused kernel); each
# text is summed on its own in a fixed order, so its bag does not depend on the batch. The bag
# means then go through the feed-forward stack in the network's dtype. (Explanations keep the
# float64 pieces, `bags`, whose parts they need.)
FAST_BAG_DTYPE = torch.float32
# The RNN recurrence runs in float32, about 2.5 times faster than float64 (its outputs differ from
# the float64 network's by well under 1e-6). Its one cross-row operation, the hidden-state matrix
# product, must give each row the same result whatever the other rows (analyze_batch ==
# analyze text by text). BLAS does, except for a product of a single row (a matrix-vector routine
# that sums in another order): a step always runs on at least MIN_STEP_ROWS rows (padding rows are
# computed and dropped), and each encoder first checks the property on PROBE_ROWS random rows
# (which routine runs depends on the shapes, not the numbers); where it fails, the recurrence runs
# in the network's float64, whose rounding to float32 hides such differences.
RECURRENCE_DTYPE = torch.float32
MIN_STEP_ROWS = 4
PROBE_ROWS = 80


def rows_independent(weight: torch.Tensor) -> bool:
    """Whether `torch.bmm(states, weight)` gives every row of `states` the same result for any
    number (>= MIN_STEP_ROWS) and position of rows."""
    generator = torch.Generator().manual_seed(0)
    states = torch.randn(weight.shape[0], PROBE_ROWS, weight.shape[1], generator=generator).to(weight.dtype)
    full = torch.bmm(states, weight)
    return all(
        torch.equal(torch.bmm(states[:, start : start + rows], weight), full[:, start : start + rows])
        for rows in range(MIN_STEP_ROWS, PROBE_ROWS)
        for start in {0, PROBE_ROWS - rows}
    )


def weights_key(net: nn.Module) -> tuple:
    """Changes when the network's weights are replaced, cast or loaded anew (not necessarily when
    a fused optimizer steps on them in place)."""
    return tuple((p.data_ptr(), p._version, p.dtype) for p in net.parameters())


@dataclass(frozen=True)
class Bags:
    """A batch's bags in parts: each token's own rows summed, and each word n-gram's row."""

    tokens: TokenBatch
    token_sums: torch.Tensor  # (tokens, dim)
    token_sizes: np.ndarray  # (tokens,) ids per token
    gram_rows: torch.Tensor  # (grams, dim)
    gram_starts: np.ndarray  # (grams,) flat position of each n-gram's first token
    gram_orders: np.ndarray  # (grams,) tokens per n-gram


class BagEncoder:
    """`MLP.encode` of `Featurizer.bag_ids`, for whole batches."""

    def __init__(self, featurizer: Featurizer, embedding: torch.Tensor) -> None:
        self.featurizer = featurizer
        self.weight = embedding.detach()
        self.hashes = NgramHashes.of(featurizer.vocab.tokens)
        vocabulary = len(featurizer.vocab)
        self.word_sums = torch.zeros(vocabulary, self.weight.shape[1], dtype=self.weight.dtype)
        self.word_sizes = np.zeros(vocabulary, dtype=np.int64)  # 0: not summed yet
        self.fast_weight = self.weight.to(FAST_BAG_DTYPE)
        # the word sums in FAST_BAG_DTYPE, and a last row of zeros for the words outside the vocabulary
        self.fast_word_sums = torch.zeros(vocabulary + 1, self.weight.shape[1], dtype=FAST_BAG_DTYPE)

    def fast_means(self, tokens: TokenBatch) -> torch.Tensor:
        """`means(bags(tokens))` up to float32 rounding, in the network's dtype: the known words'
        sums, then the other tokens' own rows, then the word n-grams, per text."""
        unknown, words = self._words(tokens)
        texts = len(tokens.counts)
        sizes = np.bincount(tokens.rows, weights=self.word_sizes[words], minlength=texts).astype(np.int64)
        rows = np.where(tokens.words < 0, len(self.word_sizes), tokens.words) if unknown.size else tokens.words
        sums = nn.functional.embedding_bag(
            torch.from_numpy(rows), self.fast_word_sums, torch.from_numpy(tokens.first), mode="sum"
        )
        hashes = self.hashes.take(words)
        if unknown.size:
            strings = tokens.strings(unknown)
            own, own_sizes = self._own_sums(strings, fast=True)
            sums.index_add_(0, torch.from_numpy(tokens.rows[unknown]), own)
            sizes += np.bincount(tokens.rows[unknown], weights=own_sizes - self.word_sizes[UNK_ID], minlength=texts).astype(np.int64)
            hashes.put(unknown, NgramHashes.of(strings))
        ids, starts, _ = self._grams(tokens, hashes)
        if len(starts):
            gram_texts = tokens.rows[starts]
            by_text = np.argsort(gram_texts, kind="stable")
            offsets = np.searchsorted(gram_texts[by_text], np.arange(texts))
            sums += nn.functional.embedding_bag(
                torch.from_numpy(ids[by_text]), self.fast_weight, torch.from_numpy(offsets), mode="sum"
            )
            sizes += np.bincount(gram_texts, minlength=texts)
        means = sums.to(self.weight.dtype) / torch.from_numpy(np.maximum(sizes, 1)).to(self.weight.dtype).unsqueeze(1)
        empty = np.flatnonzero(tokens.counts == 0)
        if empty.size:
            means[torch.from_numpy(empty)] = self.weight[UNK_ID]
        return means

    def bags(self, tokens: TokenBatch) -> Bags:
        unknown, words = self._words(tokens)  # UNK_ID for the unknown ones: replaced below
        sums = self.word_sums.index_select(0, torch.from_numpy(words))
        sizes, hashes = self.word_sizes[words], self.hashes.take(words)
        if unknown.size:
            strings = tokens.strings(unknown)
            sums[torch.from_numpy(unknown)], sizes[unknown] = self._own_sums(strings)
            hashes.put(unknown, NgramHashes.of(strings))
        gram_ids, starts, orders = self._grams(tokens, hashes)
        return Bags(tokens, sums, sizes, self.weight.index_select(0, torch.from_numpy(gram_ids)), starts, orders)

    def means(self, bags: Bags) -> torch.Tensor:
        """Each text's bag mean; an empty text's bag is the unknown word's row, as in `bag_ids`."""
        sums, sizes = self._totals(bags)
        sums /= torch.from_numpy(np.maximum(sizes, 1)).to(sums.dtype).unsqueeze(1)
        empty = np.flatnonzero(bags.tokens.counts == 0)
        if empty.size:
            sums[torch.from_numpy(empty)] = self.weight[UNK_ID]
        return sums

    def occluded_means(self, bags: Bags) -> torch.Tensor:
        """Per token, its text's bag mean without the token's ids (its own and every n-gram it is in);
        zeros where nothing is left (EmbeddingBag's empty-bag value)."""
        sums, sizes = self._totals(bags)
        removed = bags.token_sums.clone()
        removed_sizes = bags.token_sizes.copy()
        for offset in range(int(bags.gram_orders.max(initial=0))):
            inside = offset < bags.gram_orders
            positions = bags.gram_starts[inside] + offset
            removed.index_add_(0, torch.from_numpy(positions), bags.gram_rows[torch.from_numpy(inside)])
            removed_sizes += np.bincount(positions, minlength=len(removed_sizes))
        rows = torch.from_numpy(bags.tokens.rows)
        left = sizes[bags.tokens.rows] - removed_sizes
        occluded = (sums[rows] - removed) / torch.from_numpy(np.maximum(left, 1)).to(sums.dtype).unsqueeze(1)
        occluded[torch.from_numpy(left <= 0)] = 0.0
        return occluded

    def _totals(self, bags: Bags) -> tuple[torch.Tensor, np.ndarray]:
        """Each text's bag sum (its tokens' sums, then its n-grams' rows, added in order) and size."""
        tokens = bags.tokens
        texts = len(tokens.counts)
        gram_texts = tokens.rows[bags.gram_starts]
        sums = torch.zeros(texts, self.weight.shape[1], dtype=self.weight.dtype)
        sums.index_add_(0, torch.from_numpy(tokens.rows), bags.token_sums)
        sums.index_add_(0, torch.from_numpy(gram_texts), bags.gram_rows)
        sizes = np.bincount(tokens.rows, weights=bags.token_sizes, minlength=texts).astype(np.int64)
        return sums, sizes + np.bincount(gram_texts, minlength=texts)

    def _words(self, tokens: TokenBatch) -> tuple[np.ndarray, np.ndarray]:
        """The positions of the tokens outside the vocabulary, and every token's word id (UNK_ID
        for those), with the own-row sums of the words among them computed."""
        unknown = np.flatnonzero(tokens.words < 0)
        words = np.where(tokens.words < 0, UNK_ID, tokens.words) if unknown.size else tokens.words
        self._sum_words(words)
        return unknown, words

    def _grams(self, tokens: TokenBatch, hashes: NgramHashes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The bag id, first token and order of every word n-gram (n >= 2) inside each text, by
        order; `hashes` are the tokens' word hashes."""
        starts, orders = self._gram_positions(tokens)
        orders_used = range(2, self.featurizer.config.word_ngrams + 1)
        ids = [self.featurizer.word_ngram_ids(hashes, starts[orders == n], n) for n in orders_used]
        return (np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)), starts, orders

    def _gram_positions(self, tokens: TokenBatch) -> tuple[np.ndarray, np.ndarray]:
        """First token and order of every word n-gram (n >= 2) inside each text, by order."""
        positions, left = tokens.positions, tokens.counts[tokens.rows]
        starts = [np.flatnonzero(positions + n <= left) for n in range(2, self.featurizer.config.word_ngrams + 1)]
        orders = [np.full(len(s), n, dtype=np.int64) for n, s in enumerate(starts, start=2)]
        empty = np.zeros(0, dtype=np.int64)
        return np.concatenate(starts or [empty]), np.concatenate(orders or [empty])

    def _sum_words(self, words: np.ndarray) -> None:
        """Sum the own rows of the vocabulary words among `words` not summed before."""
        new = np.unique(words[self.word_sizes[words] == 0])
        if new.size:
            vocabulary = self.featurizer.vocab.tokens
            sums, sizes = self._own_sums([vocabulary[w] for w in new.tolist()])
            self.word_sums[torch.from_numpy(new)] = sums
            self.fast_word_sums[torch.from_numpy(new)] = sums.to(FAST_BAG_DTYPE)
            self.word_sizes[new] = sizes  # after the sums: a size > 0 marks a finished row

    def _own_sums(self, strings: Sequence[str], fast: bool = False) -> tuple[torch.Tensor, np.ndarray]:
        """Each token's own rows summed (in id order, whatever the batch), and how many; `fast`:
        in FAST_BAG_DTYPE, by a fused gather-and-sum."""
        unique = list(dict.fromkeys(strings))
        flat, sizes = self.featurizer.own_id_arrays(unique)
        offsets = np.zeros_like(sizes)
        np.cumsum(sizes[:-1], out=offsets[1:])
        if fast:
            sums = nn.functional.embedding_bag(torch.from_numpy(flat), self.fast_weight, torch.from_numpy(offsets), mode="sum")
        else:
            rows = self.weight.index_select(0, torch.from_numpy(flat))
            sums = torch.from_numpy(np.add.reduceat(rows.numpy(), offsets, axis=0))
        if len(unique) == len(strings):
            return sums, sizes
        where = {token: i for i, token in enumerate(unique)}
        index = np.fromiter(map(where.__getitem__, strings), dtype=np.int64, count=len(strings))
        return sums[torch.from_numpy(index)], sizes[index]


def _recurrence(
    projections: torch.Tensor,
    rows: torch.Tensor,
    weight: torch.Tensor,
    candidate_bias: torch.Tensor,
    starts: List[int],
    counts: List[int],
    lstm: bool,
    pooling: str,
    min_rows: int,
) -> torch.Tensor:
    """The recurrence over a schedule's slots, both directions at once, pooled on the way (the
    arithmetic of ATen's GRUCell and LSTMCell, its biases regrouped).

    `projections` (directions x vocabulary, gates): the input projections, with the hidden biases
    that add to them folded in (an LSTM's all, a GRU's but its candidate gate's); `rows`
    (directions, slots + padding): each slot's row of them (gathered step by step: one gather of
    every slot's row took longer, mostly faulting in the pages of its large output); `weight`
    (directions, hidden, gates) the hidden state's, and for a GRU `candidate_bias`
    (directions, 1, hidden) its candidate gate's, which the reset gate multiplies. Step i runs slots
    starts[i] ..< starts[i] + counts[i] on at least `min_rows` rows. Returns per direction and
    text by rank (directions, texts, hidden) the maximum, sum or last of its states; for attention
    pooling, every state (slots, directions, hidden)."""
    directions, size, gate_count = weight.shape[0], weight.shape[1], weight.shape[2]
    texts = max(counts[0], min_rows)
    hidden = weight.new_zeros(directions, texts, size)
    cell = weight.new_zeros(directions, texts, size)
    if pooling == "attention":
        kept = weight.new_zeros(starts[-1] + counts[-1], directions, size)
    elif pooling == "max":
        kept = weight.new_full((directions, texts, size), float("-inf"))
    else:
        kept = weight.new_zeros(directions, texts, size)
    for i in range(len(starts)):  # narrow, not slices: `x[:, a:b]` is two operations, each costly
        start, count = starts[i], counts[i]
        width = max(count, min_rows)
        step_rows = rows.narrow(1, start, width).reshape(-1)
        step_inputs = projections.index_select(0, step_rows).view(directions, width, gate_count)
        previous = hidden.narrow(1, 0, width)
        gates = torch.bmm(previous, weight)
        if lstm:
            in_gate, forget_gate, cell_gate, out_gate = gates.add_(step_inputs).chunk(4, dim=-1)
            cell = (forget_gate.sigmoid() * cell.narrow(1, 0, width)).add_(in_gate.sigmoid() * cell_gate.tanh())
            hidden = out_gate.sigmoid() * cell.tanh()
        else:
            reset_update, candidate = gates.split([2 * size, size], dim=-1)
            input_reset_update, input_candidate = step_inputs.split([2 * size, size], dim=-1)
            reset, update = reset_update.add_(input_reset_update).sigmoid_().chunk(2, dim=-1)
            candidate = torch.addcmul(input_candidate, reset, candidate.add_(candidate_bias)).tanh_()
            hidden = torch.lerp(candidate, previous, update)  # (1 - update) * candidate + update * previous
        new = hidden.narrow(1, 0, count)
        if pooling == "attention":
            kept.narrow(0, start, count).copy_(new.transpose(0, 1))
        elif pooling == "max":
            running = kept.narrow(1, 0, count)
            torch.maximum(running, new, out=running)
        elif pooling == "mean":
            kept.narrow(1, 0, count).add_(new)
        else:  # last: a text's final state is the one of its last step
            kept.narrow(1, 0, count).copy_(new)
    return kept if pooling == "attention" else kept.narrow(1, 0, counts[0])


@lru_cache(maxsize=1)
def recurrence() -> Callable[..., torch.Tensor]:
    """`_recurrence` compiled by TorchScript, or as it is where torch cannot script it. A step is
    about a dozen small operations, and Python's overhead between them is gone once scripted: the
    RNN's prediction was about 15% faster. The scripted loop runs the same operations (torch's CPU
    fuser is off by default), so it gives the same numbers (tested)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # deprecated in favour of torch.compile, which needs a compiler
            return torch.jit.script(_recurrence)
    except Exception:  # noqa: BLE001  (TorchScript is in maintenance: any failure means "not here")
        return _recurrence


def _gru_cell_differentiable(
    inputs: torch.Tensor, hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor
) -> tuple[torch.Tensor, None]:
    """One GRU step for both directions at once (ATen's GRUCell, operation for operation), without
    in-place operations, for autograd; splits rather than slices (whose backward pass fills a
    tensor of the whole's size)."""
    size = hidden.shape[-1]
    input_reset_update, input_candidate = inputs.split([2 * size, size], dim=-1)
    hidden_reset_update, hidden_candidate = torch.baddbmm(bias, hidden, weight).split([2 * size, size], dim=-1)
    reset, update = torch.sigmoid(input_reset_update + hidden_reset_update).chunk(2, dim=-1)
    candidate = torch.tanh(input_candidate + reset * hidden_candidate)
    return (hidden - candidate) * update + candidate, None


def _lstm_cell_differentiable(
    inputs: torch.Tensor, hidden: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, cell: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """One LSTM step for both directions at once (ATen's LSTMCell), for autograd."""
    in_gate, forget_gate, cell_gate, out_gate = (torch.baddbmm(bias, hidden, weight) + inputs).chunk(4, dim=-1)
    cell = torch.sigmoid(forget_gate) * cell + torch.sigmoid(in_gate) * torch.tanh(cell_gate)
    return torch.sigmoid(out_gate) * torch.tanh(cell), cell


@dataclass(frozen=True)
class Schedule:
    """Where each token of a batch runs in the recurrence. Step t runs the texts with more than t
    tokens, longest first (a text's rank), on token t forwards and token length-1-t backwards; a
    slot is one text at one step. A text without tokens reads one unknown word (as
    `Featurizer.word_ids`)."""

    tokens: TokenBatch  # the batch, with that unknown word
    words: np.ndarray  # (tokens,) vocabulary ids, UNK_ID for words without one
    lengths: np.ndarray  # (texts,)
    order: np.ndarray  # texts by rank
    rank: np.ndarray  # (texts,)
    running: np.ndarray  # per step: the texts still running
    step_starts: np.ndarray  # per step: its first slot (and the slot count last)
    slots: tuple[np.ndarray, ...]  # per direction: each token's slot

    @classmethod
    def of(cls, tokens: TokenBatch, directions: int) -> "Schedule":
        tokens = _unknown_word_for_empty(tokens)
        words = np.where(tokens.words < 0, UNK_ID, tokens.words)
        lengths = tokens.counts
        order = np.argsort(-lengths, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        running = np.bincount(lengths)[::-1].cumsum()[::-1][1:]
        step_starts = np.concatenate([[0], np.cumsum(running)])
        positions, text_lengths, ranks = tokens.positions, lengths[tokens.rows], rank[tokens.rows]
        slots = (step_starts[positions] + ranks, step_starts[text_lengths - 1 - positions] + ranks)[:directions]
        return cls(tokens, words, lengths, order, rank, running, step_starts, slots)

    def tokens_by_slot(self) -> list[np.ndarray]:
        """Per direction, the token in each slot."""
        found = []
        for slots in self.slots:
            token = np.empty_like(slots)
            token[slots] = np.arange(len(slots))
            found.append(token)
        return found

    def slot_words(self) -> list[np.ndarray]:
        """Per direction, the word in each slot."""
        return [self.words[tokens] for tokens in self.tokens_by_slot()]


class SequenceEncoder:
    """`RNN.forward` up to the feed-forward stack (its pooled states), for whole batches."""

    def __init__(self, net: RNN, featurizer: Featurizer) -> None:
        self.net, self.featurizer = net, featurizer
        config, rnn = net.config, net.rnn
        self.is_lstm = config.cell == "lstm"
        suffixes = ("", "_reverse") if config.bidirectional else ("",)

        def stacked(name: str) -> torch.Tensor:
            return torch.stack([getattr(rnn, f"{name}_l0{suffix}").detach() for suffix in suffixes])

        self.input_weight, self.input_bias = stacked("weight_ih"), stacked("bias_ih")  # (D, G, E), (D, G)
        self.embedding = net.embedding.weight.detach()
        weight, bias = stacked("weight_hh").transpose(1, 2), stacked("bias_hh").unsqueeze(1)  # (D, H, G), (D, 1, G)
        self.reference_hidden = (weight, bias)  # in the network's dtype (`differentiable`)
        size = weight.shape[1]
        folded = bias.squeeze(1).clone()  # the hidden biases that add to the input projection (`_recurrence`)
        if not self.is_lstm:
            folded[:, 2 * size :] = 0.0
        self.projection_bias = self.input_bias + folded  # (D, G)
        dtype = RECURRENCE_DTYPE if rows_independent(weight.to(RECURRENCE_DTYPE)) else weight.dtype
        self.hidden_weight = weight.to(dtype)
        self.candidate_bias = bias[..., 2 * size :].to(dtype) if not self.is_lstm else bias[..., :0].to(dtype)
        directions, gates = self.input_bias.shape
        vocabulary = len(featurizer.vocab)
        self.projections = torch.empty(directions, vocabulary, gates, dtype=dtype)  # filled by block
        self.projected = np.zeros(-(-vocabulary // PROJECTION_BLOCK), dtype=bool)

    @staticmethod
    def supports(net: nn.Module) -> bool:
        return isinstance(net, RNN) and net.config.num_layers == 1

    def pooled(self, tokens: TokenBatch) -> torch.Tensor:
        """The pooled states (texts, directions x hidden) that `RNN.forward` feeds its stack."""
        schedule = Schedule.of(tokens, len(self.projections))
        self._project(schedule.words)
        pooling = self.net.config.pooling
        if pooling != "attention":
            pooled = self._run(schedule, pooling)  # by rank
            if pooling == "mean":
                pooled /= torch.from_numpy(schedule.lengths[schedule.order]).to(pooled.dtype).unsqueeze(1)
            return pooled[torch.from_numpy(schedule.rank)].to(self.embedding.dtype)
        # attention: every state, back in text order, through the network's own pooling
        return self._pool_states(schedule, self._run(schedule, pooling).to(self.embedding.dtype))

    def differentiable(self, tokens: TokenBatch) -> tuple[torch.Tensor, torch.Tensor, Schedule]:
        """(embedded, pooled, schedule): the word embeddings of the schedule's tokens (tokens, E), a
        leaf that requires grad, and the pooled states computed from them with autograd, in the
        network's dtype and without in-place operations (call under `torch.enable_grad`).

        The same recurrence as `pooled` (a step per position over the texts still running, pooled
        on the way), so a backward pass costs a few operations per step, not per text; each step's
        inputs are one piece of a split (whose backward is one concatenation) rather than a slice
        of the whole (whose backward fills a tensor of the whole's size, every step)."""
        schedule = Schedule.of(tokens, len(self.projections))
        embedded = self.embedding[torch.from_numpy(schedule.words)].requires_grad_(True)
        weight, bias = self.reference_hidden
        step = _lstm_cell_differentiable if self.is_lstm else _gru_cell_differentiable
        inputs = torch.stack(
            [
                torch.addmm(self.input_bias[direction], embedded[torch.from_numpy(tokens_by_slot)], self.input_weight[direction].T)
                for direction, tokens_by_slot in enumerate(schedule.tokens_by_slot())
            ]
        )  # (directions, slots, gates)
        hidden = inputs.new_zeros(len(inputs), int(schedule.running[0]), self.size)
        cell = hidden if self.is_lstm else None
        pooling = self.net.config.pooling
        states, finished, kept = [], [], None  # finished: pooled states of texts done, last done first
        running = schedule.running.tolist()
        for step_inputs, count in zip(torch.split(inputs, running, dim=1), running):
            extra = (cell[:, :count],) if cell is not None else ()
            hidden, cell = step(step_inputs, hidden[:, :count], weight, bias, *extra)
            if pooling == "attention":
                states.append(hidden)
                continue
            if kept is not None and count < kept.shape[1]:
                kept, done = kept.split([count, kept.shape[1] - count], dim=1)
                finished.append(done)
            if kept is None or pooling == "last":  # a text's last state is the one of its last step
                kept = hidden
            else:
                kept = torch.maximum(kept, hidden) if pooling == "max" else kept + hidden
        if pooling == "attention":
            return embedded, self._pool_states(schedule, torch.cat(states, dim=1).transpose(0, 1)), schedule
        by_rank = torch.cat([kept, *reversed(finished)], dim=1).transpose(0, 1).reshape(len(schedule.lengths), -1)
        if pooling == "mean":
            by_rank = by_rank / torch.from_numpy(schedule.lengths[schedule.order]).to(by_rank.dtype).unsqueeze(1)
        return embedded, by_rank[torch.from_numpy(schedule.rank)], schedule

    def _pool_states(self, schedule: Schedule, by_slot: torch.Tensor) -> torch.Tensor:
        """Every state (slots, directions, hidden) back in text order, through the network's own
        pooling."""
        tokens = schedule.tokens
        token_states = torch.cat([by_slot[torch.from_numpy(slots), i] for i, slots in enumerate(schedule.slots)], dim=1)
        padded = token_states.new_zeros(len(schedule.lengths), int(schedule.lengths.max()), token_states.shape[1])
        padded = padded.index_put((torch.from_numpy(tokens.rows), torch.from_numpy(tokens.positions)), token_states)
        return self.net.pool(padded, torch.from_numpy(schedule.lengths))

    @property
    def size(self) -> int:
        """Hidden units per direction."""
        return self.hidden_weight.shape[1]

    def _run(self, schedule: Schedule, pooling: str) -> torch.Tensor:
        """The recurrence, pooled on the way: per text, by rank, (texts, directions x hidden) the
        maximum, sum or last of its states; or, for attention pooling, every state
        (slots, directions, hidden)."""
        directions, vocabulary, gates = self.projections.shape
        padding = np.full(MIN_STEP_ROWS, UNK_ID)  # inputs of the padding rows: any will do
        rows = np.stack([direction * vocabulary + np.concatenate([w, padding]) for direction, w in enumerate(schedule.slot_words())])
        kept = recurrence()(
            self.projections.view(-1, gates), torch.from_numpy(rows), self.hidden_weight, self.candidate_bias, schedule.step_starts[:-1].tolist(), schedule.running.tolist(),
            self.is_lstm, pooling, MIN_STEP_ROWS,
        )
        return kept if pooling == "attention" else kept.transpose(0, 1).reshape(kept.shape[1], -1)

    def _project(self, words: np.ndarray) -> None:
        """Compute the input projections of the blocks of words among `words` not computed before."""
        blocks = np.unique(words // PROJECTION_BLOCK)
        for block in blocks[~self.projected[blocks]].tolist():
            rows = slice(block * PROJECTION_BLOCK, (block + 1) * PROJECTION_BLOCK)
            embedded = self.embedding[rows]
            self.projections[:, rows] = torch.baddbmm(
                self.projection_bias.unsqueeze(1), embedded.expand(len(self.projections), -1, -1), self.input_weight.transpose(1, 2)
            ).to(self.projections.dtype)
            self.projected[block] = True  # after the rows: marks them finished


Encoder = BagEncoder | SequenceEncoder


def has_batched_path(net: nn.Module) -> bool:
    """Every network but an RNN of several recurrent layers."""
    return isinstance(net, MLP) or SequenceEncoder.supports(net)


def make_encoder(net: nn.Module, featurizer: Featurizer) -> Encoder | None:
    """The batched path for `net`, or None where there is none (`has_batched_path`)."""
    if isinstance(net, MLP):
        return BagEncoder(featurizer, net.embedding.weight)
    if SequenceEncoder.supports(net):
        return SequenceEncoder(net, featurizer)
    return None


def stack_inputs(encoder: Encoder, tokens: TokenBatch) -> torch.Tensor:
    """What the network's feed-forward stack reads for these texts."""
    if isinstance(encoder, BagEncoder):
        return encoder.fast_means(tokens)
    return encoder.pooled(tokens)


def _unknown_word_for_empty(tokens: TokenBatch) -> TokenBatch:
    """The batch with an unknown word as the one token of each text without tokens."""
    empty = np.flatnonzero(tokens.counts == 0)
    if not empty.size:
        return tokens
    counts = np.maximum(tokens.counts, 1)
    first = np.zeros_like(counts)
    np.cumsum(counts[:-1], out=first[1:])
    at = tokens.first[empty]
    return TokenBatch(
        tokens.tokens, np.insert(tokens.index, at, -1), np.insert(tokens.words, at, UNK_ID),
        np.repeat(np.arange(len(counts)), counts), first, counts,
    )
