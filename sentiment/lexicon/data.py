"""Lexicon files -> one frozen `Lexicon`.

The base is VADER's MIT-licensed, human-rated lexicon (about 7,500 words, slang and emoticons rated
-4..+4 by ten people each), read from the installed `vaderSentiment` package, never re-typed. Emoji
valence is derived from VADER's emoji lexicon (emoji -> English description) by rating the
description's words with the same lexicon. The project's own additions live in `lexicons/`:

- `valence_overrides.tsv`: `word<TAB>valence` for slang, idioms, domain words and emoji whose derived
  valence is wrong; a valence of 0 removes a single word, and makes a multi-word phrase a shield
  that keeps its words from counting ("special effects").
- `modifiers.tsv`: `phrase<TAB>role[<TAB>increment]`, roles: negator, intensifier, diminisher
  (with their increments), contrast ("but": the clause after it matters most), concession
  ("although": the clause it opens matters less), excess ("too": "too long" is a complaint), neutral (politeness words such as "please", which
  are courtesy, not sentiment, and are removed from the valence table).

A user's own word files and `extra_words` are applied last, so user words override shipped ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Mapping, Sequence

from ..errors import InvalidInputError, ResourceError

VALENCE_OVERRIDES_FILE = "valence_overrides.tsv"
MODIFIERS_FILE = "modifiers.tsv"
VADER_PACKAGE = "vaderSentiment"
VADER_LEXICON_FILE = "vader_lexicon.txt"
VADER_EMOJI_FILE = "emoji_utf8_lexicon.txt"

# VADER's rating scale: ten raters each gave -4 (extremely negative) .. +4 (extremely positive).
MAX_VALENCE = 4.0

ROLE_NEGATOR = "negator"
ROLE_INTENSIFIER = "intensifier"
ROLE_DIMINISHER = "diminisher"
ROLE_CONTRAST = "contrast"
ROLE_CONCESSION = "concession"
ROLE_EXCESS = "excess"
ROLE_NEUTRAL = "neutral"
MODIFIER_ROLES = (
    ROLE_NEGATOR,
    ROLE_INTENSIFIER,
    ROLE_DIMINISHER,
    ROLE_CONTRAST,
    ROLE_CONCESSION,
    ROLE_EXCESS,
    ROLE_NEUTRAL,
)
_ROLES_WITH_INCREMENT = (ROLE_INTENSIFIER, ROLE_DIMINISHER)

# Emoji presentation selector and skin-tone modifiers change how an emoji looks, not what it means.
_EMOJI_DECORATIONS = "\ufe0f\ufe0e" + "".join(chr(c) for c in range(0x1F3FB, 0x1F400))
_EMOJI_DECORATION_TABLE = str.maketrans("", "", _EMOJI_DECORATIONS)
# Typographic apostrophes are spelled both ways in the wild ("don’t" / "don't").
_CURLY_APOSTROPHE = "\u2019"


def strip_emoji_decorations(text: str) -> str:
    """"👍🏽" -> "👍", "❤️" -> "❤": the lookup key of an emoji."""
    return text.translate(_EMOJI_DECORATION_TABLE)


def _frozen(values: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(values))


@dataclass(frozen=True)
class Lexicon:
    """Valence (VADER's -4..+4 scale, lowercased keys) and the modifier words the rules use.

    `valence` holds single words, multi-word idioms ("waste of time"), emoticons and emoji; a phrase
    with valence 0 is a shield ("special effects": neither word counts).
    `intensifiers` maps a word or phrase to its increment: positive for intensifiers ("very"),
    negative for diminishers ("slightly").
    """

    valence: Mapping[str, float]
    intensifiers: Mapping[str, float] = field(default_factory=dict)
    negators: frozenset[str] = frozenset()
    contrast: frozenset[str] = frozenset()
    concession: frozenset[str] = frozenset()
    excess: frozenset[str] = frozenset()
    neutral: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "valence", _frozen(self.valence))
        object.__setattr__(self, "intensifiers", _frozen(self.intensifiers))
        for name in ("negators", "contrast", "concession", "excess", "neutral"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))


def _lines(path: Path) -> Iterable[tuple[int, str]]:
    """(line number, stripped line) for every line that is not blank or a `#` comment."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ResourceError(f"lexicon file not found: {path}") from None
    except UnicodeDecodeError as error:
        raise ResourceError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise ResourceError(f"{path}: cannot read ({error.strerror})") from None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            yield number, line


def _parse_valence(value: str, where: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ResourceError(f"{where}: valence {value!r} is not a number") from None
    if not math.isfinite(number) or abs(number) > MAX_VALENCE:
        raise ResourceError(f"{where}: valence {value} is outside -{MAX_VALENCE:g}..+{MAX_VALENCE:g}")
    return number


def _key(word: str) -> str:
    return " ".join(word.lower().split())


def read_word_file(path: Path | str) -> dict[str, float]:
    """A `word<TAB>valence` file (valence on VADER's -4..+4 scale; `#` comments) as a dict.

    Keys are lowercased; a word may be a phrase ("waste of time"). A malformed line raises
    `ResourceError` naming the file and the line.
    """
    path = Path(path)
    words: dict[str, float] = {}
    for number, line in _lines(path):
        where = f"{path}, line {number}"
        parts = [part.strip() for part in line.split("\t")]
        if len(parts) != 2 or not parts[0]:
            raise ResourceError(f"{where}: expected 'word<TAB>valence', got {line!r}")
        words[_key(parts[0])] = _parse_valence(parts[1], where)
    return words


def _read_modifiers(path: Path) -> list[tuple[str, str, float]]:
    modifiers = []
    for number, line in _lines(path):
        where = f"{path}, line {number}"
        parts = [part.strip() for part in line.split("\t")]
        if len(parts) < 2 or not parts[0] or parts[1] not in MODIFIER_ROLES:
            raise ResourceError(
                f"{where}: expected 'phrase<TAB>role[<TAB>increment]' with role one of "
                f"{', '.join(MODIFIER_ROLES)}; got {line!r}"
            )
        phrase, role = _key(parts[0]), parts[1]
        if role in _ROLES_WITH_INCREMENT:
            if len(parts) != 3:
                raise ResourceError(f"{where}: an {role} needs an increment column")
            increment = abs(_parse_valence(parts[2], where))
            modifiers.append((phrase, role, increment if role == ROLE_INTENSIFIER else -increment))
        elif len(parts) == 2:
            modifiers.append((phrase, role, 0.0))
        else:
            raise ResourceError(f"{where}: a {role} takes no increment; got {line!r}")
    return modifiers


def _vader_file(name: str) -> str:
    try:
        return (resources.files(VADER_PACKAGE) / name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as error:
        raise ResourceError(
            f"the base lexicon comes from the {VADER_PACKAGE!r} package ({name}); install it: {error}"
        ) from None


def vader_valence() -> dict[str, float]:
    """VADER's human-rated lexicon: token -> mean rating. Lowercased; on a case clash the entry
    already lowercase wins (":d" over ":D")."""
    exact: dict[str, float] = {}
    for line in _vader_file(VADER_LEXICON_FILE).splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[0].strip():
            exact[parts[0].strip()] = float(parts[1])
    valence: dict[str, float] = {}
    for token, rating in exact.items():
        key = token.lower()
        if key == token or key not in exact:
            valence[key] = rating
    return valence


def emoji_valence(word_valence: Mapping[str, float]) -> dict[str, float]:
    """Each VADER emoji rated by its description: the sum of its words' valences, clipped to -4..+4.

    "😢 crying face" -> crying (-2.1); "😂 face with tears of joy" -> tears + joy. Emoji whose
    description carries no rated word are left out (they are not sentiment).
    """
    emoji: dict[str, float] = {}
    for line in _vader_file(VADER_EMOJI_FILE).splitlines():
        symbol, _, description = line.partition("\t")
        symbol = strip_emoji_decorations(symbol.strip())
        if not symbol or not description:
            continue
        words = description.lower().replace("-", " ").split()
        total = sum(word_valence.get(word, 0.0) for word in words)
        if total:
            emoji[symbol] = round(max(-MAX_VALENCE, min(MAX_VALENCE, total)), 3)
    return emoji


def _with_apostrophe_variants(words: Iterable[str]) -> set[str]:
    variants = set()
    for word in words:
        variants.add(word)
        if "'" in word:
            variants.add(word.replace("'", _CURLY_APOSTROPHE))
    return variants


def load_lexicon(
    lexicons_dir: Path,
    extra_files: Sequence[Path] = (),
    extra_words: Mapping[str, float] | None = None,
) -> Lexicon:
    """VADER's base, then the shipped overrides and modifiers in `lexicons_dir`, then the user's
    files in order, then `extra_words` (later ones win)."""
    lexicons_dir = Path(lexicons_dir)
    base = vader_valence()
    valence = {**emoji_valence(base), **base}
    valence.update(read_word_file(lexicons_dir / VALENCE_OVERRIDES_FILE))

    intensifiers: dict[str, float] = {}
    roles: dict[str, set[str]] = {role: set() for role in MODIFIER_ROLES}
    # A word with a modifier role is scored by that role even if it also has a valence ("pretty"
    # intensifies "pretty bad" but keeps its own valence in "a pretty face"; see polarity.py).
    for phrase, role, increment in _read_modifiers(lexicons_dir / MODIFIERS_FILE):
        roles[role].add(phrase)
        if role in _ROLES_WITH_INCREMENT:
            intensifiers[phrase] = increment
    for phrase in roles[ROLE_NEUTRAL]:
        valence.pop(phrase, None)

    for path in extra_files:
        valence.update(read_word_file(Path(path)))
    for word, value in (extra_words or {}).items():
        valence[_key(str(word))] = _check_extra_valence(word, value)

    valence = {
        strip_emoji_decorations(word): value for word, value in valence.items() if value != 0 or " " in word
    }
    valence.update({word.replace("'", _CURLY_APOSTROPHE): value for word, value in valence.items() if "'" in word})
    intensifiers.update({w.replace("'", _CURLY_APOSTROPHE): v for w, v in intensifiers.items() if "'" in w})
    return Lexicon(
        valence=valence,
        intensifiers=intensifiers,
        negators=frozenset(_with_apostrophe_variants(roles[ROLE_NEGATOR])),
        contrast=frozenset(_with_apostrophe_variants(roles[ROLE_CONTRAST])),
        concession=frozenset(_with_apostrophe_variants(roles[ROLE_CONCESSION])),
        excess=frozenset(roles[ROLE_EXCESS]),
        neutral=frozenset(roles[ROLE_NEUTRAL]),
    )


def _check_extra_valence(word: object, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInputError(f"extra word {word!r}: valence must be a number, got {value!r}")
    if not math.isfinite(value) or abs(value) > MAX_VALENCE:
        raise InvalidInputError(
            f"extra word {word!r}: valence {value} is outside -{MAX_VALENCE:g}..+{MAX_VALENCE:g}"
        )
    return float(value)
