"""Request and response bodies, as pydantic models for validation and the OpenAPI page (/docs).

The response models mirror `sentiment.Analysis.to_dict()` field for field; the service returns
that dict itself (tests check the mirror stays exact).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel, StrictBool, StrictStr, model_validator

EXAMPLE_REVIEW = "The battery life is great, but the screen is too dim."

ANALYZE_EXAMPLES: dict[str, dict[str, Any]] = {
    "one text": {
        "summary": "One text, polarity (the default mode)",
        "value": {"text": "I love this phone!"},
    },
    "aspects and emotions": {
        "summary": "One text in several modes",
        "value": {"text": EXAMPLE_REVIEW, "analyzer": "lexicon", "modes": ["polarity", "aspect", "emotion"]},
    },
    "batch": {
        "summary": "Several texts; results come back in the same order",
        "value": {
            "texts": ["Terrible support, I want a refund.", "Where can I buy the blue one?"],
            "modes": ["polarity", "fine_grained", "intent"],
            "explanations": False,
        },
    },
}


class AnalyzeRequest(BaseModel):
    """Give exactly one of `text` (answered with one Analysis) or `texts` (answered with a list)."""

    model_config = ConfigDict(extra="forbid")

    text: StrictStr | None = Field(default=None, description="One text; the response is one Analysis object.")
    texts: list[StrictStr] | None = Field(
        default=None, description="Several texts; the response is a list of Analysis objects in input order."
    )
    analyzer: StrictStr | None = Field(
        default=None,
        description="Analyzer name (GET /analyzers lists them); default: the service's default analyzer.",
        examples=["lexicon"],
    )
    modes: list[StrictStr] | StrictStr = Field(
        default=["polarity"],
        description="polarity, fine_grained, aspect, emotion, intent: one name or a list.",
        examples=[["polarity", "aspect"]],
    )
    explanations: StrictBool = Field(
        default=True, description="Include `explanation` (the words that drove the polarity, with spans)."
    )
    sentences: StrictBool = Field(default=True, description="Include the per-sentence polarities.")

    @model_validator(mode="after")
    def _exactly_one_input(self) -> "AnalyzeRequest":
        if (self.text is None) == (self.texts is None):
            raise ValueError("give exactly one of 'text' (one string) or 'texts' (a list of strings)")
        return self

    @property
    def is_batch(self) -> bool:
        return self.texts is not None

    def all_texts(self) -> list[str]:
        return list(self.texts) if self.texts is not None else [self.text or ""]


class PolarityOut(BaseModel):
    label: str = Field(description="negative | neutral | positive")
    score: float = Field(description="Signed score in [-1, 1].")
    probabilities: dict[str, float]


class FineGrainedOut(BaseModel):
    label: str = Field(description="very_negative | negative | neutral | positive | very_positive")
    stars: int = Field(description="The label as 1..5 stars.")
    score: float = Field(description="Expected stars.")
    probabilities: dict[str, float]


class AspectOut(BaseModel):
    term: str
    start: int = Field(description="Character offset: text[start:end] == term.")
    end: int
    category: str
    polarity: str
    score: float
    evidence: list[str]


class EmotionOut(BaseModel):
    labels: list[str] = Field(description="Emotions above their threshold.")
    scores: dict[str, float]


class IntentOut(BaseModel):
    label: str
    confidence: float
    scores: dict[str, float]


class SentenceOut(BaseModel):
    text: str
    start: int
    end: int
    polarity: PolarityOut


class TokenWeightOut(BaseModel):
    token: str
    start: int = Field(description="Character offset: text[start:end] == token.")
    end: int
    weight: float = Field(description="Signed contribution to the polarity.")


class AnalysisOut(BaseModel):
    """`sentiment.Analysis.to_dict()`: fields of modes not asked for are null."""

    text: str
    analyzer: str
    polarity: PolarityOut | None
    fine_grained: FineGrainedOut | None
    aspects: list[AspectOut] | None
    emotion: EmotionOut | None
    intent: IntentOut | None
    sentences: list[SentenceOut] | None
    explanation: list[TokenWeightOut] | None


class AnalyzeResponse(RootModel[AnalysisOut | list[AnalysisOut]]):
    """One Analysis for `text`, a list of them (input order) for `texts`."""


class FieldProblem(BaseModel):
    field: str
    message: str


class ErrorOut(BaseModel):
    error: str = Field(description="A stable code: invalid_request, unknown_analyzer, too_large, unauthorized, ...")
    message: str = Field(description="What went wrong, naming the field or the valid choices.")
    valid: list[str] | None = Field(default=None, description="The valid choices (unknown analyzer, mode).")
    errors: list[FieldProblem] | None = Field(default=None, description="Each invalid field (422).")
    limit: str | None = Field(default=None, description="The setting that was exceeded (413).")


class ModelCard(BaseModel):
    model_config = ConfigDict(extra="allow")


class AnalyzerOut(BaseModel):
    name: str
    description: str
    modes: list[str]
    loaded: bool = Field(description="Built in this worker (preloaded, or used since start-up).")
    models: dict[str, ModelCard] = Field(description="Per mode: version and metrics of the shipped model.")
    metadata: Any | None = Field(default=None, description="What the loaded analyzer reports about itself.")


class AnalyzersOut(BaseModel):
    default: str
    analyzers: list[AnalyzerOut]


class HealthOut(BaseModel):
    status: str = Field(examples=["ok"])


class ReadyOut(BaseModel):
    status: str = Field(examples=["ready"])
    loaded: list[str]
    missing: list[str]
