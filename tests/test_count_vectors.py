"""The batched featurizer (bot/nlu/count_vectors.py) gives every message
exactly the features Rasa's CountVectorsFeaturizer gives it, for the word and
the character n-gram featurizer of config.yml."""

from __future__ import annotations

import copy

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.count_vectors import BatchedCountVectorsFeaturizer
from tests.test_tokenizer import make_tokenizer

TRAINING = [
    ("tôi muốn đăng ký tạm trú cho 3 người", "temporary_registration"),
    ("dang ky tam tru o dau", "temporary_registration"),
    ("làm căn cước mất bao lâu", "id_card"),
    ("mat cccd lam lai o dau", "id_card"),
    ("đăng ký thường trú cần giấy tờ gì", "permanent_registration"),
    ("phòng cháy chữa cháy cho quán karaoke", "fire"),
    ("xe máy mới mua đăng ký biển số ở đâu, lệ phí 500000 đồng à", "vehicle"),
]

NEW = [
    "tôi bị mất ví có cccd với bằng lái, giờ làm lại cái nào trước",
    "xin chào",
    "đăng ký xe 2 bánh 150cc cho con 18 tuổi",
    "",
    "🙏🙏",
    "một câu hỏi dài " * 40,
]

CONFIGS = {"words": {}, "characters": {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4}}


def _messages():
    training = [Message(data={"text": text, "intent": intent}) for text, intent in TRAINING]
    others = [Message(data={"text": text}) for text in NEW] + [Message(data={"intent": "fire"})]
    data = TrainingData(training_examples=training + others)
    make_tokenizer().process_training_data(data)
    return TrainingData(training_examples=training), training + others


def _trained(cls, config, training, tmp_path):
    storage = tmp_path / cls.__name__
    storage.mkdir()
    # the same node name: features carry it as their origin
    component = cls.create({**cls.get_default_config(), **config}, LocalModelStorage(storage),
                           Resource("featurizer"), ExecutionContext(GraphSchema({}), "featurizer"))
    component.train(training)
    return component


def _features(message):
    return [(f.attribute, f.type, f.origin, f.features.shape,
             sorted(zip(f.features.row.tolist(), f.features.col.tolist(), f.features.data.tolist())))
            for f in message.features]


@pytest.mark.parametrize("kind", sorted(CONFIGS))
def test_every_message_gets_the_features_rasas_featurizer_gives_it(kind, tmp_path):
    training, messages = _messages()
    rasa_featurizer = _trained(CountVectorsFeaturizer, CONFIGS[kind], training, tmp_path)
    batched = _trained(BatchedCountVectorsFeaturizer, CONFIGS[kind], training, tmp_path)
    by_rasa, by_batch = copy.deepcopy(messages), copy.deepcopy(messages)

    rasa_featurizer.process(by_rasa)
    batched.process(by_batch)

    assert sum(len(m.features) for m in by_rasa) > 2 * len(TRAINING)
    for expected, got in zip(by_rasa, by_batch):
        assert _features(got) == _features(expected), expected.get("text")


def test_one_message_at_a_time_as_when_serving(tmp_path):
    training, messages = _messages()
    rasa_featurizer = _trained(CountVectorsFeaturizer, {}, training, tmp_path)
    batched = _trained(BatchedCountVectorsFeaturizer, {}, training, tmp_path)
    for message in messages:
        expected, got = copy.deepcopy(message), copy.deepcopy(message)
        rasa_featurizer.process([expected])
        batched.process([got])
        assert _features(got) == _features(expected)


def test_features_are_fingerprinted_by_their_content(tmp_path):
    training, messages = _messages()
    batched = _trained(BatchedCountVectorsFeaturizer, {}, training, tmp_path)
    first, again = copy.deepcopy(messages[:3]), copy.deepcopy(messages[:3])
    batched.process(first)
    batched.process(again)

    prints = [m.fingerprint() for m in first]
    assert prints == [m.fingerprint() for m in again]
    assert len(set(prints)) == 3
    changed = first[0].features[0]
    changed.features = changed.features.copy()
    changed.features.data[0] += 1
    changed._cached_fingerprint = None
    first[0]._cached_fingerprint = None
    assert first[0].fingerprint() != prints[0]
