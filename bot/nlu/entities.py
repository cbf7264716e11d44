"""Structured entities found by rules: ids, contacts, remedies, threats and ratings.

Regular expressions and lexicons beat a statistical extractor on these (an order number
or a phone number the model never saw is still found), and they are shared by the Rasa
pipeline and the form validation, so "what counts as an order number" lives in one place.
"""

from __future__ import annotations

import re
from typing import Any

Entity = dict[str, Any]

TICKET_RE = re.compile(r"(?<![A-Za-z0-9])[Cc][Pp]\s*-\s*(\d{8})\s*-\s*(\d{4,6})(?!\d)")
EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
CN_MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?(1[3-9]\d[ -]?\d{4}[ -]?\d{4})(?!\d)")
INTL_PHONE_RE = re.compile(r"(?<![A-Za-z0-9+])\+\d{1,3}(?:[ -]?\d){6,14}(?!\d)")
# A national number written in groups after its trunk 0: "07700 900456", "0161 496 0123",
# "010-8888 6666", "0755-12345678" (10-12 digits; one group alone would be read as an order
# number).
NATIONAL_PHONE_RE = re.compile(r"(?<![A-Za-z0-9+\-])0\d{2,4}(?:[ -]\d{3,8}){1,2}(?![\d-])")
ORDER_RE = re.compile(r"(?<![A-Za-z0-9@.])(?:#)?([A-Za-z0-9]{6,20})(?![A-Za-z0-9@])")
_MONEY_PREFIX = re.compile(r"^(?:RMB|CNY|USD|EUR|GBP|HKD|JPY|AUD|CAD|SGD)\d", re.IGNORECASE)
# Quantities with units ("1000Mbps", "5000mAh", "256GB") are not order numbers.
_UNIT_SUFFIX = re.compile(
    r"^\d+(?:mbps|gbps|kbps|gb|mb|tb|mah|kg|ml|km|hz|mhz|ghz|kw|kwh|mm|cm)$", re.I
)
# A number right after these words is an order number even if it looks like a phone number.
ORDER_CONTEXT = re.compile(
    r"(订单|单号|运单|快递单|order|ref|reference|tracking)\s*(?:no\.?|number|#|号|编号)?\s*(?:是|为)?\s*[:：#]?\s*$",
    re.IGNORECASE,
)

# Lexicons: value -> (Chinese regexes, English regexes). English ones are matched on word
# boundaries and case-insensitively. Bare platform names (抖音, Facebook) are not threats:
# customers buy on them too, so they count only with a "post it there" verb.
Lexicon = dict[str, tuple[list[str], list[str]]]

RESOLUTIONS: Lexicon = {
    "refund": (
        [
            "退款",
            "退钱",
            "退费",
            "把钱退",
            "钱退",
            "全额退",
            "退回货款",
            "退我",
            "返还",
            "原路退回",
            "(?:要|想|申请|给我|要求|必须|只能|直接)退货",
            # 退货 as a clause of its own ("…，订单号…，退货，电话…"; the answer "退货吧"); in a
            # story ("退货寄回去半个月了", "不给退货") it is what happened, not what is wanted.
            "(?:^|[，,。；;\\s])退货(?:吧|就行|就好)?(?=$|[，,。！!；;\\s])",
            "退货退款",
            "钱还给我",
            "把钱还",
            "还我钱",
            "返钱",
            "退回来",
            "原路返回",
            "退(?:一|那|这)笔",
            "钱.{0,3}(?:返回|返还|退回)",
            "(?:退|返)(?:到|回)(?:我的?)?(?:卡|账户|账上|微信|支付宝)",
        ],
        [
            "refund(?:ed)?",
            "money back",
            "reimburse(?:d|ment)?",
            "my money",
            "reverse[ds]?",
            "reversal",
            "return (?:it|them|this) for",
            "pay (?:me|us) back",
            "back what (?:i|we) paid",
            "what (?:i|we) paid (?:back|for it back)",
            "get (?:my|our) (?:cash|payment) back",
            "ref(?:u?nd|oun?d|und)",  # typos: refnd, refun, refound
            "rfund",
            "(?:returned|refunded|paid back|credited back|put back) (?:to|on|onto) (?:my|our) (?:card|account|bank)",
            "what (?:i|we) paid (?:returned|refunded)",
            "(?:cancel|void) the (?:charge|payment)",
        ],
    ),
    "replacement": (
        [
            "换货",
            "换一个",
            "换个新",
            "换新",
            "重新发",
            "补发",
            "再发一个",
            "更换",
            "换一[台件双部个]",
            "换双",
            "调换",
            "重发",
            "再给我发",
            "重新给我[寄发]",
            "[寄发]个新的",
            "给我换",
            "换个好的",
            "换成",
            "重新做",
            "重做",
            "再做一[副个件套]",
            "再寄一[个件份]",
            "补[一个]{1,2}(?:新的|给我)",
            "(?:重新|再)(?:给我)?送(?:一|个|份|过来|来)",
            "重送",
        ],
        [
            "replace(?:ment|d)?",
            "exchange(?! rate)",
            "new one",
            "(?<!sim )swap(?:ped|ping)?(?! card)",
            "resend",
            "re-send",
            "send (?:me )?another",
            "reship",
            "a new (?:unit|pair|one)",
            "send (?:me )?(?:a |the )?(?:new|different|fresh|proper|correct|right|working) (?:one|unit|item|pair|size|colou?r|model)",
            "another one",
            "one that (?:actually )?works",
            "(?:ship|send|mail|post|bring) (?:me |us )?(?:a |the )?(?:new|replacement|fresh|working) (?:one|unit|item|pair)?",
            "(?:ship|send|mail|post) (?:me |us )?(?:a )?new one",
            "(?:the|a) (?:right|correct) (?:one|size|colou?r|item|model)",
        ],
    ),
    "repair": (
        [
            "维修",
            "修理",
            "修好",
            "修一下",
            "上门修",
            "返修",
            "修复",
            "检修",
            "派人来修",
            "师傅上门",
            "弄好",
            "(?:派|找|叫)(?:个|一个)?(?:师傅|人|技术员|工程师)",
            "上门(?:看|修|检)",
        ],
        [
            "repair(?:ed)?(?! (?:shop|centre|center|guy|man|person|service|desk))",
            "fix (?:it|this|them)",
            "get (?:it|this) fixed",
            "service (?:it|the unit)",
            "(?:make|get|need|want) (?:it|this|them) (?:to )?work(?:ing)? again",
            "(?:send|get) (?:me )?(?:a |an |someone|somebody )?(?:technician|engineer|repairman|repair person)",
            "come (?:and|to) (?:fix|look at) (?:it|this)",
        ],
    ),
    "compensation": (
        [
            "赔偿",
            "补偿",
            "赔钱",
            "赔付",
            "索赔",
            "赔我",
            "三倍",
            "十倍",
            "假一赔",
            "代金券",
            "优惠券",
            "表示一下",
            "意思一下",
            "减免",
            "红包",
            "^\\s*赔\\s*(?:吧|啊|呀|钱|了)?\\s*[。!！]*\\s*$",
        ],
        [
            "compensat\\w*",
            "voucher",
            "credit(?! ?card)",
            "coupon",
            "damages",
            "goodwill",
            "make (?:it|this) up",
            "for (?:my|the) (?:trouble|inconvenience|hassle)",
            "money off",
        ],
    ),
    "apology": (
        ["道歉", "赔礼", "赔不是", "认错", "致歉"],
        ["apolog(?:y|ies|ise|ize)", "say sorry", "an? sorry"],
    ),
    "explanation": (
        ["解释", "说法", "交代", "讲清楚", "说清楚"],
        [
            "explain (?:why|this|what|how|it)",
            "explanation",
            "tell me why",
            "want to know why",
            "(?:know|find out|understand) (?:why|how) (?:this|it) (?:keeps? )?happen",
            "(?:owes? (?:me|us)|give (?:me|us)|get) (?:an? )?(?:proper |straight )?answers?",
        ],
    ),
}
_POST_ZH = "(?:发|挂|晒|曝光|放|传)(?:到|在|上)?[^，。！？,.!?]{0,4}"
_POST_EN = "(?:post|share|put|tweet|expose|blast)\\w* (?:\\w+ ){0,4}(?:on|to|all over) "
THREATS: Lexicon = {
    "regulator": (
        [r"(?<!\d)12315(?!\d)", "消协", "消费者协会", "市场监管", "市场监督", "工商(?!银行)", "监管部门", "监管局", "银保监",
         "金融监管", "通信管理局", "工信部", "民航局", "物价局", "质监", r"(?<!\d)315(?!\d)", "食药监", "卫健委"],
        ["regulators?", "consumer council", "consumer protection", "bbb",
         "better business bureau", "ftc", "trading standards", "ombudsman", "cfpb", "fcc",
         "accc", "attorney general", "health (?:department|inspector|authority)",
         "department of health", "food safety (?:authority|agency)", "consumer affairs",
         "data protection (?:authority|office|regulator)"],
    ),
    "media": (
        ["曝光", "媒体", "记者", "电视台", "黑猫投诉", "发到网上", "网上发",
         _POST_ZH + "(?:微博|抖音|小红书|快手|知乎|b站|B站|朋友圈|网上)"],
        ["(?:the|to the) press", "media", "social media", "journalists?", "reporters?",
         "(?:the|local|evening) news", "newspapers?", "go(?:es|ing)? viral",
         _POST_EN + "(?:twitter|x|facebook|tiktok|reddit|instagram|youtube|online)",
         "(?:post|share|put|tweet|blast)\\w* (?:\\w+ ){0,3}(?:everywhere|online|on the internet)",
         "go(?:ing)? public", "name and shame"],
    ),
    "legal": (
        ["律师", "起诉", "法院", "告你们", "打官司", "法律", "诉讼", "仲裁", "告到"],
        ["lawyers?", "attorney", "sue", "suing", "(?:in|to|see you in) court", "court case", "legal action", "lawsuit",
         "small claims", "solicitor", "litigation"],
    ),
}  # fmt: skip
# A remedy named right after these is one the customer does NOT want.
_NEGATION = re.compile(
    r"(?:不要|不想|不需要|不用|别|无需)[^，。,.!！?？;；\s]{0,3}$"
    r"|(?:don'?t|do not|doesn'?t|never) (?:want|need)(?: \w+){0,2}\s*$"
    r"|no need for(?: \w+){0,2}\s*$|not (?:asking for|looking for|interested in)(?: \w+){0,2}\s*$",
    re.IGNORECASE,
)
_NEGATION_WINDOW = 24
# What follows a remedy in "(再)不退款我就…", "不给换的话…": the remedy is a demand, not refused.
_ULTIMATUM = re.compile(r"[^，。,.!！?？了]{0,3}?(?:我就|就|的话|我们|否则)")
_ZH_DIGITS = {"一": "1", "二": "2", "两": "2", "三": "3", "四": "4", "五": "5"}
_EN_DIGITS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5"}
# Only explicit scores are rating entities ("4", "5 stars", "给3分", "五星", "I'd rate it a 1");
# verdicts in words ("非常满意", "not solved") are read by the follow-up action instead.
RATING_RE = re.compile(
    r"(?<![\d.])([1-5])\s*(?:分(?![钟之])|颗星|星(?!期)|stars?|out of 5)"
    r"|^\s*([1-5])\s*/\s*5(?!\d)|评分\s*[:：]?\s*([1-5])(?![\d.])"
    r"|(?:打|给|评)\s*([一二两三四五])\s*(?:分(?![钟之])|颗?星(?!期))"
    r"|(?<![一二两三四五六七八九十几])([一二两三四五])\s*颗?星(?!期)"
    r"|^\s*([一二两三四五])\s*分\s*$"
    r"|^\s*([1-5])\s*(?:[!.！。,，]|$)"
    r"|(?:rate|give|score)(?: (?:it|you|this|the service|them))?(?: an?)?\s+([1-5])(?![\d.])"
    r"|(?:i'?d|i would) say\s+([1-5])(?![\d.])"
    r"|(?<![A-Za-z])(one|two|three|four|five) stars?",
    re.IGNORECASE,
)
RATING_WORDS: list[tuple[str, list[str], list[str]]] = [
    ("1", ["非常不满意", "很不满意", "极差", "太差了", "差评", "很差", "非常差", "特别差"],
     ["very (?:dis|un)satisfied", "terrible", "awful", "(?:very|really|so) (?:bad|poor)",
      "horrible", "the worst", "useless", "rubbish"]),
    ("2", ["不满意", "不太满意", "不怎么满意", "没解决", "没有解决"],
     ["(?:dis|un)satisfied", "not satisfied", "not (?:really )?solved", "not happy", "not good",
      "bad", "poor", "not great"]),
    ("3", ["一般", "还行", "凑合"], ["okay", "so-so", "average", "meh", "not bad"]),
    ("4", ["满意", "挺好", "不错"], ["satisfied", "good", "pretty good"]),
    ("5", ["非常满意", "很满意", "特别满意", "太棒了", "完美", "满分"],
     ["very satisfied", "excellent", "perfect", "great", "amazing"]),
]  # fmt: skip


def _en(words: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![A-Za-z])(?:" + "|".join(words) + r")(?![A-Za-z])", re.IGNORECASE)


_LEXICON_PATTERNS = {
    name: [(value, [re.compile("|".join(zh)), _en(en)]) for value, (zh, en) in lex.items()]
    for name, lex in (("desired_resolution", RESOLUTIONS), ("escalation_threat", THREATS))
}
_RATING_WORD_PATTERNS = [
    (value, [re.compile("|".join(zh)), _en(en)]) for value, zh, en in RATING_WORDS
]


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


def _entity(name: str, value: str, start: int, end: int, text: str) -> Entity:
    return {"entity": name, "value": value, "start": start, "end": end, "text": text[start:end]}


def _lexicon_match(name: str, text: str) -> Entity | None:
    """The first lexicon value mentioned without a negation in front of it."""
    found: list[tuple[int, int, str]] = []
    for value, patterns in _LEXICON_PATTERNS[name]:
        for pattern in patterns:
            for match in pattern.finditer(text):
                before = text[max(0, match.start() - _NEGATION_WINDOW) : match.start()]
                negated = _NEGATION.search(before) or before.endswith(("不", "别", "没"))
                # "不退钱我就去消协", "再不退款我们法院见": a condition with a threat wants it.
                if not negated or _ULTIMATUM.match(text[match.end() : match.end() + 8]):
                    found.append((match.start(), match.end(), value))
    if not found:
        return None
    start, end, value = min(found)
    return _entity(name, value, start, end, text)


def extract_rating(text: str) -> Entity | None:
    """An explicit 1–5 score: "4", "5 stars", "给3分", "五星", "I'd rate it a 1"."""
    match = RATING_RE.search(text)
    if not match:
        return None
    raw = next(group for group in match.groups() if group)
    value = _ZH_DIGITS.get(raw) or _EN_DIGITS.get(raw.lower()) or raw
    return _entity("rating", value, match.start(), match.end(), text)


def rating_from_words(text: str) -> str | None:
    """A score read from a short verdict ("非常满意" → 5, "not solved" → 2), longest phrase first."""
    if len(text.strip()) > 30:
        return None
    best: tuple[int, str] | None = None
    for value, patterns in _RATING_WORD_PATTERNS:
        for pattern in patterns:
            for m in pattern.finditer(text):
                if best is None or m.end() - m.start() > best[0]:
                    best = (m.end() - m.start(), value)
    return best[1] if best else None


def extract(text: str) -> list[Entity]:
    """All structured entities in `text`, non-overlapping, in text order."""
    if not text:
        return []
    entities: list[Entity] = []
    taken: list[tuple[int, int]] = []

    for m in TICKET_RE.finditer(text):
        entities.append(
            _entity("ticket_id", f"CP-{m.group(1)}-{m.group(2)}", m.start(), m.end(), text)
        )
        taken.append(m.span())
    for m in EMAIL_RE.finditer(text):
        if not _overlaps(m.span(), taken):
            entities.append(_entity("email", m.group(0), m.start(), m.end(), text))
            taken.append(m.span())
    national = [
        m
        for m in NATIONAL_PHONE_RE.finditer(text)
        if 10 <= sum(c.isdigit() for c in m.group(0)) <= 12
    ]
    for m in list(INTL_PHONE_RE.finditer(text)) + list(CN_MOBILE_RE.finditer(text)) + national:
        if _overlaps(m.span(), taken) or ORDER_CONTEXT.search(
            text[max(0, m.start() - 12) : m.start()]
        ):
            continue
        value = re.sub(r"[ -]", "", m.group(0))
        entities.append(_entity("phone", value, m.start(), m.end(), text))
        taken.append(m.span())
    for m in ORDER_RE.finditer(text):
        token = m.group(1)
        span = m.span(1)
        if _overlaps(span, taken) or sum(ch.isdigit() for ch in token) < 4:
            continue
        if token.isalpha() or _MONEY_PREFIX.match(token) or _UNIT_SUFFIX.match(token):
            continue
        entities.append(_entity("order_id", token, span[0], span[1], text))
        taken.append(span)
    for name in ("desired_resolution", "escalation_threat"):
        found = _lexicon_match(name, text)
        if found is not None:
            entities.append(found)
    rating = extract_rating(text)
    if rating is not None and not _overlaps((rating["start"], rating["end"]), taken):
        entities.append(rating)
    entities.sort(key=lambda e: e["start"])
    return entities


def first(text: str, name: str) -> str | None:
    """The value of the first `name` entity in `text`, if any."""
    for entity in extract(text):
        if entity["entity"] == name:
            return str(entity["value"])
    return None


# Words that introduce a detail ("订单号是", "email me at", "I want a") and follow one
# ("please", "吧"): removed with the detail, and only next to it ("打了八次电话" keeps 电话).
_LEAD_IN = re.compile(
    r"(?:订单号?|单号|编号|手机号码?|手机|电话号码?|电话|邮箱地址|邮箱|联系方式|我要|我想要?|要求|希望|给我)"
    r"\s*[是:：为]?\s*$"
    r"|\b(?:(?:my |the )?order(?: (?:number|no\.?|#|ref(?:erence)?))?(?: is)?|"
    r"(?:e-?mail|call|text|reach|contact) me(?: at| on)?|my (?:e-?mail|phone|number|mobile)(?: is)?|"
    r"(?:e-?mail|phone|mobile|tel)(?: is)?|i (?:want|would like|need)(?: a| an| my)?|"
    r"(?:just|please|pls|an?))\s*[:#]?\s*$",
    re.IGNORECASE,
)
_LEAD_OUT = re.compile(r"^\s*(?:(?:please|pls|thanks|thank you)\b|吧|啊|谢谢)", re.IGNORECASE)
DETAIL_ENTITIES = ("order_id", "phone", "email", "ticket_id", "desired_resolution")


def without_details(text: str) -> str:
    """`text` without its order numbers, contacts, ticket numbers and remedies (and the words
    that introduce them): what the customer says happened."""
    spans = sorted((e["start"], e["end"]) for e in extract(text) if e["entity"] in DETAIL_ENTITIES)
    if not spans:
        return text
    kept: list[str] = []
    last = 0
    for start, end in spans:
        if start < last:
            continue
        kept.append(
            _LEAD_IN.sub("", _LEAD_OUT.sub("", text[last:start]) if kept else text[last:start])
        )
        last = end
    kept.append(_LEAD_OUT.sub("", text[last:]))
    rest = " ".join(kept)
    # A run of separators and spaces left where details were becomes its first separator.
    rest = _SEPARATORS.sub(lambda m: _first_separator(m.group(0)), rest)
    previous = None
    while previous != rest:  # "…never came and", "…坏了，并且" lose their dangling ends
        previous = rest
        rest = _DANGLING.sub("", rest.strip(" .。,，;；:："))
    return rest


_SEPARATORS = re.compile(r"[\s,，;；:：]*[,，;；:：][\s,，;；:：]*|\s{2,}")
_DANGLING = re.compile(r"(?:\s+(?:and|but|so|or|with)|和|并且|而且|还有)$", re.IGNORECASE)


def _first_separator(run: str) -> str:
    mark = next((ch for ch in run if not ch.isspace()), " ")
    return mark + " " if mark in ",;:" else mark


def tells_a_story(text: str) -> bool:
    """Whether a text (details removed) still says what happened: 4 Chinese characters
    ("台灯不亮") or 3 English words ("earbuds left silent")."""
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    return cjk >= 4 or len(re.findall(r"[A-Za-z]{2,}", text)) >= 3
