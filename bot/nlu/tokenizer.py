"""Vietnamese word tokenizer for Rasa 3.6 (a trainable graph component).

Words are found by underthesea's word segmentation, so multi-syllable words
(``đăng ký``, ``tạm trú``, ``căn cước``) are single tokens. Token texts are
always verbatim substrings of the message with exact offsets; everything that
makes understanding robust to phone typing lives in ``Token.lemma``, which
Rasa's CountVectorsFeaturizer reads (``use_lemma`` defaults to true):

* lemma = the word without diacritics or case, syllables joined by ``_``
  (``Đăng ký`` and ``dang ky`` both give ``dang_ky``);
* abbreviations from ``data/lexicon.yml`` expand (``đk`` -> ``dang_ky``,
  ``cccd`` -> ``can_cuoc cong_dan``);
* syllables typed without diacritics, which underthesea leaves apart
  (``dang``, ``ky``), are joined again when training data or the lexicon know
  them as one word;
* a word typed run together that the training data does not know
  (``dangky``, ``giahantamtru``) gives the lemmas of the words it is made of
  (``bot.nlu.runon``).

Training learns those compound words from the training data and stores them,
with the expanded lexicon, in the model: a trained model needs no file from
``data/`` and downloads nothing.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Set, Text, Tuple

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from underthesea import word_tokenize

from bot.nlu import lexicon
from bot.nlu import text as vn
from bot.nlu.lexicon import read_lexicon
from bot.nlu import runon
from bot.nlu.runon import RunOn

logger = logging.getLogger(__name__)

MAX_COMPOUND_SYLLABLES = 4
_RESOURCE_FILE = "vietnamese_lexicon.json"
# message property: how many of its words occur in the training data
KNOWN_WORDS = "known_word_count"
# texts whose segmentation is kept: more than the training examples
SEGMENTATION_CACHE_SIZE = 20_000

# (start, end, folded syllable) in composed-text coordinates
Syllable = Tuple[int, int, str]


def segment_words(text: str) -> List[List[Syllable]]:
    """underthesea's words of ``text``, each a list of located syllables.

    Words that hold no letter or digit (punctuation, emoji) are dropped, and a
    word underthesea glued to punctuation (``! số``) is split at it.
    """
    return [list(word) for word in _segmented(text)]


@lru_cache(maxsize=SEGMENTATION_CACHE_SIZE)
def _segmented(text: str) -> Tuple[Tuple[Syllable, ...], ...]:
    # Training segments every example three times (compounds, vocabulary, then
    # the run component's tokens): underthesea is most of the tokenizer's time.
    composed, _ = vn.compose(text)
    folded = vn.fold(composed)
    cursor = 0
    words: List[List[Syllable]] = []
    for word in word_tokenize(composed):
        group: List[Syllable] = []
        for syllable in word.split():
            # underthesea may rewrite a syllable (hoà -> hòa); folded forms compare equal.
            key = vn.fold(syllable)
            position = folded.find(key, cursor)
            if position < 0:
                continue
            cursor = position + len(key)
            if vn.is_wordlike(key):
                group.append((position, cursor, key))
            elif group:
                words.append(group)
                group = []
        if group:
            words.append(group)
    return tuple(tuple(group) for group in words)


def folded_syllables(phrase: str) -> Tuple[str, ...]:
    return tuple(vn.fold(vn.canonical(phrase)).split())


class Normaliser:
    """Maps located words to lemmas; holds what training learned."""

    def __init__(self, abbreviations: Dict[str, str], compounds: Iterable[Iterable[str]],
                 vocabulary: Iterable[str] = ()):
        self.abbreviations = abbreviations
        self.compounds: Set[Tuple[str, ...]] = {tuple(c) for c in compounds}
        self.vocabulary: Set[str] = set(vocabulary)  # lemmas of the training data
        self._run_on: Optional[RunOn] = None

    @classmethod
    def build(cls, lexicon: Dict[str, Any], training_texts: Iterable[str]) -> "Normaliser":
        training_texts = list(training_texts)
        compounds: Set[Tuple[str, ...]] = set()
        for phrase in lexicon["compounds"]:
            syllables = folded_syllables(phrase)
            if len(syllables) > 1:
                compounds.add(syllables)
        for text in training_texts:
            for word in segment_words(text):
                if 1 < len(word) <= MAX_COMPOUND_SYLLABLES:
                    compounds.add(tuple(s[2] for s in word))
        normaliser = cls({}, compounds)
        for key, meanings in lexicon["abbreviations"].items():
            if isinstance(meanings, str):
                meanings = [meanings]
            lemmas = [
                normaliser.lemma(word)
                for meaning in meanings
                for word in normaliser.merge_compounds(segment_words(str(meaning)))
            ]
            normaliser.abbreviations[vn.fold(vn.canonical(str(key)))] = " ".join(lemmas)
        for text in training_texts:
            for word in normaliser.merge_compounds(segment_words(text)):
                normaliser.vocabulary.update(normaliser.lemma(word).split())
        return normaliser

    def to_json(self) -> Dict[str, Any]:
        return {
            "abbreviations": self.abbreviations,
            "compounds": sorted(list(c) for c in self.compounds),
            "vocabulary": sorted(self.vocabulary),
        }

    def merge_compounds(self, words: List[List[Syllable]]) -> List[List[Syllable]]:
        """Join runs of one-syllable words that together form a known word."""
        merged: List[List[Syllable]] = []
        i = 0
        while i < len(words):
            joined = False
            if len(words[i]) == 1:
                for n in range(min(MAX_COMPOUND_SYLLABLES, len(words) - i), 1, -1):
                    run = words[i : i + n]
                    if all(len(w) == 1 for w in run) and tuple(w[0][2] for w in run) in self.compounds:
                        merged.append([w[0] for w in run])
                        i += n
                        joined = True
                        break
            if not joined:
                merged.append(words[i])
                i += 1
        return merged

    def lemma(self, word: List[Syllable]) -> str:
        keys = [s[2] for s in word]
        if len(keys) == 1 and keys[0] in self.abbreviations:
            return self.abbreviations[keys[0]]
        if len(keys) == 1 and self.vocabulary and keys[0] not in self.vocabulary:
            # typed run together ("dangky tamtru"): the lemmas of the words it is made of
            parts = self.run_on.split(keys[0])
            if parts:
                return " ".join(self.lemma([(0, 0, s) for s in w]) for w in parts)
        return "_".join(keys)

    @property
    def run_on(self) -> RunOn:
        if self._run_on is None:
            self._run_on = RunOn(" ".join(c) for c in self.compounds)
        return self._run_on


class Word(Token):
    """A token that remembers its fingerprint. Rasa's training fingerprints
    every message again after each component adds to it (its graph cache),
    and with it every token: about 12 s of a training. The value is Rasa's
    own; a token carrying data is fingerprinted afresh each time, as in Rasa."""

    _fingerprint: Optional[Tuple[Tuple[str, int, int, str], str]] = None

    def fingerprint(self) -> Text:
        if self.data:
            return super().fingerprint()
        key = (self.text, self.start, self.end, self.lemma)
        if self._fingerprint is None or self._fingerprint[0] != key:
            self._fingerprint = (key, super().fingerprint())
        return self._fingerprint[1]


def _lexicon_path(config: Dict[Text, Any]) -> Path:
    # fingerprint_addon receives the config as written, without defaults
    return Path(config.get("lexicon") or VietnameseTokenizer.get_default_config()["lexicon"])


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=True
)
class VietnameseTokenizer(Tokenizer):
    """underthesea word segmentation with normalised lemmas (see module doc)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # the lexicon of abbreviations and compounds (read at training time)
            "lexicon": "data/lexicon.yml",
            # False: plain underthesea tokens, lemma = lower-cased text (for comparison)
            "normalize": True,
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        normaliser: Optional[Normaliser] = None,
    ) -> None:
        super().__init__(config)
        self._model_storage = model_storage
        self._resource = resource
        self.normalize = config["normalize"]
        self.normaliser = normaliser or Normaliser({}, [])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "VietnameseTokenizer":
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "VietnameseTokenizer":
        with model_storage.read_from(resource) as directory:
            data = json.loads((directory / _RESOURCE_FILE).read_text(encoding="utf-8"))
        return cls(config, model_storage, resource,
                   Normaliser(data["abbreviations"], data["compounds"], data.get("vocabulary", ())))

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """Retrain when the lexicon or this code changes, not only the config."""
        digest = hashlib.sha256()
        path = _lexicon_path(config)
        if path.exists():
            digest.update(path.read_bytes())
        digest.update(inspect.getsource(vn).encode())
        digest.update(inspect.getsource(lexicon).encode())
        digest.update(inspect.getsource(runon).encode())
        digest.update(inspect.getsource(inspect.getmodule(cls)).encode())
        return digest.hexdigest()

    def train(self, training_data: TrainingData) -> Resource:
        if self.normalize:
            texts = (m.get(TEXT) for m in training_data.training_examples if m.get(TEXT))
            self.normaliser = Normaliser.build(read_lexicon(_lexicon_path(self._config)), texts)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _RESOURCE_FILE).write_text(
                json.dumps(self.normaliser.to_json(), ensure_ascii=False), encoding="utf-8"
            )
        return self._resource

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        text = message.get(attribute) or ""
        tokens = self.tokens(text)
        if attribute == TEXT and self.normaliser.vocabulary:
            # read by bot.nlu.fallback: a message with no known word is not understood
            message.set(KNOWN_WORDS, sum(
                any(w in self.normaliser.vocabulary for w in t.lemma.split()) for t in tokens))
        return tokens

    def tokens(self, text: str) -> List[Token]:
        """The tokens of ``text`` (see module doc)."""
        if not text.strip():
            # Rasa's classifiers need a token to build (empty) features from
            return [Word(text, 0, end=len(text))]
        _, spans = vn.compose(text)
        words = segment_words(text)
        if self.normalize:
            words = self.normaliser.merge_compounds(words)
        tokens = []
        for word in words:
            start = spans[word[0][0]][0]
            end = spans[word[-1][1] - 1][1]
            surface = text[start:end]
            lemma = self.normaliser.lemma(word) if self.normalize else surface.lower()
            tokens.append(Word(surface, start, end=end, lemma=lemma))
        if not tokens:
            # only emoji or punctuation: keep it as one token, as Rasa's own tokenizers do
            stripped = text.strip()
            start = text.index(stripped)
            tokens.append(Word(stripped, start, end=start + len(stripped), lemma=stripped))
        return tokens
