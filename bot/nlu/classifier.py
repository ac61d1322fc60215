"""Intent classifiers: Rasa's logistic regression, fitted on every core.

Rasa's LogisticRegressionClassifier fits scikit-learn's multinomial logistic
regression with L-BFGS on one core: about 90 of the 150 s a training took.
``ParallelLogisticRegression`` minimises the same objective (the
class-balanced multinomial loss plus ``1/(2C)`` times the squared weights,
from zero, with L-BFGS-B, the same tolerance and iteration limit) but sums
the loss and its gradient over blocks of rows in parallel threads: scipy's
sparse products and scikit-learn's loss release the GIL. What it fits is a
plain scikit-learn ``LogisticRegression``, so prediction, persistence and
loading stay Rasa's.

``NormalisedLogisticRegression`` is a variant that bench/nlu_pipelines.py
measures: features scaled to unit length, so a long message is no surer than
a short one.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Sequence, Text, Tuple

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy import optimize
from scipy.sparse import csr_matrix
from sklearn._loss.loss import HalfMultinomialLoss
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import LabelEncoder, normalize
from sklearn.utils.class_weight import compute_class_weight

logger = logging.getLogger(__name__)


def fit_multinomial(clf: LogisticRegression, X: csr_matrix, y: Sequence[str], workers: int) -> None:
    """Fit ``clf`` (lbfgs, multinomial, intercept, L2) as its own ``fit`` would, in threads."""
    encoder = LabelEncoder()
    target = encoder.fit_transform(y).astype(np.float64)
    classes = encoder.classes_
    X = csr_matrix(X, dtype=np.float64)
    sample_weight = np.ones(X.shape[0])
    if clf.class_weight is not None:
        sample_weight *= compute_class_weight(clf.class_weight, classes=classes, y=np.asarray(y))[
            target.astype(int)]
    n_classes, n_features = len(classes), X.shape[1]
    loss = HalfMultinomialLoss(n_classes=n_classes)
    edges = np.linspace(0, X.shape[0], workers + 1).astype(int)
    # each block's rows, and its columns for the gradient (a row-major product is the faster)
    blocks = [(X[a:b], X[a:b].T.tocsr(), target[a:b], sample_weight[a:b])
              for a, b in zip(edges, edges[1:]) if b > a]
    l2 = 1.0 / clf.C

    def block_loss(coef: np.ndarray, block: Tuple[Any, ...]) -> Tuple[float, np.ndarray, np.ndarray]:
        rows, columns, y_block, w_block = block
        raw = rows @ coef[:, :n_features].T + coef[:, n_features]
        losses, gradient = loss.loss_gradient(y_true=y_block, raw_prediction=raw, sample_weight=w_block)
        return float(losses.sum()), columns @ gradient, gradient.sum(axis=0)

    def objective(flat: np.ndarray, pool: ThreadPoolExecutor) -> Tuple[float, np.ndarray]:
        coef = flat.reshape((n_classes, -1), order="F")
        parts = list(pool.map(lambda block: block_loss(coef, block), blocks))
        weights = coef[:, :n_features]
        value = sum(part[0] for part in parts) + 0.5 * l2 * float(np.sum(weights * weights))
        gradient = np.empty((n_classes, n_features + 1), order="F")
        gradient[:, :n_features] = sum(part[1] for part in parts).T + l2 * weights
        gradient[:, n_features] = sum(part[2] for part in parts)
        return value, gradient.ravel(order="F")

    start = np.zeros((n_classes, n_features + 1), order="F").ravel(order="F")
    with ThreadPoolExecutor(len(blocks)) as pool:
        result = optimize.minimize(objective, start, args=(pool,), method="L-BFGS-B", jac=True,
                                   options={"gtol": clf.tol, "maxiter": clf.max_iter})
    if result.nit >= clf.max_iter:
        logger.debug("Logistic regression stopped after %d iterations", result.nit)
    coef = result.x.reshape((n_classes, -1), order="F")
    clf.classes_ = classes
    clf.coef_ = np.ascontiguousarray(coef[:, :n_features])
    clf.intercept_ = coef[:, n_features].copy()
    clf.n_iter_ = np.array([result.nit], dtype=np.int32)
    clf.n_features_in_ = n_features


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class ParallelLogisticRegression(LogisticRegressionClassifier):
    """Rasa's LogisticRegressionClassifier with its fit spread over the cores."""

    def train(self, training_data: TrainingData) -> Resource:
        X, y = self._create_training_matrix(training_data)
        if X.shape[0] == 0 or len(set(y)) < 3 or self.config["solver"] != "lbfgs":
            # nothing to fit, or a case scikit-learn fits another way (binary, other solver)
            return super().train(training_data)
        fit_multinomial(self.clf, X, y, usable_cores())
        self.persist()
        return self._resource


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class NormalisedLogisticRegression(ParallelLogisticRegression):
    """Logistic regression on length-normalised features.

    Rasa's classifier is fed raw counts: the words and character n-grams of
    a message, summed. A long message (a story, then the question) has counts
    many times those of the short examples it was trained on, and a linear
    model's scores grow with them. This variant damps repeated features with
    log(1 + count) and scales each message to unit length; ``C`` (inverse
    regularisation) is then chosen by measurement (bench/nlu_pipelines.py).
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0, "sublinear": True}

    def __init__(self, config: Dict[Text, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.clf.set_params(C=float(self.config["C"]))

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        X = csr_matrix(super()._create_X(messages), dtype=np.float64)
        if self.config["sublinear"]:
            X.data = np.log1p(np.abs(X.data)) * np.sign(X.data)
        return normalize(X, norm="l2", axis=1)
