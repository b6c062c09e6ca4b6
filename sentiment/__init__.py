"""sentiment: lexicon, neural and hybrid sentiment analysis behind one interface.

>>> from sentiment import get_analyzer
>>> analyzer = get_analyzer("lexicon")
>>> analyzer.analyze("The camera struggles in low light", modes=["polarity", "aspect"]).polarity.label
'negative'
"""

from .base import Analyzer, BaseAnalyzer, parse_modes
from .errors import (
    InvalidInputError,
    ResourceError,
    SentimentError,
    UnknownAnalyzerError,
    UnsupportedModeError,
)
from .registry import AnalyzerSpec, available_analyzers, get_analyzer, register
from .types import (
    EMOTION_LABELS,
    FINE_GRAINED_LABELS,
    INTENT_LABELS,
    POLARITY_LABELS,
    Analysis,
    AspectSentiment,
    Emotion,
    FineGrained,
    Intent,
    Mode,
    Polarity,
    SentenceSentiment,
    TokenWeight,
)

__version__ = "0.1.0"

register(
    "lexicon",
    "sentiment.lexicon.analyzer:LexiconAnalyzer",
    modes=frozenset(Mode),
    description="Knowledge-based: human-rated valence lexicon plus rules; no training, no torch.",
)
register(
    "neural",
    "sentiment.neural.analyzer:NeuralAnalyzer",
    modes=frozenset(Mode),
    description="Statistical: trained MLP/RNN models shipped in models/neural/<mode>/ (torch).",
)
register(
    "transformer",
    "sentiment.transformer:TransformerAnalyzer",
    modes=frozenset({Mode.POLARITY, Mode.FINE_GRAINED, Mode.EMOTION, Mode.INTENT}),
    description="Optional: your local Hugging Face sequence-classification checkpoint (path=... or "
    "SENTIMENT_TRANSFORMER_DIR); the modes its labels name. None ships.",
)
register(
    "hybrid",
    "sentiment.hybrid:HybridAnalyzer",
    modes=frozenset(Mode),
    description="Lexicon + neural, stacked per mode by a calibrated linear combiner fitted on dev (models/hybrid/).",
)

__all__ = [
    "EMOTION_LABELS",
    "FINE_GRAINED_LABELS",
    "INTENT_LABELS",
    "POLARITY_LABELS",
    "Analysis",
    "Analyzer",
    "AnalyzerSpec",
    "AspectSentiment",
    "BaseAnalyzer",
    "Emotion",
    "FineGrained",
    "Intent",
    "InvalidInputError",
    "Mode",
    "Polarity",
    "ResourceError",
    "SentenceSentiment",
    "SentimentError",
    "TokenWeight",
    "UnknownAnalyzerError",
    "UnsupportedModeError",
    "available_analyzers",
    "get_analyzer",
    "parse_modes",
    "register",
]
