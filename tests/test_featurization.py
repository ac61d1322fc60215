"""Multi-syllable words survive featurization as units, and typing without
diacritics or with abbreviations reaches the same features (trained model)."""

from __future__ import annotations

import numpy as np
import pytest
from rasa.core.channels.channel import UserMessage
from rasa.shared.nlu.constants import TEXT


@pytest.fixture(scope="module")
def graph(agent):
    return agent.processor.graph_runner


def node(graph, component):
    """The graph node that runs the first ``component`` of the pipeline (nodes are named by position)."""
    return min((n for n in graph._instantiated_nodes if n.startswith(f"run_{component}")),
               key=lambda n: int(n[len(f"run_{component}"):]))


def featurizer(graph):
    return node(graph, "bot.nlu.count_vectors.BatchedCountVectorsFeaturizer")  # the word one: the first


def tokenizer(graph):
    return node(graph, "bot.nlu.tokenizer.VietnameseTokenizer")


def run(graph, target, text):
    return graph.run(inputs={"__message__": [UserMessage(text)]}, targets=[target])[target][0]


def word_vocabulary(graph):
    component = graph._instantiated_nodes[featurizer(graph)]._component
    return component.vectorizers[TEXT].vocabulary_


def sentence_vector(graph, text):
    message = run(graph, featurizer(graph), text)
    features = [f for f in message.features if f.attribute == TEXT and f.type == "sentence"]
    word_level = [f for f in features if f.origin == featurizer(graph)]
    return word_level[0].features.toarray()


def test_vocabulary_holds_whole_words(graph):
    vocabulary = word_vocabulary(graph)
    for word in ["dang_ky", "tam_tru", "thuong_tru", "can_cuoc"]:
        assert word in vocabulary, word


def test_a_phrase_lights_exactly_its_words(graph):
    vocabulary = word_vocabulary(graph)
    vector = sentence_vector(graph, "đăng ký tạm trú")[0]
    assert set(vector.nonzero()[0]) == {vocabulary["dang_ky"], vocabulary["tam_tru"]}


def test_multi_syllable_word_is_one_sequence_row(graph):
    message = run(graph, featurizer(graph), "đăng ký tạm trú")
    sequence = [
        f for f in message.features
        if f.attribute == TEXT and f.type == "sequence" and f.origin == featurizer(graph)
    ][0]
    assert sequence.features.shape[0] == 2  # "đăng ký" and "tạm trú", not four syllables
    tokens = run(graph, tokenizer(graph), "đăng ký tạm trú").get("text_tokens")
    assert [t.text for t in tokens] == ["đăng ký", "tạm trú"]


@pytest.mark.parametrize(
    "variant",
    ["dang ky tam tru", "ĐĂNG KÝ TẠM TRÚ", "đk tạm trú", "dk tam tru"],
)
def test_variants_reach_the_same_word_features(graph, variant):
    reference = sentence_vector(graph, "đăng ký tạm trú")
    assert reference.sum() > 0
    assert np.array_equal(sentence_vector(graph, variant), reference)
