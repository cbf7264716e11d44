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
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import emotion as emotion_module
from bot.nlu import entities as entity_rules
from bot.nlu.categories import UNSURE_BELOW, is_complaint
from bot.nlu.products import settle_products

RULE_ENTITIES = (
    "order_id", "ticket_id", "phone", "email", "desired_resolution", "escalation_threat", "rating",
)
# Intents of short answers and small talk: when the model is this unsure of one and the
# message, without its details, still tells a story, it is read again as a complaint.
SHORT_ANSWERS = frozenset(
    ("greet", "goodbye", "affirm", "deny", "thank", "bot_challenge", "out_of_scope")
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
    """Finds ids, contacts, remedies, threats and ratings by rule (bot.nlu.entities), and
    settles the product: the customer's own purchase frame over the CRF's proposal, never
    "water" (bot.nlu.products).

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
            settled = settle_products(text, kept)
            for entity in settled:
                if entity.get("entity") == "product" and "extractor" not in entity:
                    entity["extractor"] = self.__class__.__name__
                    entity["confidence_entity"] = 1.0
            message.set(ENTITIES, settled + found, add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class EmotionClassifier(GraphComponent):
    """Adds `"emotion": {"level", "score"}` to every parse result (DESIGN §4).

    A logistic regression over the lexicon's cues and character n-grams
    (bot.nlu.emotion_model), trained on the JSON Lines file named by `training_file` (relative
    to the working directory of `rasa train`). Without a trained model (the file is missing,
    scikit-learn is unavailable, the stored model cannot be read) the lexicon scorer
    bot.nlu.emotion.analyse answers alone.
    """

    MODEL_FILE = "emotion_model.pkl"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"training_file": "bot/nlu/emotion_data/train.jsonl"}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Any = None,
    ) -> None:
        self._config = {**self.get_default_config(), **(config or {})}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """The training file and the feature code: Rasa's cache must retrain when they change."""
        import hashlib
        from pathlib import Path

        from bot.nlu import emotion_model

        digest = hashlib.sha256()
        training_file = Path({**cls.get_default_config(), **(config or {})}["training_file"])
        for path in (training_file, Path(emotion_module.__file__), Path(emotion_model.__file__)):
            digest.update(path.read_bytes() if path.is_file() else b"missing")
        return digest.hexdigest()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EmotionClassifier":
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "EmotionClassifier":
        import logging

        model = None
        try:
            from bot.nlu.emotion_model import EmotionModel

            with model_storage.read_from(resource) as directory:
                model = EmotionModel.load(directory / cls.MODEL_FILE)
        except Exception as error:  # noqa: BLE001 - any failure: the lexicon answers alone
            logging.getLogger(__name__).warning(
                "Emotion model not loaded (%s); using the lexicon scorer.", error
            )
        return cls(config, model_storage, resource, model)

    def train(self, training_data: TrainingData) -> Resource:
        from bot.nlu.emotion_model import train as train_model

        model = train_model(self._config["training_file"])
        with self._model_storage.write_to(self._resource) as directory:
            model.save(directory / self.MODEL_FILE)
        self.model = model
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def _analyse(self, texts: List[Text]) -> List[Any]:
        if self.model is not None:
            try:
                return self.model.analyse_many(texts)
            except Exception:  # noqa: BLE001 - a broken model must not break parsing
                pass
        return [emotion_module.analyse(text) for text in texts]

    def process(self, messages: List[Message]) -> List[Message]:
        texts = [message.get(TEXT) or "" for message in messages]
        for message, result in zip(messages, self._analyse(texts)):
            message.set("emotion", result.as_dict(), add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent):
    """Intents from a linear model over character n-grams and the tokeniser's words
    (bot.nlu.intent_model): trains in seconds where DIET took minutes, with calibrated
    confidences and a full ranking for the FallbackClassifier and the dialogue."""

    MODEL_FILE = "intent_model.pkl"

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"C": 1.0, "ranking_length": 10, "random_seed": 42}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        model: Any = None,
    ) -> None:
        self._config = {**self.get_default_config(), **(config or {})}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def fingerprint_addon(cls, config: Dict[Text, Any]) -> Optional[Text]:
        """The model's code: Rasa's cache must retrain when it changes."""
        import hashlib
        from pathlib import Path

        from bot.nlu import intent_model

        return hashlib.sha256(Path(intent_model.__file__).read_bytes()).hexdigest()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LinearIntentClassifier":
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LinearIntentClassifier":
        from bot.nlu.intent_model import IntentModel

        with model_storage.read_from(resource) as directory:
            model = IntentModel.load(directory / cls.MODEL_FILE)
        return cls(config, model_storage, resource, model)

    @staticmethod
    def _words(message: Message) -> List[Text]:
        return [token.text for token in message.get(TOKENS_NAMES[TEXT]) or []]

    def train(self, training_data: TrainingData) -> Resource:
        from bot.nlu.intent_model import IntentModel

        examples = [e for e in training_data.intent_examples if e.get(TEXT)]
        model = IntentModel(c=float(self._config["C"]), seed=int(self._config["random_seed"]))
        model.fit(
            [e.get(TEXT) for e in examples],
            [self._words(e) for e in examples],
            [e.get(INTENT) for e in examples],
        )
        with self._model_storage.write_to(self._resource) as directory:
            model.save(directory / self.MODEL_FILE)
        self.model = model
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def _unmask_complaints(
        self, texts: List[Text], rankings: List[List[Any]]
    ) -> List[List[Any]]:
        """An all-in-one complaint ("my air fryer stopped heating, order JD…, I want a refund,
        mia@example.com") reads as `inform`: its order number, remedy and contact outweigh the
        story. Read again without them, a message that still tells a story and then reads as
        a complaint is one (issue 15: a message that already has everything goes straight to
        the read-back). So is a story with details that ties `inform` with a complaint, or
        that the model only guesses to be a short answer: a low confidence is not a
        decision."""
        import jieba

        redo = []
        for index, (text, ranking) in enumerate(zip(texts, rankings)):
            if not ranking:
                continue
            top, confidence = ranking[0][0], ranking[0][1]
            unsure_short_answer = top in SHORT_ANSWERS and confidence < UNSURE_BELOW
            # `inform` first, or second to a complaint it ties with (which the fallback
            # classifier would call ambiguous).
            runner_up = ranking[1][0] if len(ranking) > 1 else ""
            details_weigh = top == "inform" or (is_complaint(top) and runner_up == "inform")
            if not details_weigh and not unsure_short_answer:
                continue
            masked = entity_rules.without_details(text)
            if masked != text and entity_rules.tells_a_story(masked):
                redo.append((index, masked))
        if not redo:
            return rankings
        again = self.model.rank(
            [masked for _, masked in redo],
            [[w for w in jieba.lcut(masked) if w.strip()] for _, masked in redo],
            top=int(self._config["ranking_length"]),
        )
        result = list(rankings)
        for (index, _masked), ranking in zip(redo, again):
            if ranking and is_complaint(ranking[0][0]):
                result[index] = ranking
        return result

    def process(self, messages: List[Message]) -> List[Message]:
        todo = [m for m in messages if (m.get(TEXT) or "").strip()]
        if self.model is None or not todo:
            return messages
        rankings = self.model.rank(
            [m.get(TEXT) for m in todo],
            [self._words(m) for m in todo],
            top=int(self._config["ranking_length"]),
        )
        rankings = self._unmask_complaints([m.get(TEXT) for m in todo], rankings)
        for message, ranking in zip(todo, rankings):
            listed = [{"name": name, "confidence": p} for name, p in ranking]
            message.set(INTENT, listed[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, listed, add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class UnknownWordsGuard(GraphComponent):
    """Sends messages made only of words never seen in training to nlu_fallback.

    DIET gives gibberish ("blorf snarp") a confident intent like any other text; a customer
    typing nonsense must be asked to rephrase, not have a complaint opened. Messages with a
    structured entity (an order number alone, a phone number) are left alone.
    """

    VOCABULARY_FILE = "vocabulary.json"

    def __init__(self, model_storage: ModelStorage, resource: Resource, vocabulary: set) -> None:
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "UnknownWordsGuard":
        return cls(model_storage, resource, set())

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "UnknownWordsGuard":
        import json

        try:
            with model_storage.read_from(resource) as directory:
                words = json.loads((directory / cls.VOCABULARY_FILE).read_text("utf-8"))
        except (ValueError, FileNotFoundError):
            words = []
        return cls(model_storage, resource, set(words))

    @staticmethod
    def _words(message: Message) -> List[str]:
        return [
            token.text.lower()
            for token in message.get(TOKENS_NAMES[TEXT]) or []
            if any(ch.isalpha() for ch in token.text)
        ]

    def train(self, training_data: TrainingData) -> Resource:
        import json

        words = set()
        for example in training_data.training_examples:
            words.update(self._words(example))
        with self._model_storage.write_to(self._resource) as directory:
            (directory / self.VOCABULARY_FILE).write_text(json.dumps(sorted(words)), "utf-8")
        self.vocabulary = words
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            words = self._words(message)
            if not self.vocabulary or not words or text.startswith("/"):
                continue
            if message.get(ENTITIES) or any(word in self.vocabulary for word in words):
                continue
            message.set(INTENT, {"name": "nlu_fallback", "confidence": 1.0}, add_to_output=True)
        return messages
