"""Severity and motive rules (DESIGN §5)."""

from __future__ import annotations

import pytest

from bot.tickets.rules import Assessment, assess, is_danger, is_safety_concern


def _assess(**overrides: object) -> Assessment:
    """A calm, first-time delivery complaint with no demand, overridden field by field."""
    fields: dict[str, object] = {
        "category": "delivery",
        "description": "The parcel is two days late.",
        "desired_resolution": None,
        "emotion_peak": "calm",
        "escalation_threat": None,
        "recent_complaints": 0,
    }
    fields.update(overrides)
    return assess(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "description",
    [
        "充电宝在床头充电时突然着火了，床单都烧起来了",
        "热水壶漏电，我妈倒水的时候被电了一下",
        "孩子吃了你们的果冻后呼吸困难，已经送医了",
        "The space heater caught fire in the living room, it's on fire right now",
        "My son got an electric shock from the charger",
        "There's a gas leak from the stove you installed yesterday",
        "My daughter was burned by the kettle lid",
        "We ended up in the emergency room after eating the chicken",
    ],
)
def test_safety_with_danger_or_injury_is_urgent(description: str) -> None:
    result = _assess(category="safety", description=description)
    assert result.severity == "urgent"
    assert result.reasons == ("ongoing danger or injury",)


@pytest.mark.parametrize(
    "description",
    [
        "汤里吃出了一块玻璃，还好发现得早",
        "玩具边缘很锋利，感觉不安全",
        "I found a piece of plastic in the yoghurt",
        "The toy has small parts that come off easily",
    ],
)
def test_safety_without_danger_is_major(description: str) -> None:
    result = _assess(category="safety", description=description)
    assert result.severity == "major"
    assert result.reasons == ("safety complaint",)


@pytest.mark.parametrize(
    "description",
    [
        pytest.param(
            "孩子玩的时候摔伤了，膝盖缝了两针",
        ),
        pytest.param(
            "孩子被烫到了，手上起了好几个水泡",
        ),
        pytest.param(
            "My son cut his hand on the broken glass of the blender",
        ),
        pytest.param(
            "My husband was hurt when the ladder collapsed",
        ),
    ],
)
def test_injury_worded_differently_is_still_urgent(description: str) -> None:
    assert _assess(category="safety", description=description).severity == "urgent"


def test_urgent_outranks_every_major_reason() -> None:
    result = _assess(
        category="safety",
        description="电动车电池在楼道里冒烟了",
        emotion_peak="furious",
        escalation_threat="media",
        recent_complaints=4,
    )
    assert result.severity == "urgent"
    assert result.reasons == ("ongoing danger or injury",)


@pytest.mark.parametrize("category", ["product_quality", "delivery", "billing", "other"])
def test_danger_makes_any_category_urgent(category: str) -> None:
    # Issue 15: danger and injury raise the severity whatever the category the customer
    # or the NLU gave (the kettle that shocked a hand was filed as product quality).
    result = _assess(category=category, description="水壶底座漏电，手被电了一下")
    assert result.severity == "urgent"
    assert result.reasons == ("ongoing danger or injury",)


@pytest.mark.parametrize(
    "description",
    [
        "电水壶底座漏电，手被电了一下",
        "吃了你们的海鲜上吐下泻，一晚上没睡",
        "孩子把玩具上的小零件吞下去了",
        "小区电梯突然往下掉了两层，吓死人了",
        "我妈被困在单元楼电梯里四十分钟",
        "孩子在托管班被打伤了，缝了三针",
        "the whole flat smelt of gas after your engineer left",
        "the scooter's brakes failed going downhill",
        "老人在你们店门口的湿地板上滑倒了",
        "the kettle base gave me an electric shock",
        "my toaster was sparking and smelled of burning plastic",
        "I had an allergic reaction to the moisturiser, rash all over my face",
        "my daughter choked on a piece of the toy",
        "the lift dropped two floors with us inside",
        "my mum slipped on the wet floor in your store",
        "the whole family has been vomiting since the takeaway",
    ],
)
def test_injury_and_danger_cues_in_both_languages(description: str) -> None:
    assert is_danger(description)


@pytest.mark.parametrize(
    "description",
    [
        "检查过了，没有漏电，就是不加热",
        "没过敏，就是味道很奇怪",
        "no one was hurt but the screen cracked",
        "the price fell the day after I bought it",
        "the parcel was stuck at the depot for a week",
        "I'm not allergic, it just tastes off",
        "我气炸了，快递又晚了",
        "ATM吞了我的卡",
        "the ATM swallowed my card",
        "the label says choking hazard but the parts are huge",
    ],
)
def test_negated_or_harmless_mentions_are_not_danger(description: str) -> None:
    assert not is_danger(description)


@pytest.mark.parametrize("description", [None, ""])
def test_safety_without_description_is_major(description: str | None) -> None:
    assert _assess(category="safety", description=description).severity == "major"


@pytest.mark.parametrize(
    "description",
    [
        "有人一直用陌生号码给我打骚扰电话，说知道我的订单信息",
        "My address was shown to another customer",
    ],
)
def test_privacy_complaint_is_major(description: str) -> None:
    result = _assess(category="privacy", description=description)
    assert result.severity == "major"
    assert result.reasons == ("privacy complaint",)


@pytest.mark.parametrize("threat", ["regulator", "media", "legal"])
def test_any_escalation_threat_is_major(threat: str) -> None:
    result = _assess(escalation_threat=threat)
    assert result.severity == "major"
    assert result.reasons == (f"escalation threat: {threat}",)


@pytest.mark.parametrize(
    ("peak", "severity"),
    [("calm", "general"), ("upset", "general"), ("angry", "general"), ("furious", "major")],
)
def test_only_furious_emotion_makes_a_complaint_major(peak: str, severity: str) -> None:
    assert _assess(emotion_peak=peak).severity == severity


def test_unknown_emotion_peak_is_not_major() -> None:
    assert _assess(emotion_peak=None).severity == "general"


@pytest.mark.parametrize(
    ("recent", "severity"), [(0, "general"), (1, "general"), (2, "major"), (7, "major")]
)
def test_third_complaint_in_30_days_is_major(recent: int, severity: str) -> None:
    assert _assess(recent_complaints=recent).severity == severity


def test_third_complaint_reason_counts_this_one() -> None:
    assert _assess(recent_complaints=2).reasons == ("complaint number 3 in 30 days",)


def test_all_major_reasons_are_recorded_in_order() -> None:
    result = _assess(
        category="privacy",
        escalation_threat="legal",
        emotion_peak="furious",
        recent_complaints=3,
    )
    assert result.severity == "major"
    assert result.reasons == (
        "privacy complaint",
        "escalation threat: legal",
        "customer furious",
        "complaint number 4 in 30 days",
    )


def test_plain_complaint_is_general_without_reasons() -> None:
    result = _assess()
    assert (result.severity, result.reasons) == ("general", ())


@pytest.mark.parametrize(
    ("remedy", "motive"),
    [
        ("refund", "compensation"),
        ("replacement", "compensation"),
        ("compensation", "compensation"),
        ("repair", "resolution"),
        ("explanation", "resolution"),
        ("apology", "resolution"),
        (None, "venting"),
        ("none", "venting"),
        ("", "venting"),
    ],
)
def test_motive_follows_desired_resolution(remedy: str | None, motive: str) -> None:
    assert _assess(desired_resolution=remedy).motive == motive


@pytest.mark.parametrize("remedy", [None, "refund", "repair"])
def test_suggestion_category_is_always_suggestion_motive(remedy: str | None) -> None:
    result = _assess(
        category="suggestion", description="希望增加夜间配送", desired_resolution=remedy
    )
    assert result.motive == "suggestion"
    assert result.severity == "general"


def test_motive_is_independent_of_severity() -> None:
    result = _assess(category="safety", description="插座冒烟了", desired_resolution="refund")
    assert (result.severity, result.motive) == ("urgent", "compensation")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("卧室的插座冒烟了", True),
        ("燃气灶漏气，整个厨房都是味道", True),
        ("吃完以后过敏很严重，嘴都肿了", True),
        ("The battery exploded in my hand", True),
        ("The kids can't breathe properly since the cleaner was used", True),
        ("I was poisoned by the sushi", True),
        ("The brakes on my e-bike suddenly failed on the hill", True),
        ("I went over the handlebars when the fork snapped", True),
        ("刹车突然不灵了，差点追尾", True),
        ("热水器漏气，我差点晕过去", True),
        ("The brake pads squeak a little", False),
        ("The colour is a bit different from the photo", False),
        ("吃完以后有点过敏", False),
        ("The fireplace screen arrived scratched", False),
        ("", False),
        (None, False),
    ],
)
def test_is_danger(text: str | None, expected: bool) -> None:
    assert is_danger(text) is expected


@pytest.mark.parametrize(
    "description",
    ["吃完以后有点过敏", "面霜用了脸上起疹子", "玩具边缘很锋利", "I found a glass shard in the jam",
     "the cream gave me a rash", "this toy has small parts and no warning"],
)  # fmt: skip
def test_safety_concerns_that_are_not_emergencies_make_the_complaint_major(
    description: str,
) -> None:
    assert is_safety_concern(description) and not is_danger(description)
    result = _assess(category="product_quality", description=description)
    assert (result.severity, result.reasons) == ("major", ("safety concern",))


def test_safety_concern_negated_is_none() -> None:
    assert not is_safety_concern("没过敏，也没起疹子，就是味道怪")
    assert not is_safety_concern(None)
