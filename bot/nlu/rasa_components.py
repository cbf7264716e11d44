"""Rasa 3.6 pipeline components (loaded by the Rasa server from config.yml).

Thin adapters: the logic lives in the pure modules beside this file, which the gateway and
the action server use too.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import emotion as emotion_module
from bot.nlu import entities as entity_rules

RULE_ENTITIES = (
    "order_id", "ticket_id", "phone", "email", "desired_resolution", "escalation_threat", "rating",
)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class MixedTokenizer(JiebaTokenizer):
    """Jieba for Chinese and mixed text, without the whitespace tokens Jieba emits."""

    @staticmethod
    def supported_languages() -> Optional[List[Text]]:
        return None

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        return [token for token in tokens if token.text.strip()]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class RuleEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Finds ids, contacts, remedies, threats and ratings by rule (bot.nlu.entities).

    For these entity types it is authoritative: what a statistical extractor proposed for
    them is replaced, so the output never holds two competing order numbers.
    """

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RuleEntityExtractor":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            kept = [e for e in message.get(ENTITIES, []) if e.get("entity") not in RULE_ENTITIES]
            found = []
            for entity in entity_rules.extract(text):
                entity = dict(entity)
                entity.pop("text", None)
                entity["extractor"] = self.__class__.__name__
                entity["confidence_entity"] = 1.0
                found.append(entity)
            message.set(ENTITIES, kept + found, add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class EmotionAnnotator(GraphComponent):
    """Adds `"emotion": {"level", "score"}` to every parse result (bot.nlu.emotion)."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EmotionAnnotator":
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            result = emotion_module.analyse(message.get(TEXT) or "")
            message.set("emotion", result.as_dict(), add_to_output=True)
        return messages
