"""Intent classifiers: Rasa's logistic regression, fitted on every core.

Rasa's LogisticRegressionClassifier fits scikit-learn's multinomial logistic
regression with L-BFGS-B on one core: about 90 of the 150 s a training took.
``ParallelLogisticRegression`` minimises the same objective (the
class-balanced multinomial loss plus ``1/(2C)`` times the squared weights,
from zero, with the same tolerance and iteration limit) with L-BFGS, and
sums the loss and its gradient over blocks of rows in parallel threads:
scipy's sparse products and scikit-learn's loss release the GIL. What it
fits is a plain scikit-learn ``LogisticRegression``, so prediction,
persistence and loading stay Rasa's.

Its ``second_opinion`` blends in another model of the same words
(``bot.nlu.second_opinion``).
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from collections import deque
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Text, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import RANKING_LENGTH
from scipy import optimize
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn._loss.loss import HalfMultinomialLoss
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.class_weight import compute_class_weight
from threadpoolctl import threadpool_limits

from bot.knowledge.importer import OUT_OF_SCOPE
from bot.nlu.second_opinion import TfidfOpinion, syllable_text

logger = logging.getLogger(__name__)

# the parse's key for the second opinion's own view (its probability that the message is not the police's)
SECOND_OPINION = "second_opinion"


def fit_multinomial(clf: LogisticRegression, X: csr_matrix, y: Sequence[str], workers: int,
                    intent_weights: Optional[Dict[str, float]] = None) -> None:
    """Fit ``clf`` (lbfgs, multinomial, intercept, L2) as its own ``fit`` would, in threads;
    ``intent_weights`` multiplies the weight of each named intent's examples."""
    encoder = LabelEncoder()
    target = encoder.fit_transform(y).astype(np.float64)
    classes = encoder.classes_
    X = csr_matrix(X, dtype=np.float64)
    sample_weight = np.ones(X.shape[0])
    if clf.class_weight is not None:
        sample_weight *= compute_class_weight(clf.class_weight, classes=classes, y=np.asarray(y))[
            target.astype(int)]
    intent_weights = intent_weights or {}
    unknown = sorted(set(intent_weights) - set(classes))
    if unknown:
        raise ValueError(f"intent_weights names intents with no training examples: {', '.join(unknown)}")
    sample_weight *= np.array([float(intent_weights.get(c, 1.0)) for c in classes])[target.astype(int)]
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
        solution, iterations = minimise_lbfgs(lambda flat: objective(flat, pool), start, clf.max_iter, clf.tol)
    if iterations >= clf.max_iter:
        logger.debug("Logistic regression stopped after %d iterations", iterations)
    coef = solution.reshape((n_classes, -1), order="F")
    clf.classes_ = classes
    clf.coef_ = np.ascontiguousarray(coef[:, :n_features])
    clf.intercept_ = coef[:, n_features].copy()
    clf.n_iter_ = np.array([iterations], dtype=np.int32)
    clf.n_features_in_ = n_features


def minimise_lbfgs(fun: Callable[[np.ndarray], Tuple[float, np.ndarray]], x: np.ndarray, max_iter: int,
                   gtol: float, memory: int = 10) -> Tuple[np.ndarray, int]:
    """Minimise ``fun`` (value and gradient) from ``x`` with L-BFGS: the
    two-loop recursion over the last ``memory`` steps (Nocedal & Wright,
    algorithm 7.4) and scipy's strong-Wolfe line search. It stops when no
    gradient component exceeds ``gtol`` or after ``max_iter`` steps, as
    scikit-learn's L-BFGS-B does without bounds; on the classifier's million
    variables its own work per step is about half of L-BFGS-B's (Fortran code
    that also handles bounds, which this fit has none of).
    Returns the point and the steps taken."""
    last: Dict[str, Any] = {}

    def evaluated(z: np.ndarray) -> Tuple[float, np.ndarray]:
        # the line search asks for the value, then the gradient, at the same point
        if "x" not in last or not np.array_equal(last["x"], z):
            last["x"], last["result"] = z, fun(z)
        return last["result"]

    value, gradient = evaluated(x)
    steps: Deque[Tuple[np.ndarray, np.ndarray, float]] = deque(maxlen=memory)
    iterations = 0
    while iterations < max_iter and np.max(np.abs(gradient)) > gtol:
        direction = -_inverse_hessian_times(gradient, steps)
        found = optimize.line_search(lambda z: evaluated(z)[0], lambda z: evaluated(z)[1], x, direction,
                                     gfk=gradient, old_fval=value, c1=1e-4, c2=0.9, maxiter=20)
        if found[0] is None:
            if not steps:
                break  # no descent even along the gradient
            steps.clear()  # start the curvature memory afresh, along the gradient
            continue
        step = found[0] * direction
        x = x + step
        new_value, new_gradient = evaluated(x)
        change = new_gradient - gradient
        curvature = float(step @ change)
        if curvature > 1e-10:
            steps.append((step, change, 1.0 / curvature))
        value, gradient = new_value, new_gradient
        iterations += 1
    return x, iterations


def _inverse_hessian_times(gradient: np.ndarray, steps: Deque[Tuple[np.ndarray, np.ndarray, float]]) -> np.ndarray:
    # the products go through one scratch vector: a fresh million-element temporary per
    # product (page faults included) cost more than the products themselves
    q, scratch = gradient.copy(), np.empty_like(gradient)
    alphas = []
    for step, change, rho in reversed(steps):
        alpha = rho * float(step @ q)
        q -= np.multiply(change, alpha, out=scratch)
        alphas.append(alpha)
    if steps:
        step, change, _ = steps[-1]
        q *= float(step @ change) / float(change @ change)
    else:
        q /= max(float(np.linalg.norm(gradient)), 1e-12)  # first step: unit length along the gradient
    for (step, change, rho), alpha in zip(steps, reversed(alphas)):
        q += np.multiply(step, alpha - rho * float(change @ q), out=scratch)
    return q


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class ParallelLogisticRegression(LogisticRegressionClassifier):
    """Rasa's LogisticRegressionClassifier with its fit spread over the cores.

    ``intent_weights`` (config) weighs an intent's examples above the class
    balance Rasa sets: "not ours" (out_of_scope) is one intent for every other
    agency's matter, and balanced it weighs no more than one procedure.

    ``second_opinion`` (config: ``weight``, ``C``): another logistic
    regression, on tf-idf features of the normalised syllables
    (``bot.nlu.second_opinion``), trained on the same examples with the same
    weights; the intent probabilities are ``1 - weight`` times this model's
    plus ``weight`` times the second's. Weight 0 (the default) is Rasa's
    classifier alone.
    """

    SECOND_OPINION_FILE = "second_opinion.skops"
    # Rasa merges a component's config with its defaults key by key, not inside a key: these fill
    # what a config's ``second_opinion`` leaves out
    SECOND_OPINION_DEFAULTS = {"weight": 0.0, "C": 100.0}

    @classmethod
    def get_default_config(cls) -> Dict[Text, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "intent_weights": {},
                "second_opinion": dict(cls.SECOND_OPINION_DEFAULTS)}

    def __init__(self, config: Dict[Text, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.opinion: Optional[TfidfOpinion] = None

    @property
    def second_opinion(self) -> Dict[Text, Any]:
        return {**self.SECOND_OPINION_DEFAULTS, **(self.config["second_opinion"] or {})}

    @property
    def opinion_weight(self) -> float:
        return float(self.second_opinion["weight"])

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        """The parent's matrix (each message's sparse sentence features of its
        text, featurizer after featurizer), stacked once per featurizer instead
        of once per message."""
        rows = [[f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]
                for message in messages]
        origins = {tuple(f.origin for f in row if f.is_sparse()) for row in rows}
        if len(origins) != 1 or not next(iter(origins)) or any(f.is_dense() for row in rows for f in row):
            return super()._create_X(messages)  # messages featurized differently, or dense features
        columns = [vstack([row[k].features for row in rows], format="csr") for k in range(len(rows[0]))]
        return hstack(columns, format="csr")

    def train(self, training_data: TrainingData) -> Resource:
        X, y = self._create_training_matrix(training_data)
        if X.shape[0] == 0 or len(set(y)) < 3 or self.config["solver"] != "lbfgs":
            # nothing to fit, or a case scikit-learn fits another way (binary, other solver)
            return super().train(training_data)
        cores, weights = usable_cores(), self.config["intent_weights"]
        # the fits spread their own work over the cores: BLAS's threads on top of them only
        # spun for the same cores (37 of a training's 200 s of CPU were kernel time)
        with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(1) as background:
            # the two fits overlap: each leaves the cores idle part of the time (its own
            # results are the same as fitted alone)
            first = background.submit(fit_multinomial, self.clf, X, y, cores, weights)
            if self.opinion_weight > 0:
                examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
                self.opinion = TfidfOpinion(float(self.second_opinion["C"]), self.config["max_iter"], self.config["tol"])
                features = self.opinion.learn_features([syllable_text(e) for e in examples])
                fit_multinomial(self.opinion.clf, features, y, cores, weights)
            first.result()
        self.persist()
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        """Each message's intent and ranking: Rasa's, from the probabilities
        blended with the second opinion's when there is one."""
        probabilities = self.clf.predict_proba(self._create_X(messages))
        second = None
        if self.opinion is not None:
            weight = self.opinion_weight
            second = self.opinion.probabilities([syllable_text(m) for m in messages], self.clf.classes_)
            probabilities = (1 - weight) * probabilities + weight * second
        # the second opinion alone, on "not ours": the answer rules weigh it apart (bot.knowledge.answers)
        not_ours = (second[:, list(self.clf.classes_).index(OUT_OF_SCOPE)]
                    if second is not None and OUT_OF_SCOPE in self.clf.classes_ else [None] * len(messages))
        for message, row, own in zip(messages, probabilities, not_ours):
            if own is not None:
                message.set(SECOND_OPINION, {OUT_OF_SCOPE: float(own)}, add_to_output=True)
            ranking = sorted(({"name": name, "confidence": float(p)} for name, p in zip(self.clf.classes_, row)),
                             key=lambda entry: -entry["confidence"])
            message.set(INTENT, ranking[0], add_to_output=True)
            length = self.config[RANKING_LENGTH]
            message.set(INTENT_RANKING_KEY, ranking[:length] if length > 0 else ranking, add_to_output=True)
        return messages

    def persist(self) -> None:
        super().persist()
        if self.opinion is not None:
            with self._model_storage.write_to(self._resource) as model_dir:
                self.opinion.save(model_dir / self.SECOND_OPINION_FILE)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "ParallelLogisticRegression":
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        if component.opinion_weight > 0:
            try:
                with model_storage.read_from(resource) as model_dir:
                    path = model_dir / cls.SECOND_OPINION_FILE
                    component.opinion = TfidfOpinion.load(path) if path.exists() else None
            except ValueError:
                component.opinion = None  # nothing trained (no examples): as Rasa's own load
        return component
