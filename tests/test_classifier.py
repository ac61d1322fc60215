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


def _message(rng, widths):
    """A message as the featurizers leave it: for each featurizer, a sequence
    matrix (one row per token) and a sentence row, for its text and its intent."""
    from rasa.shared.nlu.training_data.features import Features
    from rasa.shared.nlu.training_data.message import Message
    from scipy.sparse import coo_matrix

    message = Message(data={"text": "x", "intent": "y"})
    tokens = int(rng.integers(1, 6))
    for origin, width in widths.items():
        for attribute in ("text", "intent"):
            counts = rng.integers(0, 3, (tokens, width)) * (rng.random((tokens, width)) < 0.2)
            message.add_features(Features(coo_matrix(counts), "sequence", attribute, origin))
            message.add_features(Features(coo_matrix(counts.sum(axis=0, keepdims=True)), "sentence",
                                          attribute, origin))
    return message


def test_the_training_matrix_is_the_one_rasas_classifier_builds(tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    from bot.nlu.classifier import ParallelLogisticRegression

    rng = np.random.default_rng(5)
    messages = [_message(rng, {"words": 30, "characters": 50}) for _ in range(40)]
    arguments = ({}, "classifier", LocalModelStorage(tmp_path), Resource("classifier"))
    expected = LogisticRegressionClassifier(*arguments)._create_X(messages)
    got = ParallelLogisticRegression(*arguments)._create_X(messages)

    assert got.shape == expected.shape == (40, 80)
    assert expected.nnz > 100
    assert (got.toarray() == expected.toarray()).all()
    one = ParallelLogisticRegression(*arguments)._create_X(messages[:1])  # a message being parsed
    assert (one.toarray() == expected.toarray()[:1]).all()


def test_the_optimiser_finds_the_minimum_of_a_curved_valley_and_keeps_its_limits():
    from scipy.optimize import rosen, rosen_der

    from bot.nlu.classifier import minimise_lbfgs

    def valley(x):
        return float(rosen(x)), rosen_der(x)

    start = np.array([-1.2, 1.0, -0.5, 0.8])
    solution, iterations = minimise_lbfgs(valley, start, max_iter=500, gtol=1e-6)
    assert np.abs(solution - 1.0).max() < 1e-5
    assert np.abs(rosen_der(solution)).max() <= 1e-6
    assert iterations < 500

    _, iterations = minimise_lbfgs(valley, start, max_iter=7, gtol=1e-6)
    assert iterations == 7
    assert minimise_lbfgs(valley, np.ones(4), max_iter=50, gtol=1e-6)[1] == 0  # already at the minimum


def test_an_intents_weight_is_scikit_learns_class_weight_times_the_factor():
    # config `intent_weights`: "not ours" is one intent for every other agency's matter
    X, y = _data()
    classes, counts = np.unique(y, return_counts=True)
    balanced = {c: len(y) / (len(classes) * n) for c, n in zip(classes, counts)}
    reference = LogisticRegression(solver="lbfgs", max_iter=300, tol=1e-4, random_state=42,
                                   class_weight={**balanced, "intent_2": 3 * balanced["intent_2"]}).fit(X, y)
    weighted, plain = _classifier(), _classifier()
    fit_multinomial(weighted, X, y, 2, {"intent_2": 3})
    fit_multinomial(plain, X, y, 2)

    assert np.abs(weighted.predict_proba(X) - reference.predict_proba(X)).max() < 1e-3
    column = list(classes).index("intent_2")
    assert weighted.predict_proba(X)[:, column].mean() > plain.predict_proba(X)[:, column].mean()


def test_a_weight_for_an_intent_with_no_examples_is_an_error():
    X, y = _data()
    with pytest.raises(ValueError, match="intent_weights names intents with no training examples: out_of_scop"):
        fit_multinomial(_classifier(), X, y, 2, {"out_of_scop": 2})


def _worded_messages(rng, n=90):
    """Messages of three intents, each with tokens (lemmas from its intent's
    words and shared ones) and the featurizers' count features."""
    from rasa.nlu.tokenizers.tokenizer import Token

    words = {"a": ["dang_ky", "tam_tru", "phong_tro"], "b": ["can_cuoc", "lam_lai", "bi_mat"],
             "c": ["ho_chieu", "het_han", "gia_han"]}
    shared = ["cho", "hoi", "thu_tuc", "o_dau", "can", "gi"]
    messages = []
    for k in range(n):
        intent = "abc"[k % 3]
        lemmas = list(rng.choice(words[intent], 2)) + list(rng.choice(shared, 3))
        message = _message(rng, {"words": 30, "characters": 50})
        message.set("intent", intent)
        message.set("text", " ".join(lemmas))
        message.set("text_tokens", [Token(w, 0, lemma=w) for w in lemmas])
        messages.append(message)
    return messages


def test_the_second_opinion_is_blended_into_the_ranking_and_kept_in_the_model(tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu.classifier import ParallelLogisticRegression
    from bot.nlu.second_opinion import syllable_text

    rng = np.random.default_rng(11)
    messages = _worded_messages(rng)
    config = {"second_opinion": {"weight": 0.4, "C": 10.0}, "ranking_length": 0}
    storage, resource = LocalModelStorage(tmp_path), Resource("classifier")
    ParallelLogisticRegression(config, "classifier", storage, resource).train(TrainingData(messages))
    loaded = ParallelLogisticRegression.load(config, storage, resource, ExecutionContext(GraphSchema({}), "m"))
    assert loaded.opinion is not None

    probe = _worded_messages(np.random.default_rng(12), 6)
    main = loaded.clf.predict_proba(loaded._create_X(probe))
    second = loaded.opinion.probabilities([syllable_text(m) for m in probe], loaded.clf.classes_)
    assert np.abs(main - second).max() > 0.05  # two opinions that differ, so the blend is seen
    # the second opinion reads the words: the intent whose words a message holds is its best guess
    assert [p.argmax() for p in second] == ["abc".index(m.get("intent")) for m in probe]
    loaded.process(probe)
    for message, m, s in zip(probe, main, second):
        blended = dict(zip(loaded.clf.classes_, 0.6 * m + 0.4 * s))
        assert {r["name"]: r["confidence"] for r in message.get("intent_ranking")} == pytest.approx(blended)
        assert message.get("intent")["name"] == max(blended, key=blended.get)


def test_without_a_second_opinion_the_ranking_is_rasas(tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu.classifier import ParallelLogisticRegression

    messages = _worded_messages(np.random.default_rng(13))
    ours = ParallelLogisticRegression({"ranking_length": 2}, "ours", LocalModelStorage(tmp_path), Resource("ours"))
    rasas = LogisticRegressionClassifier({"ranking_length": 2}, "rasa", LocalModelStorage(tmp_path), Resource("rasa"))
    ours.train(TrainingData(messages))
    rasas.clf = ours.clf  # the same fitted model: only the ranking code differs
    probe, copies = _worded_messages(np.random.default_rng(14), 5), _worded_messages(np.random.default_rng(14), 5)
    assert ours.opinion is None
    ours.process(probe)
    rasas.process(copies)
    for a, b in zip(probe, copies):
        assert a.get("intent")["name"] == b.get("intent")["name"]
        assert a.get("second_opinion") is None  # no second model: nothing of its own to weigh
        assert [r["name"] for r in a.get("intent_ranking")] == [r["name"] for r in b.get("intent_ranking")]
        assert [r["confidence"] for r in a.get("intent_ranking")] == pytest.approx(
            [r["confidence"] for r in b.get("intent_ranking")])


def test_the_second_opinion_reads_the_tokenizers_normalised_syllables():
    from rasa.nlu.tokenizers.tokenizer import Token
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.second_opinion import syllable_text

    typed = Message(data={"text": "dk tam tru"})
    # the tokenizer's lemmas: abbreviations spelled out, no diacritics, a word's syllables joined by "_"
    typed.set("text_tokens", [Token("dk", 0, lemma="dang_ky"), Token("tam tru", 3, lemma="tam_tru")])
    written = Message(data={"text": "Đăng ký tạm trú"})
    written.set("text_tokens", [Token("Đăng ký", 0, lemma="dang_ky"), Token("tạm trú", 8, lemma="tam_tru")])
    assert syllable_text(typed) == syllable_text(written) == "dang ky tam tru"


def test_a_second_opinion_given_only_its_weight_takes_the_default_strength(tmp_path):
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from bot.nlu.classifier import ParallelLogisticRegression

    component = ParallelLogisticRegression({"second_opinion": {"weight": 0.5}}, "c", LocalModelStorage(tmp_path),
                                           Resource("c"))
    component.train(TrainingData(_worded_messages(np.random.default_rng(15))))
    assert component.opinion is not None and component.opinion.clf.C == 100.0
