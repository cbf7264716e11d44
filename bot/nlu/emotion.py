"""Emotion level of a customer message: calm, upset, angry or furious, with a score in [0, 1].

A transparent cue-based scorer. Each cue found adds weight; the sum (capped at 1) maps onto
the four levels. Cues, in both languages: negative and angry vocabulary, profanity, threats
to go to a regulator, the media or court, repetition ("third time", 第三次), neglect ("nobody
answers", 没人管), ultimatums, and intensity (!!!, ？？？, CAPS, angry emoji, elongation).
Politeness markers pull the score down a little. The lexicon is data: extend the lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LEVELS = ("calm", "upset", "angry", "furious")
# Lower bounds of each level on the score scale.
THRESHOLDS = (("furious", 0.8), ("angry", 0.5), ("upset", 0.2))

# (weight, Chinese substrings, English patterns matched on word boundaries)
CUES: dict[str, tuple[float, list[str], list[str]]] = {
    "negative": (
        0.25,
        [
            "失望",
            "不满",
            "郁闷",
            "(?<!麻)烦",
            "无语",
            "糟心",
            "着急",
            "闹心",
            "太差",
            "很差",
            "真差",
            "不好用",
            "不靠谱",
            "坑",
            "离谱",
            "差劲",
            "难受",
            "委屈",
            "心累",
            "头疼",
            "无奈",
            "怎么回事",
            "搞什么",
            "什么情况",
            "不合理",
            "不应该",
            "太慢",
            "好慢",
            "质量差",
            "不像话",
            "有点过分",
            "受不了",
            "崩溃",
            "气人",
            "怎么能",
            "凭什么",
            "说好的",
            "白花",
            "浪费",
        ],
        [
            "disappointed",
            "disappointing",
            "annoyed",
            "annoying",
            "frustrat\\w*",
            "unhappy",
            "not happy",
            "upset",
            "poor",
            "bad",
            "terrible",
            "awful",
            "useless",
            "worse",
            "not ok",
            "not acceptable",
            "unacceptable",
            "ridiculous",
            "seriously",
            "come on",
            "waste",
            "wasted",
            "still (?:no|not|waiting)",
            "fed up",
            "sick of",
            "tired of",
            "why (?:is|does|do|did|would|can't|cant|won't)",
            "how (?:is|can|could) (?:this|that|it)",
            "really\\?",
            "nonsense",
            "joke",
            "shame",
            "shameful",
            "pathetic",
        ],
    ),
    "angry": (
        0.45,
        [
            "生气",
            "气死",
            "愤怒",
            "火大",
            "恼火",
            "垃圾",
            "破玩意",
            "什么破",
            "骗子",
            "欺骗",
            "诈骗",
            "坑人",
            "坑钱",
            "黑店",
            "恶心",
            "过分",
            "太过分",
            "忍不了",
            "欺负",
            "耍我",
            "当我傻",
            "骗人",
            "无耻",
            "流氓",
            "混蛋",
            "霸王条款",
            "态度恶劣",
            "冷嘲热讽",
            "翻脸",
            "吼",
            "骂",
            "吵",
            "岂有此理",
            "一点都不",
            "简直",
            "绝对不",
            "不可理喻",
        ],
        [
            "angry",
            "furious",
            "livid",
            "pissed",
            "outraged",
            "outrageous",
            "disgust\\w*",
            "trash",
            "garbage",
            "junk",
            "scam\\w*",
            "rip[- ]?off",
            "fraud\\w*",
            "cheat\\w*",
            "liars?",
            "lied",
            "lying",
            "insult\\w*",
            "worst",
            "horrible",
            "appalling",
            "disgrace\\w*",
            "incompetent",
            "unbelievable",
            "absolutely",
            "shocking",
            "screw(?:ed)?",
            "crap\\w*",
            "sucks?",
            "hate",
            "stupid",
            "idiots?",
            "joke of a",
        ],
    ),
    "rage": (
        0.8,
        [
            "他妈",
            "妈的",
            "tmd",
            "TMD",
            "nmd",
            "操(?![作心场练控纵持办])",
            "艹",
            "草泥马",
            "卧槽",
            "我靠",
            "去死",
            "滚(?![筒动轮烫水珠])",
            "畜生",
            "王八蛋",
            "黑心",
            "忍无可忍",
            "气炸",
            "要疯了",
            "疯了",
            "最后一次",
            "受够了",
            "等着瞧",
            "走着瞧",
            "没完(?![成善整全])",
            "拼了",
            "欺人太甚",
        ],
        [
            "fuck\\w*",
            "f\\*+k\\w*",
            "wtf",
            "shit\\w*",
            "bullshit",
            "damn\\w*",
            "hell",
            "bastards?",
            "assholes?",
            "goddamn",
            "enough is enough",
            "(?:i've|i have|i'm|i am) had it",
            "had it with",
            "last straw",
            "sick and tired",
            "beyond (?:angry|furious|a joke)",
            "you people",
            "rage",
            "fuming",
            "ffs",
        ],
    ),
    "threat": (
        0.55,
        [
            "12315",
            "消协",
            "消费者协会",
            "市场监管",
            "工商局",
            "投诉到",
            "曝光",
            "微博",
            "抖音",
            "小红书",
            "媒体",
            "记者",
            "律师",
            "起诉",
            "法院",
            "告你们",
            "打官司",
            "法律途径",
            "维权",
            "黑猫投诉",
            "举报",
        ],
        [
            "regulators?",
            "ftc",
            "bbb",
            "better business bureau",
            "consumer council",
            "trading standards",
            "ombudsman",
            "report you",
            "reporting you",
            "media",
            "press",
            "reporters?",
            "journalists?",
            "twitter",
            "tiktok",
            "social media",
            "go viral",
            "reviews?",
            "lawyers?",
            "attorney",
            "sue",
            "suing",
            "court",
            "legal action",
            "small claims",
            "chargeback",
            "dispute with my bank",
        ],
    ),
    # Having to complain again is one of the strongest anger signals in complaint handling.
    "repetition": (
        0.5,
        [
            "第[二三四五六七八九十N几]次",
            "[两三四五六七八九十几多]次(?:了|都|打|找|联系|投诉|反映|催|电话)",
            "打了[两三四五六七八九十几多]+[次个通]",
            "又一次",
            "再一次",
            "多次",
            "好几次",
            "无数次",
            "每次都",
            "反复",
            "三番五次",
            "屡次",
            "到现在还",
            "都几天了",
            "说了多少遍",
        ],
        [
            "(?:second|third|fourth|fifth|\\d{1,3}(?:st|nd|rd|th)) time",
            "every (?:single )?time",
            "keeps? (?:happening|breaking|failing)",
            "over and over",
            "repeatedly",
            "multiple times",
            "several times",
            "times now",
            "(?:three|four|five|\\d{1,3}) (?:calls|emails|times)",
            "yet again",
            "how many times",
        ],
    ),
    "waiting": (
        0.2,
        ["一直", "还是", "还没", "等了", "迟迟", "又"],
        ["again", "still", "for (?:days|weeks|months)", "waiting"],
    ),
    "neglect": (
        0.35,
        [
            "没人管",
            "没人理",
            "没人回",
            "没人处理",
            "不理人",
            "不回复",
            "石沉大海",
            "踢皮球",
            "推卸",
            "敷衍",
            "已读不回",
            "打不通",
            "没有回应",
            "不管不问",
            "互相推",
        ],
        [
            "nobody (?:cares|answers|responds|replies|helps|called)",
            "no one (?:cares|answers|responds|replies|helps)",
            "no (?:reply|response|answer|help)",
            "ignored",
            "ignoring",
            "never (?:replied|called|answered)",
            "hung up",
            "brushed off",
            "run(?:ning)? around",
            "passed around",
            "no one gives",
        ],
    ),
    "ultimatum": (
        0.2,
        [
            "马上",
            "立刻",
            "立即",
            "今天必须",
            "必须",
            "否则",
            "不然",
            "给我一个说法",
            "给个说法",
            "赶紧",
            "限你们",
            "要求赔偿",
        ],
        [
            "immediately",
            "right now",
            "asap",
            "today or",
            "or else",
            "demand",
            "i expect",
            "or i will",
            "or i'll",
            "within 24 hours",
            "by tomorrow",
        ],
    ),
}
POLITE: tuple[list[str], list[str]] = (
    ["请", "麻烦", "谢谢", "辛苦", "想反映一下", "反馈一下", "您好", "你好", "建议"],
    [
        "please",
        "thanks",
        "thank you",
        "just letting you know",
        "kindly",
        "would you",
        "could you",
        "appreciate",
        "hi",
        "hello",
    ],
)
ANGRY_EMOJI = "😡🤬💢👿😠🖕"
HOT_EMOJI = "😤🙄💩🤮"
SAD_EMOJI = "😢😭😞😔😩😫☹🙁😣😖"


def _english_pattern(words: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![A-Za-z])(?:" + "|".join(words) + r")(?![A-Za-z])", re.IGNORECASE)


_COMPILED = {
    name: (weight, re.compile("|".join(zh)), _english_pattern(en))
    for name, (weight, zh, en) in CUES.items()
}
# Long texts are scored on their opening: enough to read the mood, bounded in time.
MAX_CHARS = 4000
_POLITE_EN = _english_pattern(POLITE[1])
_CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b")
_ELONGATED = re.compile(r"([A-Za-z])\1{3,}|(啊|啊啊|哈){3,}")
_NOT_SHOUTING = {
    "CP",
    "JD",
    "TB",
    "SMS",
    "USB",
    "OK",
    "VIP",
    "APP",
    "FTC",
    "BBB",
    "USD",
    "RMB",
    "CNY",
    "ATM",
    "SIM",
    "GPS",
    "PDF",
    "TV",
    "ID",
    "DHL",
    "UPS",
    "EMS",
    "SF",
    "ASAP",
    "I",
}


@dataclass(frozen=True)
class Emotion:
    level: str
    score: float
    cues: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"level": self.level, "score": self.score}


def level_for(score: float) -> str:
    for level, bound in THRESHOLDS:
        if score >= bound:
            return level
    return "calm"


def analyse(text: str) -> Emotion:
    """Scores one message."""
    if not text or not text.strip():
        return Emotion("calm", 0.0, ())
    text = text[:MAX_CHARS]
    score = 0.0
    cues: list[str] = []
    for name, (weight, zh_words, en_re) in _COMPILED.items():
        hits = len(zh_words.findall(text)) + len(en_re.findall(text))
        if hits:
            # A second cue of the same kind counts half; more adds nothing.
            score += weight * (1.0 if hits == 1 else 1.5)
            cues.append(name)

    bangs = text.count("!") + text.count("！")
    if bangs:
        score += 0.05 if bangs == 1 else 0.2 if bangs == 2 else 0.35
        cues.append("exclamation")
    questions = text.count("?") + text.count("？")
    if questions >= 2 or "?!" in text or "？！" in text:
        score += 0.15
        cues.append("insistent question")
    caps = [w for w in _CAPS_WORD.findall(text) if w not in _NOT_SHOUTING]
    if caps:
        score += 0.2 if len(caps) < 3 else 0.35
        cues.append("caps")
    if any(ch in ANGRY_EMOJI for ch in text):
        score += 0.45
        cues.append("angry emoji")
    elif any(ch in HOT_EMOJI for ch in text):
        score += 0.3
        cues.append("annoyed emoji")
    if any(ch in SAD_EMOJI for ch in text):
        score += 0.2
        cues.append("sad emoji")
    if _ELONGATED.search(text):
        score += 0.1
        cues.append("elongation")
    if score and (any(w in text for w in POLITE[0]) or _POLITE_EN.search(text)):
        score -= 0.1
        cues.append("polite")
    score = round(max(0.0, min(1.0, score)), 3)
    return Emotion(level_for(score), score, tuple(cues))


def peak(levels: list[str]) -> str:
    """The strongest level in a conversation."""
    known = [LEVELS.index(level) for level in levels if level in LEVELS]
    return LEVELS[max(known)] if known else "calm"
