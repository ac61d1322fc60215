"""The intent classifier's parallel fit (bot/nlu/classifier.py) gives the
model scikit-learn's own fit gives: same objective, same optimiser."""

import numpy as np
import pytest
from scipy.sparse import random as sparse_random
from sklearn.linear_model import LogisticRegression

from bot.nlu.classifier import fit_multinomial


def _data(n_samples=600, n_features=400, n_classes=7, seed=3):
    # counts, like the featurizers' words and character n-grams; classes of unequal size
    rng = np.random.default_rng(seed)
    X = sparse_random(n_samples, n_features, density=0.05, format="lil", random_state=seed,
                      data_rvs=lambda k: rng.integers(1, 4, k)).astype(np.float64)
    sizes = np.linspace(1, 3, n_classes)
    classes = rng.choice(n_classes, n_samples, p=sizes / sizes.sum())
    for row, label in enumerate(classes):  # each class leans on a feature of its own
        X[row, label] += 2
    return X.tocsr(), np.array([f"intent_{label}" for label in classes])


def _classifier(max_iter=300):
    return LogisticRegression(solver="lbfgs", max_iter=max_iter, class_weight="balanced", tol=1e-4,
                              random_state=42)


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_the_parallel_fit_predicts_what_scikit_learns_fit_predicts(workers):
    X, y = _data()
    reference = _classifier().fit(X, y)
    parallel = _classifier()
    fit_multinomial(parallel, X, y, workers)

    assert list(parallel.classes_) == list(reference.classes_)
    assert np.abs(parallel.predict_proba(X) - reference.predict_proba(X)).max() < 1e-3
    assert (parallel.predict(X) == reference.predict(X)).all()


def test_the_parallel_fit_stops_at_the_iteration_limit_as_scikit_learn_does():
    X, y = _data()
    reference = _classifier(max_iter=5).fit(X, y)
    parallel = _classifier(max_iter=5)
    fit_multinomial(parallel, X, y, 2)

    assert parallel.n_iter_[0] == reference.n_iter_[0] == 5
    assert np.abs(parallel.predict_proba(X) - reference.predict_proba(X)).max() < 1e-6
