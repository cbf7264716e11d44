"""The product from the customer's own words about their purchase (bot.nlu.products, issue
18). The Chinese frames need jieba, which only Rasa's environment has: they are covered
through the real stack by the corpus (tests/corpus/openers.yml, zh-product-not-water)."""

from __future__ import annotations

import pytest

from bot.nlu.products import purchased_product, settle_products


@pytest.mark.parametrize(
    ("text", "product"),
    [
        ("the kettle I bought leaks from the bottom while boiling water", "kettle"),
        ("my new air fryer stopped heating after a week", "air fryer"),
        ("I bought a kettle from you last week", "kettle"),
        ("my headphones broke on day two", "headphones"),
        ("the sofa we ordered came in the wrong colour", "sofa"),
    ],
)
def test_the_purchase_frame_names_the_product(text: str, product: str) -> None:
    found = purchased_product(text)
    assert found is not None and found[0] == product
    assert text[found[1] : found[2]].lower() == product


@pytest.mark.parametrize(
    "text",
    ["the tap spits hot water everywhere", "my order never came", "my parcel was lost", ""],
)
def test_no_purchase_frame_no_product(text: str) -> None:
    assert purchased_product(text) is None


def test_settling_prefers_the_frame_and_drops_what_is_no_product() -> None:
    water = {"entity": "product", "value": "water", "start": 51, "end": 56}
    order = {"entity": "order_id", "value": "JD0098812", "start": 0, "end": 9}
    text = "the kettle I bought leaks from the bottom while boiling water"
    settled = settle_products(text, [water, order])
    assert order in settled
    assert [e["value"] for e in settled if e["entity"] == "product"] == ["kettle"]
    # No frame: a proposal that is no product is dropped, a real one kept.
    assert settle_products("boiling water everywhere", [water]) == []
    lamp = {"entity": "product", "value": "lamp", "start": 4, "end": 8}
    assert settle_products("the lamp flickers", [lamp]) == [lamp]
