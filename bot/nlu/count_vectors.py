"""Rasa's CountVectorsFeaturizer, featurizing many messages at once.

Rasa's featurizer calls scikit-learn's ``CountVectorizer.transform`` twice
per message (the tokens, then the joined text): on the training data, 7,000
examples and two featurizers, that is about 25 s of a training, nearly all
of it per-call overhead. ``BatchedCountVectorsFeaturizer`` makes the same
two calls once for all the messages it is given and cuts the result into
each message's rows. ``transform`` counts each document on its own, so every
message gets exactly the features Rasa's featurizer gives it
(tests/test_count_vectors.py); vocabulary, persistence and loading are
Rasa's.

Rasa's training also fingerprints every message after each component (its
graph cache), and a sparse feature matrix by printing every value as text:
``CountFeatures`` fingerprints the matrix's arrays instead (about 8 s of a
training).
"""

from __future__ import annotations

import hashlib
from typing import List, Optional, Text, Tuple

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE
from rasa.shared.nlu.training_data.features import Features as RasaFeatures
from rasa.shared.nlu.training_data.message import Message

Features = List[Optional[scipy.sparse.coo_matrix]]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class BatchedCountVectorsFeaturizer(CountVectorsFeaturizer):
    """CountVectorsFeaturizer with one ``transform`` per attribute for all messages."""

    def process(self, messages: List[Message]) -> List[Message]:
        if self.vectorizers is None:  # not trained: the parent logs it
            return super().process(messages)
        for attribute in self._attributes:
            if not self.vectorizers.get(attribute):
                continue
            tokens = [self._get_processed_message_tokens_by_attribute(message, attribute)
                      for message in messages]
            sequences, sentences = self._features_of_all(attribute, tokens)
            for message, sequence, sentence in zip(messages, sequences, sentences):
                self.add_features_to_message(sequence, sentence, attribute, message)
        return messages

    def add_features_to_message(self, sequence: Optional[scipy.sparse.coo_matrix],
                                sentence: Optional[scipy.sparse.coo_matrix], attribute: Text,
                                message: Message) -> None:
        for kind, features in ((FEATURE_TYPE_SEQUENCE, sequence), (FEATURE_TYPE_SENTENCE, sentence)):
            if features is not None:
                message.add_features(CountFeatures(features, kind, attribute, self._identifier))

    def _features_of_all(self, attribute: Text, all_tokens: List[List[Text]]) -> Tuple[Features, Features]:
        """Each message's sequence features (one row per token) and sentence
        features (one row), as the parent's ``_create_features`` makes them."""
        sequences: Features = [None] * len(all_tokens)
        sentences: Features = [None] * len(all_tokens)
        present = [i for i, tokens in enumerate(all_tokens) if tokens]
        if not present:
            return sequences, sentences
        vectorizer = self.vectorizers[attribute]
        token_rows = _RowBlocks(vectorizer.transform([token for i in present for token in all_tokens[i]]))
        edges = np.cumsum([0] + [len(all_tokens[i]) for i in present])
        sentence_rows = None
        if attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            sentence_rows = _RowBlocks(vectorizer.transform([" ".join(all_tokens[i]) for i in present]))
        for k, i in enumerate(present):
            sequences[i] = token_rows.block(edges[k], edges[k + 1])
            if sentence_rows is not None:
                sentences[i] = sentence_rows.block(k, k + 1)
        return sequences, sentences


class _RowBlocks:
    """Consecutive rows of a CSR matrix as COO matrices, each with its column
    indices sorted: what ``matrix[a:b]``, ``sort_indices`` and ``tocoo`` give,
    without building a CSR matrix for every block."""

    def __init__(self, matrix: scipy.sparse.csr_matrix):
        matrix.sort_indices()
        self.matrix = matrix
        self.rows = np.repeat(np.arange(matrix.shape[0], dtype=matrix.indices.dtype), np.diff(matrix.indptr))

    def block(self, first: int, end: int) -> scipy.sparse.coo_matrix:
        a, b = self.matrix.indptr[first], self.matrix.indptr[end]
        return scipy.sparse.coo_matrix(
            (self.matrix.data[a:b], (self.rows[a:b] - first, self.matrix.indices[a:b])),
            shape=(end - first, self.matrix.shape[1]))


class CountFeatures(RasaFeatures):
    """Rasa's sparse Features, fingerprinted from the matrix's arrays."""

    def fingerprint(self) -> Text:
        if self._cached_fingerprint is None:
            matrix = self.features.tocoo()
            parts = (matrix.row, matrix.col, matrix.data)
            digest = hashlib.md5(repr((self.type, self.origin, self.attribute, matrix.shape,
                                       [str(part.dtype) for part in parts])).encode())
            for part in parts:
                digest.update(np.ascontiguousarray(part).tobytes())
            self._cached_fingerprint = digest.hexdigest()
        return self._cached_fingerprint
