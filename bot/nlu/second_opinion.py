"""A second opinion for the intent classifier: another logistic regression,
on other features of the same words.

The main classifier (``bot.nlu.classifier``) reads raw counts of whole words
and of character n-grams. A long message has counts many times those of the
short examples, and its scores grow with them. This model reads each
message's normalised syllables (from the tokenizer's lemmas: no diacritics,
abbreviations spelled out) as tf-idf: syllables, syllable pairs and
character n-grams of 2 to 4 letters, each kept when two training examples
hold it, damped (log of the count), weighted by how rare it is in the
training data, each message scaled to unit length. The two make different
mistakes, so their average is right more often than either (README,
"Pipeline and policies").
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
# imported with this module, not when the model is saved: at the end of a training, with the training
# data's millions of objects alive, importing it (and the scikit-learn modules it trusts) took 4 s
import skops.io as sio
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

# the only type in the saved vectorizers that skops does not trust by default (their idf, as a diagonal matrix)
_TRUSTED = ["scipy.sparse._csr.csr_matrix"]


def syllable_text(message: Message) -> str:
    """The message's syllables as the tokenizer normalised them: "Đăng ký tạm
    trú" and "dk tam tru" are both "dang ky tam tru". Syllables, not the
    tokenizer's words ("dang_ky"): their pairs and letters are this model's
    own view of the message, where the main classifier reads whole words."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return " ".join(token.lemma or token.text.lower() for token in tokens).replace("_", " ")


class TfidfOpinion:
    """Word and character tf-idf features, and a logistic regression on them."""

    def __init__(self, C: float, max_iter: int, tol: float) -> None:
        self.words = TfidfVectorizer(token_pattern=r"\S+", lowercase=False, ngram_range=(1, 2), min_df=2,
                                     sublinear_tf=True)
        self.characters = TfidfVectorizer(analyzer="char_wb", lowercase=False, ngram_range=(2, 4), min_df=2,
                                          sublinear_tf=True)
        self.clf = LogisticRegression(solver="lbfgs", C=C, max_iter=max_iter, tol=tol, class_weight="balanced")

    def features(self, texts: Sequence[str]) -> csr_matrix:
        return hstack([self.words.transform(texts), self.characters.transform(texts)], format="csr")

    def learn_features(self, texts: Sequence[str]) -> csr_matrix:
        """Learn the features' vocabularies and weights from the training
        texts; their features, for fitting ``clf``."""
        self.words.fit(texts)
        self.characters.fit(texts)
        return self.features(texts)

    def probabilities(self, texts: Sequence[str], classes: Sequence[str]) -> np.ndarray:
        """Each text's probability of each of ``classes`` (the main classifier's order)."""
        if list(self.clf.classes_) != list(classes):
            raise ValueError("the second opinion was trained on other intents than the classifier")
        return self.clf.predict_proba(self.features(texts))

    def save(self, path: Path) -> None:
        sio.dump({"words": self.words, "characters": self.characters, "clf": self.clf}, path)

    @classmethod
    def load(cls, path: Path) -> "TfidfOpinion":
        parts = sio.load(path, trusted=_TRUSTED)
        opinion = cls.__new__(cls)
        opinion.words, opinion.characters, opinion.clf = parts["words"], parts["characters"], parts["clf"]
        return opinion
