"""Emotion level of a customer message: calm, upset, angry or furious, with a score in [0, 1].

A transparent cue-based scorer, standard library only. Each kind of cue found adds its weight
(a second hit of the same kind adds a little more, further hits nothing); the sum, less a
little for politeness, maps onto the four levels (THRESHOLDS). The cues found are returned.

Cue kinds, in both languages (the lists in CUES are data: extend them):

- upset: disappointment and annoyance ("negative": 失望, 无语, 太慢, annoying, let down),
  fear and worry ("worry": 吓死, 担心, scared, worried), unanswered contacts ("unanswered":
  没回, hung up), a second occurrence ("recurring": 第二次, 好几次, second time) and
  persistence ("waiting": 还没, 一直, still, again; never enough on its own);
- angry: angry vocabulary and insults ("angry": 垃圾, 离谱, 骗子, trash, scam, what a joke),
  sarcasm (呵呵, 所谓的, thanks for nothing), rhetorical questions (难道, 凭什么,
  有没有搞错, how dare), urgency ("ultimatum": 马上处理, 立刻, immediately, by tomorrow) and
  demands ("demand": 给我退, 别再, I demand, don't tell me), repeated contact
  ("repetition": 第三次, 说了多少遍, third time, called five times), neglect ("neglect":
  没人理, nobody answers);
- furious: profanity and rage ("rage": 他妈, 卧槽, 受够了, fuck, bullshit, had it with),
  threats ("threat": 曝光, 律师, 起诉, sue, chargeback, last warning, posting it online,
  going to the press) and abandonment ("nobody cares": 没人管, nobody cares). A regulator,
  police or court word (12315, 消协, BBB, FTC, ombudsman, police) is a threat only with an
  intent in the same sentence (我要去12315投诉, or I go to the FTC), so "12315 is the hotline
  on your website" stays calm; ordinary words are excluded (操作, 滚筒, 垃圾短信, 工商银行,
  律师事务所, 曝光不足, "a screw is loose", "junk mail", "bloody nose").
- intensity: exclamation marks, insistent questions (？？, ?!), CAPS words, angry, annoyed
  or sad emoji, elongation.
- the convention's own categories (/work/shared/EMOTION.md): insults aimed at the company
  or staff ("insult": 骗子, 垃圾客服, liars, crooks) and ultimatums ("consequence": 否则,
  不然我就, "or I'll", "last chance", 必须道歉) are furious kinds; broken promises ("broken
  promise": 说好的, "promised", "no-show"), a plain "I'll report this" ("report") and
  accusation or indignation at harm ("indignation": 羞辱, 差点着火, "never even") and
  wrongdoing by staff or the company ("misconduct": 甩脸, 把我的病史告诉, 多收了我,
  "snapped at me", "shared my details with", "came back with the same fault") are angry
  evidence. A denied feeling ("I'm not angry", 不生气) is removed before matching.

Combination rules keep the levels honest:
- without an angry-kind or furious-kind cue, !!, CAPS or an angry emoji, the score stays in
  upset; without a furious-kind cue or stacked anger it stays in angry;
- stacked anger reaches furious: repeated contact or neglect together with anger, shouting or
  each other; anger together with shouting; shouting twice over (e.g. CAPS and !!!, or two
  runs of !!!); or ranting (many cues of anger or displeasure in one message). Shouting is a
  run of !!! or ？？？, three or more CAPS words, or an angry emoji.
- EMOTION.md's furious floor: a threat, an ultimatum, profanity or an insult, a sentence
  shouted in capitals, or a run of !!! with outrage make the message furious whatever else
  it says, and analyse() reports FURIOUS_CUE (the learned model keeps that floor).
Politeness markers (请, 谢谢, please, thanks) pull the score down a little; they never lower
a furious cue.
All patterns are literal alternations or bounded gaps, so scoring is linear in the length of
the (truncated, MAX_CHARS) text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.tickets.rules import is_danger

LEVELS = ("calm", "upset", "angry", "furious")
# Lower bounds of each level on the score scale.
THRESHOLDS = (("furious", 0.8), ("angry", 0.5), ("upset", 0.2))

# A clause-internal gap of a few characters (no sentence punctuation): bounded, so linear.
_GAP = "[^，。！？,.!?；;\\n]{0,4}"
_EN_GAP = "[^.!?;\\n]{0,30}"

# (weight, Chinese patterns, English patterns matched on word boundaries)
CUES: dict[str, tuple[float, list[str], list[str]]] = {
    # --- upset -------------------------------------------------------------------------------
    "negative": (
        0.3,
        [
            "失望",
            "不满",
            "不(?:太|是很|怎么)?满意",
            "郁闷",
            "(?<![麻不])烦(?!请|劳)",
            "(?:挺|很|好|真|太)麻烦(?:的|啊|了|死)",
            "麻烦死",
            "无语",
            "(?:^|[，。！？,.!?\\s]|这是)什么意思",
            "糟心",
            "(?<![不别])着急",
            "闹心",
            "心塞",
            "寒心",
            "心寒",
            "伤心",
            "难过",
            "不爽",
            "不开心",
            "不高兴",
            "不(?:太)?舒服",
            "困扰",
            "太差",
            "很差",
            "真差",
            "好差",
            "不太好",
            "不好用",
            "难用",
            "难吃",
            "不靠谱",
            "(?<![太真好水土大])坑(?![人钱洼])",
            "差劲",
            "难受",
            "委屈",
            "心累",
            "头疼",
            "头大",
            "无奈",
            "唉",
            "怎么回事",
            "什么情况",
            "怎么会",
            "怎么(?:又|搞的)",
            "怎么还(?!款|钱|贷|信用)",
            "为什么(?:要|还|又|每次|总是|老是|一直|不能|不给|会这样)",
            "不合理",
            "不公平",
            "冤枉",
            "不应该",
            "说不过去",
            "不是[^，。！？,.!?]{1,12}吗",
            "太慢",
            "好慢",
            "这么慢",
            "太复杂",
            "质量差",
            "不像话",
            "有点过分",
            "受不了",
            "崩溃",
            "气人",
            "说好(?:的|了的|给|要)",
            "白花",
            "白跑",
            "白等",
            "白白",
            "浪费",
            "耽误",
            "折腾",
            "忽视",
            "冷淡",
            "敷衍",
            "打发我",
            "不(?:太)?明白为什么",
            "不(?:太)?理解为什么",
            "搞不懂",
            "想不通",
            "成这样",
            "没睡好",
            "哭",
            "饿死",
            "(?:烦|急|累|慢|吵|热|冷|饿|晕|臭)死(?:了|人)",
            "根本(?:没|不)",
            "都[\\d一二三四五六七八九十两几半多]+个?(?:天|周|星期|礼拜|月|小时)了",
            "明明",
            "居然",
            "竟然",
            "到底",
            "究竟",
            "还要等多久",
            "什么时候才",
            "能不能快点",
            "吼",
            "骂",
            "吵",
            "越来越(?:差|慢|贵|烂|难|不)",
            "连(?![接续锁线])[^，。！？,.!?]{0,6}都(?:没|不)",
            "再也不",
            "遗憾",
            "醉了",
            "服了",
            "无力吐槽",
            "吐槽",
            "不值",
            "后悔",
            "上当",
            "扫兴",
            "倒霉",
            "糟糕",
            "太糟",
            "差评",
            "破防",
            "态度差",
            "态度很差",
            "没礼貌",
            "不专业",
            "光说不做",
            "不尽人意",
            "灰心",
            "心疼",
            "(?<!恐)慌",
            "累了",
            "好累",
            "累坏",
            "疲惫",
            "心力交瘁",
            "兜圈子",
            "来回跑",
            "烦心",
            "发愁",
            "沮丧",
            "失落",
            "不痛快",
            "憋屈",
            "膈应",
            "堵心",
            "不安(?!全|装|排)",
            "忐忑",
            "(?:不太|不|无法)能?接受",
            "接受不了",
            "一团糟",
            "乱七八糟",
            "一点用(?:都|也)没有",
            "损失",
            "害(?:得|的)?我",
            "搞得我",
            "又没",
            "天哪",
            "(?:没|失去)信心",
            "无助",
            "压力(?:好|很|太|真)?大",
            "懵",
            "为难",
            "打乱",
            "不知道(?:该)?找谁",
            "我的天",
        ],
        [
            "disappointed",
            "disappointing",
            "disappointment",
            "annoyed",
            "annoying",
            "irritat\\w*",
            "frustrat\\w*",
            "unhappy",
            "not (?:very |so |too |that |really |exactly |at all )?(?:happy|great|good|nice|ok|okay|impressed|fair|thrilled|pleased|amused|ideal|cool|pleasant)",
            "(?:is|was|it's|that's|this is) not right",
            "(?:isn't|is not|wasn't|was not|aren't|are not) (?:great|good|ideal|ok|okay|acceptable|fair|right)",
            "can't say i'm (?:\\w+ )?(?:happy|pleased|thrilled|impressed)",
            "upset\\w*",
            "poor",
            "bad",
            "terrible",
            "awful",
            "dreadful",
            "useless",
            "worse",
            "not acceptable",
            "let ?down",
            "expected better",
            "expect better",
            "ruined",
            "stress(?:ful|ed)",
            "exhausted",
            "exhausting",
            "draining",
            "tiresome",
            "tedious",
            "gutted",
            "sad",
            "saddened",
            "heartbroken",
            "devastated",
            "distress(?:ed|ing)",
            "disheartened",
            "discouraged",
            "dismayed",
            "unimpressed",
            "displeased",
            "(?:not|un|dis)satisfied",
            "dismissive",
            "condescending",
            "patroni[sz]ing",
            "arrogant",
            "rude",
            "unprofessional",
            "unhelpful",
            "unreliable",
            "misleading",
            "careless",
            "sloppy",
            "messed up",
            "filthy",
            "dirty",
            "overpriced",
            "unreasonable",
            "unfair",
            "inconvenien\\w*",
            # "something for the hassle" asks for compensation: not annoyance itself.
            "(?<!for the )(?<!for all the )hassle",
            "headache",
            "nightmare",
            "(?:a|such a|real|total) pain",
            "bummed",
            "bummer",
            "miffed",
            "irked",
            "peeved",
            "(?:very|so|really|quite|bit|getting) cross",
            "(?:very|so|really|quite) bothered",
            "losing (?:my )?patience",
            "wits'? end",
            "regret(?:ful|table)?",
            "sorry to complain",
            "seriously(?= *[?!,.])",
            "(?<!n't )(?<!not )(?<!will )(?<!to )come on(?= *[,.!?]| *$)",
            "waste(?! (?:water|collection|bin|disposal|pipe))",
            "wasted",
            "still (?:no|not|nothing|waiting)",
            "fed up",
            "sick of",
            "tired of",
            "can't keep",
            "cannot keep",
            "(?:don't|do not|can't) understand why",
            "why (?:is|does|do|did|would|can't|cant|won't|am|are|was|has|have)",
            "how (?:is|can|could) (?:this|that|it)",
            "how long (?:do|does|will|must|should|am|is|are)",
            "really\\?",
            "nonsense",
            "shame",
            "shameful",
            "ugh+",
            "smh",
            "sigh",
            "meh",
            "denies",
            "(?:it's|it has|its) been (?:over )?(?:\\w+ )?(?:days|weeks|months)",
            "not what i (?:ordered|expected|paid for)",
            "what(?:'s| is) going on",
            "(?:i )?can't believe",
            "not even",
            "never again",
            "fobb(?:ed|ing) (?:me )?off",
            "out of pocket",
            "los(?:e|ing|t) (?:all )?hope",
            "confus(?:ing|ed)",
            "(?:i'm|i am|feel|feeling) (?:\\w+ )?stuck",
            "(?:was|were) hoping",
            "had hoped",
            "hoped for",
            "(?:round|around) in circles",
            "keeps? (?:me|us) (?:up|awake)",
            "kept (?:me|us) (?:up|awake)",
            "(?:yelled|screamed|shouted|swore) at",
        ],
    ),
    "worry": (
        0.3,
        [
            "吓(?!唬)",
            "担心",
            "担忧",
            "害怕",
            "好怕",
            "很怕",
            "不敢",
            "后怕",
            "紧张",
            "焦虑",
            "不放心",
            "心慌",
            "提心吊胆",
            "揪心",
        ],
        [
            "worried",
            "worrying",
            "(?<!no )worries",
            "scared",
            "scary",
            "afraid",
            "fear(?:ed|ful)?",
            "frightened",
            "frightening",
            "terrified",
            "nervous",
            "anxious",
            "panic\\w*",
            "freak(?:ed|ing) out",
            "shaken",
            "alarming",
            "concerned (?:that|about)",
            "(?:i'm|i am|am|very|really|quite|bit) concerned",
        ],
    ),
    "unanswered": (
        0.25,
        [
            "没回",
            "不回",
            "没人通知",
            "没通知",
            "不理(?!解)",
            "挂我电话",
            "挂了我",
            "给我挂了",
            "挂断",
            "找不到客服",
            "找不到人",
            "没人接",
            "无人接听",
            "爱答不理",
            "一拖再拖",
            "拖着",
        ],
        [
            "(?:no one|nobody) (?:told|called|contacted|came|showed|explained)",
            "(?:haven't|have not|hasn't|has not|never) (?:heard|replied|responded|called)",
            "hung up",
            "hang up",
            "brushed off",
            "ignored",
            "ignoring",
            "left on read",
            "radio silence",
        ],
    ),
    "recurring": (
        0.2,
        ["第二次", "第2次", "又一次", "再一次", "多次", "好几次", "每次[^，。！？,.!?]{0,8}都"],
        ["second time", "2nd time", "once again", "multiple times", "several times"],
    ),
    "waiting": (
        0.1,
        ["一直", "还是", "还没", "等了", "迟迟", "又", "到现在"],
        ["again", "still", "for (?:days|weeks|months)", "waiting"],
    ),
    # A wait of weeks or months told as such ("两周了…还", "拖了三个月", "for 2 months now"):
    # EMOTION.md's "long unresolved wait", angry when the customer stresses it. Evidence for
    # the learned model, not an angry cue on its own (plain reports of a wait are often calm).
    "long wait": (
        0.25,
        [
            "(?<!用了)(?<!过期)(?<!买了)(?<!保修)(?<![用有])(?:[两三四五六七八九十几半\\d]+ ?(?:个)?(?:周|星期|礼拜|个月|月)了)[，,]?[^。！？.!?]{0,12}(?:还|都|也|仍|一直|依然|没|不)",
            "拖了(?:整整)?[两三四五六七八九十几半\\d]+ ?(?:个)?(?:天|周|星期|礼拜|个月|月)",
        ],
        [
            "for (?:\\d+|two|three|four|five|six|seven|eight|nine|ten|several|many) (?:weeks|months)(?: now)?",
            "since (?:the \\d+(?:st|nd|rd|th)|last (?:week|month))",
            "another (?:day|week|month), another",
            "(?:weeks|months) (?:now|and (?:still|nothing|no))",
        ],
    ),
    # --- angry -------------------------------------------------------------------------------
    "angry": (
        0.55,
        [
            "生气",
            "气死",
            "气得",
            "好气",
            "愤怒",
            "火大",
            "恼火",
            "窝火",
            "怒火",
            "怒了",
            "抓狂",
            "疯了",
            "垃圾(?!短信|邮件|电话|信息|广告|分类|桶|袋|箱|车|站|费|处理|清运|回收)",
            "破玩意",
            "什么破",
            "这破",
            "烂透",
            "什么烂",
            "什么(?:玩意|鬼|素质)",
            "没素质",
            "骗子",
            "(?<![诈防反])骗(?!局)",
            "欺骗",
            "欺诈",
            "坑人",
            "坑钱",
            "坑爹",
            "无语(?:了|死了|至极|透了)",
            "(?:^|[，。！？,.!?\\s])坑(?:啊|呀|死了?|了)",
            "被坑",
            "太坑",
            "真坑",
            "好坑",
            "黑店",
            "黑心",
            "奸商",
            "无良",
            "(?:没有?|丧)良心",
            "缺德",
            "吃相",
            "店大欺客",
            "割韭菜",
            "吸血",
            "强盗",
            "抢钱",
            "抢劫",
            "偷钱",
            "(?:你们|你)" + _GAP + "偷",
            "(?:太|真|好|很)恶心",
            "恶心(?:人|死)",
            "[令让]人恶心",
            "过分",
            "离谱",
            "忍不了",
            "欺负",
            "耍我",
            "玩我",
            "逗我",
            "当我傻",
            "骗人",
            "无耻",
            "不要脸",
            "流氓",
            "混蛋",
            "废物",
            "蠢",
            "智障",
            "弱智",
            "白痴",
            "脑残",
            "丢人",
            "没救了",
            "还是人吗",
            "摆设",
            "霸王条款",
            "霸道",
            "蛮横",
            "嚣张",
            "傲慢",
            "恶劣",
            "什么态度",
            "服务态度？",
            "冷嘲热讽",
            "阴阳怪气",
            "嘲笑",
            "翻白眼",
            "翻脸",
            "岂有此理",
            "简直",
            "不可理喻",
            "不负责",
            "太不(?:专业|讲理|像话|靠谱|尊重|合理)",
            "不作为",
            "不在乎",
            "不当回事",
            "虚假宣传",
            "糊弄",
            "忽悠",
            "甩锅",
            "借口",
            "(?:上|用|长)点心",
            "火冒三丈",
            "寒心",
            "(?:也|还)配(?:上|开|做|叫|当|卖)",
            "真会做生意",
            "(?:写着|闹着)玩(?:的|呢)?",
            "合着",
            "(?:走|等|拖)到明年",
        ],
        [
            "(?<!not )getting old",
            "angry",
            "pissed",
            "outraged",
            "outrageous",
            "infuriat\\w*",
            "enraged",
            "(?:so|really|very) mad",
            "mad at",
            "disgust\\w*",
            "horrified",
            "appalled",
            "appalling",
            "trash(?! ?(?:can|bin|bag|day|collection|pickup))",
            "garbage(?! ?(?:can|bin|bag|day|collection|truck|disposal|pickup))",
            "rubbish(?! ?(?:bin|bag|day|collection|truck|tip))",
            "junk(?! ?(?:mail|e-?mail|food|drawer))",
            "scam\\w*",
            "rip[- ]?off",
            "ripped off",
            "daylight robbery",
            "robbing",
            "what a con",
            "con artists?",
            "swindl\\w*",
            "extortion",
            "fraud\\w*",
            "cheat(?:s|ed|ing|ers?)?",
            "liars?",
            "lied(?! down)",
            "lying to",
            "(?:stop|keep|keeps|kept) lying",
            "insult\\w*",
            "worst",
            "horrible",
            "atrocious",
            "abysmal",
            "diabolical",
            "disgrace\\w*",
            "incompeten\\w*",
            "clueless",
            "amateurs",
            "amateurish",
            "cowboys",
            "unbelievable",
            "unacceptable",
            "inexcusable",
            "unforgivable",
            "ridiculous",
            "pathetic",
            "absurd",
            "insane",
            "shambles",
            "shameless",
            "(?:a|total|complete|such a) con(?= |[.!,]|$)",
            "give me a break",
            "hopeless",
            "joke",
            "beyond a joke",
            "excuses",
            "shocking",
            "screw (?:you|this|that|your|them|it)",
            "screwed (?:me|us|up|over)",
            "crap\\w*",
            "sucks",
            "hate(?! to)",
            "stupid",
            "idiots?",
            "morons?",
            "clowns",
            "you clown",
            "crooks?",
            "thieves",
            "thieving",
            "(?:you|you've|they've|they) (?:stole|steal|stolen)",
            "stealing (?:from|my|our)",
            "stop taking (?:my |our )?money",
            "scum\\w*",
            "dishonest",
            "shady",
            "bs(?!\\d)",
            "you people",
            "laughed at",
            "mock(?:ed|ing)",
            "unreal",
            "false advertising",
            "(?:don't|doesn't|do not|does not) (?:even )?care",
            "treat(?:ed|ing|s)? (?:me|us|customers|people) like",
            "(?:for )?(?:god's|christ's|pete's|heaven's) sake",
            "fr[ei](?:g|gg|ck)in\\w*",
            "freakin\\w*",
            "(?:i've|i have) had enough",
            "get (?:your act|it) together",
        ],
    ),
    "sarcasm": (
        0.55,
        [
            "(?:永远|一直|还是|又|真是|可真|好棒|真棒|真快|真好|太快)[^。！？.!?]{0,12}[🙂👍🙃]",
            "呵呵",
            "真是厉害",
            "厉害啊",
            "真行啊",
            "可真行",
            "谢谢你们啊",
            "做梦",
            "是走路送的",
            "真有你们的",
            "服了你们",
            "佩服佩服",
            "不愧是",
            "真搞笑",
            "(?:真是|简直)绝了",
            "所谓的",
        ],
        [
            "thanks for nothing",
            "oh (?:great|wonderful|brilliant|perfect|nice)",
            "(?:just|really|absolutely) (?:great|brilliant|wonderful|perfect)",
            "great service as always",
            "funny how",
            "yeah right",
            "wow,? just wow",
            "surprise,? surprise",
            "what a surprise",
            "slow clap",
            "so-called",
            "^classic[.!]",
            "cheers for that",
            "^great job",
            "thanks for that[.!]*$",
        ],
    ),
    "rhetorical question": (
        0.5,
        [
            "难道",
            "凭什么",
            "(?:你们|到底)什么意思",
            "有没有搞错",
            "搞什么",
            "搞错没有",
            "怎么能",
            "怎么培训",
            "怎么(?:做事|办事|做生意|上班|工作的|管理的)",
            "能不能(?:认真|专业|上心|用心|负责)",
            "(?:搞笑|可笑)吗",
            "开玩笑(?:吧|呢)",
            "开什么玩笑",
            "还有没有(?:王法|天理|人管|良心)",
            "怎么可能",
            "(?<!不)好意思",
            "有意思吗",
            "像话吗",
            "讲不讲道理",
            "当我是",
            "把我当",
            "算什么",
            "(?:要你们|你们|客服|热线)有什么用",
            "认真的吗",
            "这叫什么",
            "这算什么",
        ],
        [
            "are you (?:kidding|joking|serious)",
            "(?:you|you're|you are|you've got to be|you have got to be|must be) kidding",
            "kidding me",
            "how is (?:that|this|it) (?:even )?(?:possible|allowed|legal|acceptable|ok|okay)",
            "how hard (?:is|can) it",
            "how dare",
            "(?:don't|do not) you dare",
            "who trained",
            "is this a joke",
            "what is wrong with you",
            "do you even",
            "what kind of (?:\\w+ )?(?:company|business|service|hotel|airline|bank|shop|store|place|people|joke|outfit)",
            "(?:why|how|who|what) on earth",
            "what were you thinking",
            "who do you think",
            "is anyone listening",
            "what(?:'s| is) the point",
            "nice (?:trick|one|try|move)",
            "\\w+ my (?:foot|arse|ass|backside)",
            "(?:fun|great|lovely|nice|brilliant|perfect|wonderful|awesome|amazing)[.!]* *[🙂👍🙃]",
        ],
    ),
    "ultimatum": (
        0.25,
        [
            "马上(?:处理|解决|退|给|回复|答复|联系|安排)",
            "立刻",
            "立即",
            "今天必须",
            "必须(?:给|马上|今天|立刻|退|赔|处理|解决|道歉)",
            "给个说法",
            "赶紧",
            "限你们",
            "要求赔偿",
            "我要求",
            # "退给我就行" settles for a remedy: not urgency.
            "(?:退|还)给我(?!就行|就可以|就好)",
        ],
        [
            "immediately",
            "asap",
            "today or",
            "demand\\w*",
            "(?<!should )(?<!do )(?<!can )(?<!would )(?<!when )i expect",
            "within 24 hours",
            "by tomorrow",
        ],
    ),
    "demand": (
        0.5,
        [
            "给我(?:修|退|换|处理|解决|答复|回复|一个|个|说法|赔|解释|说清楚|交代)",
            "我要的是[^，。！？,.!?]{0,8}(?:退款|退钱|赔偿|换货|全额)",
            "(?:优惠券|代金券|红包|积分|礼品卡)(?:我)?(?:不要|没用)",
            "不要(?:优惠券|代金券|红包|积分|礼品卡)",
            "不接受(?:代金券|优惠券|红包|积分|礼品卡|补偿券)",
            "别再",
            "别给我",
            "叫你们(?:经理|领导|负责人)",
            "(?:马上|立刻|立即|赶紧)(?:给我|退|处理|修|整改)",
            "(?:必须|应该)开除",
            "(?:我)?(?:已经)?说得(?:很|够|非常)清楚了",
            "今天之内(?:给我|必须|安排|处理|退|回复|解决)",
        ],
        [
            "i demand",
            "fix (?:it|this)[.!]? now",
            "(?:don't|do not) (?:tell|give|send|make) me",
            "give me (?:a straight|an answer|my money)",
            "(?<!please )(?<!pls )stop (?:\\w+ing) (?:me|my)",
            "(?<!please )(?<!pls )(?<!can you )(?<!could you )fix (?:it|this)(?= *(?:[.!]|$|now))",
            "i want it (?:today|now|immediately)",
            "(?:want|need) (?:a|the|your) manager",
            "should be (?:fired|sacked)",
            "(?<!please )sort (?:it|this) out",
            "refund (?:me|my money) (?:now|today|immediately)",
            "(?:a )?human[.!,]* now",
            "no more (?:bots|robots|chatbots|automated replies)",
            "(?:give|get) me (?:someone|somebody|a person|a human) real",
            "(?<!please )(?<!can you )(?<!could you )process (?:it|this|my refund)(?= *(?:[.!]|$|now|today))",
            "(?:my money|(?:a |my )?(?:full )?refund|cash|a replacement)[^.!?]{0,12}not (?:a |another )?(?:voucher|credit|coupon|gift card|store credit)",
            "i want (?:the full amount|my money|it|all of it|every penny) back",
            "not up for (?:discussion|debate|negotiation)",
            "non-negotiable",
            "i want (?:a|the|it|this|that) [^.!?]{0,20}in writing",
            "(?<!please )(?<!can you )(?<!could you )put (?:it|the money|my money) back(?= *(?:[.!]|$|now|today))",
        ],
    ),
    "repetition": (
        0.5,
        [
            "前[两三几]次",
            "(?:两|2)次(?:上门|来|都|了都)",
            "第[三四五六七八九十N几]次",
            "第[3-9]次",
            "(?<!好)[三四五六七八九十几多]次(?:了|都|打|找|联系|投诉|反映|催|电话)",
            "打了[三四五六七八九十几多]+[次个通]",
            "(?:修|换|退|寄|送|改)了[两三四五六七八九十几多]次",
            "[三四五六七八九十]遍",
            "无数次",
            "每次都",
            "反复",
            "三番五次",
            "屡次",
            "都几天了",
            "说了多少遍",
            "(?:反映|投诉|联系|打电话|催|找)(?:过|了)[三四五六七八九十几多]+次",
            "多少次了",
        ],
        [
            "(?:second|2nd|third|3rd|fourth|4th|fifth|5th|\\d+th) [\\w ]{0,30} in a row",
            "(?:third|fourth|fifth|sixth|seventh|\\d{0,2}(?:[3-9]rd|[4-9]th|1\\dth)) (?:time|call|email|request)",
            "over and over",
            "repeatedly",
            "times now",
            "(?:three|four|five|six|seven|eight|nine|ten|\\d{1,3}) (?:calls|emails|messages|tickets)",
            "(?:called|rang|phoned|emailed|written|wrote|contacted|asked|told|explained|complained|chased|messaged)"
            + _EN_GAP
            + "(?:three|four|five|six|seven|eight|nine|ten|\\d{1,3}) times",
            "yet again",
            "(?:second|2nd|third|fourth|fifth|sixth|seventh|\\d+(?:rd|th)) (?:day|week|time|month) (?:running|in a row)",
            "how many times",
            "keeps? (?:happening|breaking|failing)",
        ],
    ),
    "neglect": (
        0.35,
        [
            "被无视|无视(?:了|我)|不理不睬|爱答不理",
            "(?:也|又|更)没人(?:解释|通知|管|理|回)",
            "收了(?:我的?)?钱就(?:不管|不理|没人管|跑|失联)",
            "没人理",
            "没人回",
            "没人处理",
            "无人处理",
            "不理人",
            "石沉大海",
            "没人修",
            "(?:hasn't|has not|haven't|have not) been (?:back|seen|heard from) since",
            "(?:人|老板|商家|卖家|公司)?(?:都)?联系不上(?:了)?",
            "失联",
            "踢皮球",
            "推来推去",
            "踢来踢去",
            "推卸",
            "已读不回",
            "打不通",
            "没有回应",
            "互相推",
            "(?:有没有|没有)人(?:看|理|回|在|接)",
            "(?:到底|还)管不管",
            "没(?:短信|电话|通知|消息)[，,]?(?:也)?没(?:短信|电话|通知|消息)",
            "到了[^，。！？,.!?]{0,6}才知道",
        ],
        [
            "nobody (?:has |had |even )?(?:bothered|cared) to",
            "(?:nobody|no one) (?:answers|responds|replies|helps|has (?:replied|answered|responded))",
            "(?:does|is) (?:anyone|anybody) (?:there |here )?(?:even )?(?:read|reading|listen|listening|care|working)",
            "no (?:reply|response|answer|help)",
            "zero response",
            "(?:nobody|no one) (?:is|was) (?:listening|helping)",
            "(?:the )?runaround",
            "no more (?:vouchers|excuses|coupons|credits|promises)",
            "stonewall\\w*",
            "never (?:replied|answered)",
            "run(?:ning)? around",
            "passed around",
            "not (?:one|a single) (?:item|thing|word|penny|reply|email|call|update|response)",
            "(?:cut off|hung up on|disconnected)[^.!?]{0,10}(?:twice|again|three times|\\d+ times)",
            "no (?:parcel|package|email|call|update|refund|reply|text)[, ]+no (?:\\w+)",
        ],
    ),
    # --- furious -----------------------------------------------------------------------------
    # Being left alone with the problem: "nobody cares" is itself a furious signal.
    "nobody cares": (
        0.8,
        ["没(?:有)?一?个?人(?:管|在乎|负责|关心)", "不管不问", "不闻不问", "没人当回事"],
        [
            "(?:nobody|no one|no-one) (?:cares|gives|seems to care|even cares|takes responsibility)",
            "(?:nobody|no one) (?:here |there )?(?:gives|gave) a",
        ],
    ),
    # A broken promise or being told one thing and getting another (EMOTION.md: angry when
    # stressed; on its own it only adds evidence).
    "broken promise": (
        0.3,
        [
            "说好的?",
            "答应(?:过|了|给|我|的)",
            "承诺(?:过|的)",
            "保证过",
            "不是说",
            "(?:人|师傅|工程师)(?:也)?没来",
            "明明(?:说|讲|写)",
            "(?:可)?不是这么说的",
            "白纸黑字",
            "当初[^，。！？,.!?]{0,10}怎么不说",
            "哪(?:里)?写(?:了|着)",
            "说(?:好)?[^，。！？,.!?]{0,10}(?:回电|回复|到账|发货|上门|处理|联系|退款)[^。！？.!?]{0,3}[，,]\\s*(?:那是|结果|现在|到现在|都)",
            "(?:买|下单|签约|签合同|办卡|开卡|报名|入住|预订|充值|办会员)的?时候[^，。！？,.!?]{0,4}(?:说|承诺|讲|写)",
        ],
        [
            "despite (?:the|your|a|my|their) (?:promise|assurance|guarantee)",
            "promised",
            "no[- ]show",
            "(?:never|didn't|did not) (?:turn|show) up",
            "(?:was|were) supposed to",
            "(?:i was|we were) told",
            "(?:you|they|he|she) said (?:it|he|she|they|you|i|we) (?:would|will|'d)",
            "(?:\\bu|the (?:email|app|site|website|text|tracking|confirmation)) (?:said|says) "
            "(?:\\w+ ){0,3}(?:would|will|'d|was|is)",
            "(?:you|u) said (?:was|were|is|it's|its)",
            "(?:we're|we are|it's|its|now) (?:on )?(?:day|week) \\d+",
            "now (?:you're|you are|they're|they are) (?:saying|telling me)",
            "(?:i have|i've got|i got) it in writing",
            "make up your mind",
            "i (?:have|'ve got|still have|kept) (?:the|a|their|your) (?:\\w+ )?(?:email|screenshot|confirmation|receipt|proof|letter|text)",
        ],
    ),
    # Accusation, indignation at harm or at being fobbed off (EMOTION.md: angry when the
    # customer stresses it).
    "indignation": (
        0.35,
        [
            "我的时间不是时间|是人干的事|赶下车|扔在(?:路边|半路|高架|马路)",
            "羞辱",
            "差点(?:着火|烧|炸|出人命|伤到|砸到|电死|噎|划|割|卡|刺|扎|摔)",
            "连(?:句|个|一句)?(?:道歉|对不起|解释|电话)(?:都|也)没",
            "(?:还|死|拒)不承认",
            "不肯承认",
            "就只会",
            "直接点(?:了)?(?:签收|已送达|完成)",
            "就(?:赔|给)(?:我)?(?:了)?(?:个|一个)?[^，。！？,.!?]{0,6}(?:红包|券)",
            "白(?:交|花|付|扔)了",
            "(?:钱|费)倒是(?:一分)?(?:没少|照|按时)收",
            "这不是(?:坑|骗|抢)[^，。！？,.!?]{0,4}吗",
            "当众",
            "(?:以后|之后|后)才(?:告诉|通知)",
            "一分(?:钱)?(?:都)?没少(?:交|收|扣)",
            "(?:在旁边|就在旁边)?玩手机",
            "(?:还想|就想)[^，。！？,.!?]{0,12}就算了",
            "(?:卖|买|办|签|收钱|下单|推销)[^，。！？,.!?]{0,4}的时候[^，。！？,.!?]{0,10}[，,][^，。！？,.!?]{0,4}(?:理赔|退|修|赔|出事|用|保修|售后)[^，。！？,.!?]{0,4}的时候",
            "当着(?:所有人|大家|其他(?:客人|顾客|人)|孩子|我(?:家人|孩子))的面",
        ],
        [
            "humiliat\\w*",
            "(?:never|didn't|did not|not) even",
            "could(?:'ve| have) (?:burned|killed|hurt|blinded|electrocuted)",
            "nearly (?:killed|burned|set|electrocuted|choked)",
            "(?:marked|says|said) (?:it |as )?delivered when",
            "marked (?:it |as |the \\w+ |my \\w+ )?(?:as )?[\"“']?(?:delivered|customer not home|not home|no one home|nobody home|attempted|refused|collected)",
            "without (?:even )?(?:an apology|a word|telling me|asking)",
            "could(?:'ve| have) been (?:killed|hurt|electrocuted|burned|burnt|injured|poisoned|seriously)",
            "(?:nobody|no one|not one person) (?:has )?(?:even )?(?:apologi[sz]ed|said sorry)",
            "(?:the )?best you can (?:do|offer|come up with) is",
            "in front of (?:everyone|everybody|other (?:customers|guests|passengers|people)|the whole|my (?:kids|children|family|colleagues|friends))",
            "(?:gone|taken|vanished|missing) from my (?:account|card|bank)",
            "could(?:'ve| have) (?:ended up|been|landed) in (?:hospital|a&e|the er|intensive care)",
            "needs? to learn (?:to|how)",
            "said (?:it|they) (?:was|were|had been) (?:fixed|repaired|sorted)",
            "should never have (?:passed|been (?:sold|allowed|released|approved))",
            "clearly (?:didn't|did not|don't|doesn't) care",
            "confirmed (?:it )?(?:twice|two times|three times)",
            "where (?:did|has) my money (?:go|gone)",
            "(?:and )?(?:you're|you are|all you're|you) offer(?:ing|ed)? (?:me |us )?(?:a |an )?(?:measly |lousy )?(?:\\d+% |£\\d+ |\\$\\d+ )?(?:discount|voucher|coupon|code|credit)",
        ],
    ),
    # Wrongdoing by staff or the company told as such (EMOTION.md: an accusation of wrongdoing
    # is angry): rudeness aimed at the customer, personal data handed to others, a charge for
    # what was never had, a repair that made it worse. Even told flatly, it is not calm.
    "misconduct": (
        0.5,
        [
            "先斩后奏|坐地起价|临时(?:加价|涨价)",
            "甩脸",
            "翻白眼",
            "晾在一边",
            "把我(?:们)?晾",
            "催(?:她|他|我|老人|我妈|我爸)快",
            "不肯帮",
            "(?:冲|对|朝)我(?:们)?(?:吼|喊|嚷|发火|发脾气|大呼小叫|摔)",
            "吼我",
            "骂我",
            "(?:一直|老是|总是)?打断我",
            "爱投诉就投诉",
            "把我打发",
            "打发我",
            "嘲笑",
            "(?:谁|你们|你|他|她)在?(?:撒谎|说谎)",
            "(?:把|将)(?:我的)?(?:包裹|快递|货|东西|箱子)(?:直接)?(?:扔|甩|踢|抛)(?:进|到|在)",
            "敷衍我",
            "先给(?:熟人|关系户|自己人)",
            "把我的[^，。！？,.!?]{0,8}(?:告诉|泄露|透露|卖给)",
            "上面(?:是|有|写着)我的[^，。！？,.!?]{0,4}(?:信息|资料|地址|账户|账号|电话)",
            "明明(?:很干净|没|是好的|已经|不是我)",
            "多收了?我",
            "乱扣",
            "私自扣",
            "修(?:过|好|完)(?:之后|以后|了)?(?:反而|直接|更|还是)",
            "(?<!不是)故意(?!的)",
            "搜(?:我的?)?包",
            "误导",
            "明知(?:道)?",
            "跑路",
            "(?:是)?你们自己(?:打|弄|搞|造成|弄坏|摔)的",
            "莫名其妙(?:地)?(?:多)?(?:扣|收)",
            "(?:从来)?没(?:有)?同意过",
            "都[^，。！？,.!?]{0,8}了还(?:往外)?(?:发|卖|送|给人)",
            "谁允许你们",
            "(?:卖|发)(?:的)?假货",
            "谁给(?:你们|你)的胆子",
            "偷偷(?:地)?(?:换|扣|改|开通|续费|收)",
            "替我(?:关|确认|签收|点)",
            "未经(?:我|本人)?(?:的)?同意",
            "没经过我(?:的)?同意",
            "(?:二手|翻新|用过)的?[^，。！？,.!?]{0,6}(?:当|冒充)(?:新|全新)",
        ],
        [
            "snapped at (?:me|us|my)",
            "(?:yelled|yelling|shouting|screaming|swearing) at (?:me|us|my)",
            "rolled (?:her|his|their) eyes",
            "laughed at (?:me|us)",
            "hung up on (?:me|us)",
            "talked down to (?:me|us)",
            "like i was (?:wasting|an idiot|stupid|a thief|lying)",
            "refused to help (?:me|my|us)",
            "(?:shared|gave|leaked|sold|handed|passed|forwarded) my (?:\\w+ ){0,2}"
            "(?:details|data|information|info|history|number|address|records) (?:with|to)",
            "with my (?:\\w+ )?(?:account|personal|bank|card|medical) (?:details|information|info|data)",
            "charged me [^.!?]{0,30}for (?:a |an |the )?(?:spotless|clean|perfect|undamaged)",
            "(?:i|we) (?:don't|didn't|never) even (?:get|got|use|used|order|ordered|have|had|receive)",
            "came back with the same (?:fault|problem|issue)",
            "'(?:fixed|repaired|serviced|cleaned|checked)'",
            '"(?:fixed|repaired|serviced|cleaned|checked)"',
            "now it (?:doesn't|does not|won't|will not) (?:turn on|work|start|open) at all",
            "sold (?:me|us) (?:a |an )?(?:used|second-hand|secondhand|refurbished|fake|counterfeit|broken|damaged|returned)[^.!?]{0,30}as (?:new|genuine|original|brand new)",
            "someone else's (?:photos|pictures|data|details|stuff|order|account|name|files)",
            "(?:chuck|chucked|throw|threw|thrown|toss|tossed|hurl|hurled|kick|kicked|dump|dumped|fling|flung)(?:ing)? my (?:parcel|package|box|delivery|order|bags?|luggage|suitcase)",
            "accused (?:me|us|my \\w+) of",
            "(?:grabbed|pushed|shoved) (?:me|my (?:arm|hand|son|daughter|kid))",
            "you (?:took|take|taken|helped yourselves? to) (?:£|\\$|€)?[\\d.,]* ?(?:\\w+ )?(?:out of|from) my",
            "quietly (?:turned|switched|changed|charged|renewed|upgraded|added)",
            "you (?:took|charged|billed|debited) (?:me )?(?:£|\\$|€)?[\\d.,]+[^.!?]{0,30}after i (?:cancelled|canceled|said no|opted out|closed)",
            "shame on you",
            "stop pretending",
            "(?:taken|charged|billed|debited)[^.!?]{0,20}after (?:i|we) (?:cancelled|canceled)",
            "(?:acted|treated (?:us|me)) like (?:we|i) (?:were|was)",
            "your \\w+ never (?:\\w+ed|fitted|set it up)",
            "how (?:does|did|could|can) (?:that|this|it) (?:pass|be allowed|be legal)",
            "(?:you've|you have) (?:taken|charged|billed|debited)[^.!?]{0,40}(?:i|we) (?:cancelled|canceled|closed|opted out|switched (?:it )?off)",
            "(?:i have|i've) never (?:set foot|been) (?:in|to|near)",
            "swapped (?:my|the|our) \\w+ for (?:a |an )?cheaper",
            "how (?:is )?(?:that|this|thats|that's|it)(?: is)? (?:legal|allowed|fair)",
            "i (?:specifically|explicitly|clearly) (?:switched|turned|opted|said|asked|told|cancelled|canceled|wrote|requested|ordered)",
            "(?:didn't|did not|doesn't|does not) look like (?:she|he|i|we|they) could afford",
            "laughed (?:when|in my face|at my)",
            "(?:won't|will not) be (?:spoken|talked) to like that",
            "breach of (?:trust|privacy|contract)",
            "sold (?:me|us) (?:something|a \\w+|an \\w+)[^.!?]{0,20}(?:doesn't|does not|didn't|did not) exist",
        ],
    ),
    # Being dismissed: told it is normal, the customer's own fault, the rules, or someone
    # else's problem. Fobbed off, it is evidence of anger; after danger, an injury or a
    # humiliation it is furious (EMOTION.md: "they said it was normal" after an elevator drop).
    "dismissed": (
        0.3,
        [
            '说(?:这|那|我)?(?:是|就是|属于)?[“"「]?(?:规定|正常|使用不当|人为|我自己|你自己)',
            "说是我[^，。！？,.!?]{0,8}(?:导致|造成|弄|的问题|的原因)",
            '(?:说|回)[^，。！？,.!?]{0,8}[“"「]?(?:没事|不要紧|没关系|没什么问题)',
            "说[^，。！？,.!?]{0,10}都(?:是)?这样",
            "这(?:叫|算|也叫)(?:没事|正常)",
            "(?:就|只)回了?(?:一)?句",
            "(?:连)?(?:一)?句(?:道歉|对不起|解释)(?:都|也)没(?:有)?",
            '(?:说我|说我们)[“"「]?(?:情绪化|无理取闹|小题大做|夸大|想多了)',
            '(?:回|回复|就回|回了)(?:我)?(?:了)?一句["“”「]?(?:使用不当|正常|规定|不知道|没办法)',
            "使用不当",
            "操作不当",
            "打发人",
            "(?:就是|只是)开(?:个)?玩笑",
            "让我(?:接着|继续)用",
            "正常(?:现象|缓冲|情况|范围)",
            "没人理",
            "不了了之",
            "让我自己(?:去)?(?:找|联系|处理|想办法)",
            "不归(?:他们|我们|你们)?管",
            "踢皮球",
            "推来推去",
            "笑着说",
            "推脱",
            "一句(?:道歉|对不起|解释)都没(?:有)?",
            "(?:把我|把我们)?打发(?:了|我)",
            "个体差异",
            "个别现象",
            '让我[“"「]?放心使用',
            "(?:说是|说)我(?:自己)?(?:闻|看|听|记|搞|弄)错了?",
            "按(?:规定|规矩|流程)(?:办事|来|走)",
            "(?:让我|叫我)[^，。！？,.!?]{0,8}就(?:行|好|可以)(?:了)?[，,]",
            "(?:说|讲)(?:可能)?是误报",
            "说[^，。！？,.!?]{0,12}(?:很|挺|是|属于)正常",
            "推诿",
            "体质(?:问题|原因)",
            '都(?:是)?这样[”"」]',
            # A reply reported with indignation (居然说 / 竟然让我), a blamed victim, a quoted
            # one-liner before hanging up.
            "(?:居然|竟然)(?:还)?(?:跟我|对我)?(?:说|让我|叫我|回(?:我|复)?)",
            "说(?:是)?[^，。！？,.!?]{0,8}自己不(?:注意|小心)",
            "说[^，。！？,.!?]{0,8}也是为了[^，。！？,.!?]{0,6}好",
            '一句[“"「][^”"」]{1,30}[”"」]就',
            "(?:把|就把)(?:我的)?电话挂了|挂了我(?:的)?电话|直接挂(?:了|断)(?:我的)?电话",
        ],
        [
            "(?:said|says|told (?:me|us)|claims?|replied)(?: that)? (?:it was|it's|its|that's|this is|it is|was) "
            "(?:just )?(?:normal|expected|fine|policy|user error|my (?:own )?fault|wear(?: and tear)?)",
            "within normal",
            "within (?:\\w+ )?tolerances?",
            "all (?:we|i) got was (?:a |an )?[\"'“]?(?:sorry|apolog)",
            "all (?:we|i) (?:get|got|have got|'ve got|were given|was given|ever get|hear|heard|ever hear) (?:is|was|are)",
            "(?:and )?your (?:answer|response|solution|reply) (?:is|was)",
            "these things happen",
            "watch where (?:she|he|i|you|we|they)(?:'s|'re|'m| is| are| am| was| were)? going",
            "(?:told|tells|telling) (?:me|us|her|him|them) to (?:call|ring) back",
            "(?:we|you|i|she|he|they) should have (?:double-?)?checked",
            "(?:said|says|claims?|told (?:me|us|her|him)) (?:she|he|i|we|you|they) (?:must have|should have)",
            "(?:policy|rules) (?:is|are) (?:policy|rules)",
            "(?:told|tells|telling|asked) (?:me|us|her|him) to [\"“'‘][\\w ]+",
            "(?:replied|responded|came back|answered) with (?:a |an )?(?:£|\\$|€)?\\d*\\s?(?:voucher|coupon|credit|discount)",
            "shrugged(?: and| it off)",
            "(?:it|that) [\"“']?(?:does that|happens) (?:sometimes|all the time|occasionally)",
            "(?:told|tells|telling|asked) (?:me|us) to [\"'“]?just",
            "have a (?:nice|great|good|lovely) day[.!]?[\"”']",
            "(?:told|tells|telling|asked) (?:me|us) to (?:just )?(?:open (?:a|the) windows?|wait (?:until|till)|be patient)",
            "(?:that|it) happens(?=[,.!\"'”]| just)",
            "(?:it's|it has|it's) been like that (?:for|since)",
            "(?:says?|said|told (?:me|us)|claims?) (?:i'm|i am|i was|we're|we are|we were) (?:\"|“)?(?:exaggerating|overreacting|making (?:it|this) up)",
            "(?:called|calls|call|calling) it (?:a |an |just a )?[\"'“][\\w ]+",
            "(?:aren't|isn't|are not|is not|not) required to",
            "keep ignoring (?:me|us)",
            "(?:call|calls|called|calling) it (?:wear and tear|normal|cosmetic|user error)",
            "(?:told|tells|telling|asked) (?:me|us) to (?:read the manual|check the manual|be more careful|calm down|rate (?:him|her|them) low)",
            "(?:tell|told|tells) (?:me|us) (?:it's|it is|that's|its) (?:cosmetic|normal|fine|expected)",
            "user error",
            "used it wrong",
            "my own fault",
            "not (?:their|our|his|her|my|your) problem",
            "laughed (?:it|me) off",
            "(?:just|only) shrugged",
            "brushed (?:it|me|us) off",
            "nothing (?:they|we|he|she) (?:can|could) do",
            "(?:passed|bounced) (?:me )?(?:back and forth|between)",
        ],
    ),
    # A plain "I'll report this": a firm step without an ultimatum (EMOTION.md: angry).
    "report": (
        0.5,
        [
            "我会去投诉",
            "(?:我要|我会)举报",
            "投诉你们",
            "我要(?:向|跟)你们领导反映",
            "我(?:会|要)(?:向|跟|去)[^，。！？,.!?]{0,6}反映",
        ],
        [
            "(?:i'll|i will|i'm going to|i am going to|i'm gonna) (?:be )?report(?:ing)? (?:this|you|it|them)",
            "(?:i'll|i will|i'm going to|i am going to|i'm gonna) (?:be )?(?:filing|file|lodge|lodging|put(?:ting)? in|mak(?:e|ing)|rais(?:e|ing)|submit(?:ting)?) a (?:formal )?complaint",
            "(?:going|goes|go|sent|sending|escalat\\w+|putting this)[^.!?]{0,30}(?:as |in )?a formal complaint",
            "(?:going|goes|go|sending this|escalating this) (?:straight )?to (?:your )?(?:head office|ceo|headquarters|hq|senior management)",
        ],
    ),
    # --- furious -----------------------------------------------------------------------------
    # Insults aimed at the company or its staff (EMOTION.md: furious). Contempt for a thing
    # ("the kettle is trash", 这质量真垃圾, "the fee is a scam") stays in "angry".
    "insult": (
        0.85,
        [
            "(?:是)?(?:聋|瞎)了吗",
            "垃圾(?:客服|服务|公司|商家|平台|银行|快递|物流|物业|售后|店|员工)",
            "垃圾(?!分类|桶|袋|箱|车|站|费|处理|清运|回收|短信|邮件|电话)[^，。！？,.!?\\s]{0,4}(?:公司|平台|商家|银行|物业|医院|酒店|学校|机构|所|局|站|中心|厂|运营商|供应商|服务商)",
            "打发叫花子",
            "吃(?:干|白)饭的",
            "饭桶",
            "骗子",
            "坑人",
            "黑店",
            "黑心",
            "奸商",
            "强盗",
            "无耻",
            "不要脸",
            "流氓",
            "混蛋",
            "废物",
            "蠢货",
            "(?:这么|真|太|多)蠢",
            "(?:这群|一群|这帮|一帮|你们)垃圾",
            "(?:你们家|你们)[^，。！？,.!?]{0,10}(?:不)?垃圾",
            "(?:都|全)死(?:了|光了|绝了)吗",
            "(?:^|[，,。\\s])什么东西[。！!？?]*$",
            "智障",
            "弱智",
            "白痴",
            "脑残",
            "脑子(?:有病|进水|坏了)",
            "吸血鬼",
            "人渣",
            "听不懂人话",
            "骗钱的?(?:玩意|东西|公司|店|平台|骗子)",
        ],
        [
            "scammers?",
            "scamming (?:\\w+ )?(?:pensioners|people|customers|old|elderly|vulnerable|me|us|everyone|students)",
            "^scam(?= *[.!,]| *$)",
            "(?:^|(?<=[.!] ))this is (?:a |such a |an absolute |a total |a complete )?scam(?= *[.!]*$)",
            "scam (?:company|artists?|outfit|business)",
            "(?:you are|you're|you people are|this company is|your company is) (?:a |such a |a total |a complete )?scam",
            "liars?",
            "crooks?",
            "thieves",
            "con artists?",
            "idiots?",
            "morons?",
            "clowns",
            "you clown",
            "scum\\w*",
            "(?:what|such) a con(?= |[.!,]|$)",
            "(?:^|(?<=[.!] ))this is (?:a |such a |an absolute |a total |a complete )?(?:con|racket|rip-?off)(?=[ .!])",
            "(?:garbage|trash|rubbish) (?:support|service|company|customer service|staff)",
            "bunch of (?:crooks|thieves|idiots|clowns|amateurs|liars|scammers)",
            "(?:useless|pathetic|incompetent|clueless) (?:lot|bunch|company|idiots|clowns|fools|shower|excuse for an?)",
            "(?:deliberately|naturally|this|so|utterly|completely|totally|that) incompetent",
            "rip-?off merchants?",
            "thieving (?:company|business|shop|lot|gits|bunch|outfit|so-and-sos|bastards)",
            "(?:fraudsters?|shysters?|cowboys)",
            "a scam and you know it",
        ],
    ),
    # An ultimatum: a demand with a consequence ("…or I…", 否则, 不然就…) (EMOTION.md: furious;
    # politeness does not lower it).
    "consequence": (
        0.85,
        [
            "否则",
            "不然(?:的话)?(?:我|就)",
            "要不然",
            "再不[^，。！？,.!?]{0,10}?(?:我就|就去|我要|我会)",
            "不[^，。！？,.!?]{1,10}?(?:我就去|我就找|我就打|我就报)",
            "不[^，。！？,.!?]{1,10}[，,]\\s*(?:我就|我们就|就去|我会|我要|我只能)",
            "最后(?:通知|通牒)",
            "(?:今天|明天|今晚|马上|现在|[一二三两\\d]+天(?:之|以)?内)[^，。！？,.!?]{0,3}不(?:给|退|处理|解决|回复|答复|赔|修|换|发|送|安排|到账|联系|上门)[^，。！？,.!?]{0,10}[，,]",
            "给你们[一二三两半\\d]+ ?(?:个)?(?:小时|天|分钟)",
            "(?:你们)?(?:自己)?看着办",
            "(?:要是|如果)不[^，。！？,.!?]{1,12}[，,]?[^，。！？,.!?]{0,8}(?:我就|就把|我们就)",
            "不然[^，。！？,.!?]{0,12}(?:见|投诉|曝光|起诉|报警)",
            "(?:拒交|一分(?:钱)?(?:都)?不交)",
            "最后一次机会",
            "(?:找|叫|要见|让)你们?(?:的)?(?:经理|领导|主管|负责人|老板)(?:出来|来)?[，,！!\\s]*(?:马上|立刻|立即|现在)",
            "(?:公开|必须|必须给我|要求你们|要求公开)道歉",
            "(?:现在|马上|立刻)就?要(?:跟|和|找)(?:真人|人工|经理|领导|负责人)",
            "(?:经理|领导|主管|负责人|老板)(?:呢|在哪)?[^。！!]{0,10}(?:现在|马上|立刻|立即)(?:马上|立刻)?(?:接电话|过来|出来|联系我|回电话|给我(?:打|回)?电话|来)",
            "(?:书面|正式|公开)道歉",
            "(?:道歉)?必须公开",
        ],
        [
            "or else",
            "otherwise,? (?:i|we)(?:'ll| will| shall| am| 'm|'m)",
            "or (?:i|we)(?:'ll| will| am going to|'m going to| shall)",
            "or i(?= [a-z]+)(?! (?:can|could|may|might|should|would|have|need|want|think|guess|will|'ll|am|was|just))",
            "last chance",
            "(?:last|final) warning",
            "you'll regret",
            "see you in court",
            "public apology",
            "(?:formal|written) apology",
            "(?:i demand|demand) an apology",
            "(?:i'm|i am|i'll be|i will be) not leaving (?:without|until)",
            "^(?:a )?manager[.!]* now",
            "(?:put me through to|connect me (?:to|with)|get me) (?:a|your|the|someone|somebody) (?:manager|supervisor|with (?:actual |real |some )?authority)[^.!?]{0,5}[.,!]? ?(?:right )?now",
            "unless (?:someone|you|i get|my money|the refund|i hear)",
            "think (?:very )?carefully about your next",
            "(?:i'm giving|i am giving|i'll give|i will give) you (?:until|till|\\d+|one|two|three|a (?:day|week))",
            "(?:you have|you've got|you've) (?:until|till) [^.!?]{0,30}(?:after that|then|or)",
            "(?:manager|supervisor|someone senior)[^.!?]{0,20} within (?:\\w+ ){1,2}(?:minutes|mins|hour)",
            "(?:speak to|talk to|get me|give me|want|put|need|bring) (?:a|your|the|someone|some)(?: \\w+)? (?:manager|supervisor|boss|senior|in charge)(?: [^.!?]{0,25})? (?:right )?now",
        ],
    ),
    "rage": (
        0.85,
        [
            "(?:理解|等|退|赔|道歉|耐心|处理)你妹",
            "他妈",
            "(?<![我她妈姑姨舅岳后亲老])妈的",
            "tmd",
            "TMD",
            "nmd",
            "操(?![作心场练控纵持办劳])",
            "艹",
            "草泥马",
            "卧槽",
            "我靠",
            "(?<![我你他她])靠[，,！!]",
            "狗屁",
            "放屁",
            "屁用",
            "个屁",
            "去你的",
            "你大爷",
            "去死",
            "滚(?![筒动轮烫水珠])",
            "畜生",
            "王八蛋",
            "尼玛",
            "你妈",
            "他娘的",
            "特么",
            "(?<![A-Za-z])[Tt][Mm](?=[\u4e00-\u9fff])",
            "傻逼",
            "傻B",
            "傻[XxＸ×叉]",
            "煞笔",
            "(?<![A-Za-z])[Ss][Bb](?![A-Za-z])",
            "狗日",
            "日了狗",
            "混账",
            "(?:你们|你|是不是)有病",
            "有病吧",
            "忍无可忍",
            "(?<!空)气炸(?!锅)",
            "气疯",
            "受够",
            "不干了",
            "拼了",
            "不(?:会)?再客气",
            "欺人太甚",
        ],
        [
            "fuck\\w*",
            "f\\*+(?:k\\w*)?",
            "f(?:k|kn|king|kin)",
            "shit\\w*",
            "sh\\*t\\w*",
            "bullshit",
            "damn\\w*",
            "hell",
            "bloody(?! (?:nose|lip|mouth|wound|cut|stool|urine|mess))",
            "bastards?",
            "assholes?",
            "goddamn",
            "piss off",
            "taking the piss",
            "son of a",
            "omfg",
            "effing",
            "what the f",
            "enough is enough",
            "(?:i've|i have|i'm|i am) had it(?= *(?:[.!,]|$))",
            "had it with",
            "had it up to",
            "last straw",
            "sick and tired",
            "beyond (?:angry|furious)",
            "(?:i'm|i am|im) (?:so |completely |totally |absolutely |just )?done with (?:you|this (?:company|bank|place|service|nonsense)|your (?:company|bank|service))",
            "(?:i'm|i am|im) (?:so|completely|totally|absolutely) done",
            "done being (?:polite|nice|patient)",
            "furious",
            "livid",
            "fuming",
            "rage",
            "ffs",
            "wtf",
        ],
    ),
    "threat": (
        0.85,
        [
            "(?:自己)?掂量(?:掂量|一下|着办)",
            "(?<!自动)曝光(?!不足|过度|补偿|时间|参数|模式|度)",
            "律师(?!事务所)",
            "起诉",
            "法院见",
            "(?:12315|消协|工商(?:局)?|市场监管(?:局)?|监管局|法庭)见",
            "法庭上见",
            "告你们",
            "告到",
            "打官司",
            "法律途径",
            "法律手段",
            "法律责任",
            "(?<!不)追究",
            "(?<!平台)仲裁",
            "诉讼",
            "黑猫投诉",
            "(?:我要|我会|我就|就去|直接|要去|只能)(?:申请|办理|去银行)?拒付",
            "不只是我们(?:之间|俩|两个)的事",
            "举报你们",
            "去举报",
            "投诉到底",
            "身边(?:的)?(?:人|朋友|亲戚)[^，。！？,.!?]{0,12}(?:告诉|知道)",
            "让你们(?:关门|倒闭|开不下去|做不下去|好看)",
            "拉横幅",
            "告到底",
            "上热搜",
            "[\\d十百千万几]+万?(?:个)?粉丝|粉丝[\\d十百千万几]+",
            "(?:压|捂|瞒)得住",
            "让大家都知道",
            "等着瞧",
            "走着瞧",
            "等着吧",
            "(?:你们|给我)等着",
            "没完(?![成善整全没])",
            "最后一次警告",
            "最后通牒",
            # Going public: a publishing verb next to a social platform, or contacting the media.
            "(?:发|挂|晒|传|放|写成|写到|写在)(?:到|在|上)?"
            + _GAP
            + "(?:微博|抖音|小红书|朋友圈|网上|论坛|贴吧|知乎|大众点评)",
            "(?:等着|准备)上(?:微博|抖音|小红书|热搜|新闻|大众点评)",
            "(?:人人|所有人|每个人)都(?:会)?知道",
            "(?:微博|抖音|小红书|视频|帖子|文章)[^，。！？,.!?]{0,6}(?:已经)?(?:编辑|写|剪|准备|拍)好了",
            "让更多(?:的)?人(?:都)?知道",
            "(?:微博|抖音|小红书|朋友圈|网上)" + _GAP + "(?:曝光|发帖|挂你们)",
            "(?:找|联系|告诉|通知|让)" + _GAP + "(?:(?<![多自])媒体|记者|报社|电视台|所有人)",
        ],
        [
            "lawyers?",
            "attorney",
            "solicitor",
            "sue(?= +(?:you|your|them|the|for|over|if)|[.!,]| *$)",
            "suing",
            "legal action",
            "legal advice",
            "press(?:ing)? charges",
            "(?:it'll|it will|this will|it's going to|this is going to) be (?:on|all over) (?:tiktok|twitter|x|facebook|instagram|reddit|youtube|trustpilot|social media|the internet|the news)",
            "(?:\\d+k?|thousands of) followers",
            "(?:will|'ll|are going to|is going to) (?:be )?hear(?:ing)? (?:about|of) (?:this|it)",
            "(?:in|on|to|across) every (?:local )?(?:[\\w']+ )?(?:group|forum|site)",
            "(?:about to|going to|will (?:all )?(?:soon )?) see (?:the |these |those )?(?:photos|pictures|videos?|screenshots)",
            "(?:would|'d) (?:love|like|enjoy) (?:this|the|a|your) story",
            "(?:would|'d) make a (?:very |really )?(?:good|great|nice) story",
            "tag(?:ging)? (?:your|the) (?:ceo|boss|owner|company|head office)",
            "(?:writes?|works?) for (?:the |a )(?:local )?(?:paper|news|\\w+ (?:standard|times|post|herald|gazette|mail|news|echo))",
            "lemon law",
            "small claims",
            "class action",
            "arbitration",
            "cease and desist",
            "chargeback",
            "dispute (?:it )?with (?:my|the) bank",
            "(?:you'll|you will|you're going to) (?:be )?hear(?:ing)? from (?:my|our)",
            "(?:my|our|the local) (?:mp|congressman|congresswoman|senator|councillor)",
            "section 75",
            "name and shame",
            "expose (?:you|this|your)",
            "shut you down",
            "mark my words",
            "report(?:ing)? you",
            "(?:see|take|taking|drag|dragging) you (?:to|in) court",
            "go(?:ing)? viral",
            "(?:leav(?:e|ing)|writ(?:e|ing)|post(?:ing)?) (?:a )?(?:bad |negative |1-star |one-star )?reviews?",
            "last warning",
            "final warning",
            "or else",
            "(?:or|otherwise) (?:i|we)(?:'ll| will| am going to| go| shall)? "
            "(?:go to|take (?:this|it|you|things)|report|file|post|sue|escalate|"
            "cancel (?:my|the|everything|all))",
            # Going public.
            "(?:post(?! (?:a|the|my) (?:form|letter|cheque|check|card))|posting|share|sharing|put|putting|tweet|tweeting)"
            + _EN_GAP
            + "(?:online|twitter|tiktok|facebook|instagram|reddit|youtube|social media|everywhere|internet)",
            "(?:contact|contacting|call|calling|tell|telling|go(?:ing)? (?:straight |right )?to|"
            "talk(?:ing)? to|email(?:ing)?)"
            + _EN_GAP
            + "(?:the press|media|journalists?|reporters?|newspapers?|(?:local )?news)",
            "(?:tell|telling|warn|warning) (?:everyone|everybody|all my friends)(?: i know)?"
            "(?= +(?:about|what|how|that you|not to|to avoid)|[.!,]| *$| and)",
            "make sure (?:everyone|everybody|the (?:world|press|newspapers?)|people)",
            "(?:forwarded|sent|passed|copied) (?:this|it|the|my|everything)[^.!\\n]{0,30} to (?:which\\?|the bbc|bbc|the press|the media|trading standards|the ombudsman|consumer)",
            "(?:goes|going|go|will go|is going) (?:on|onto|up on) (?:twitter|x|tiktok|facebook|instagram|reddit|youtube|social media|the internet|trustpilot)",
            "(?:everyone|everybody|every person|all my friends|all my family)[^.!?]{0,20}(?:will|is going to|are going to|gonna) (?:hear|know)",
            "my (?:tweet|post|review|thread|video)[^.!?]{0,40}(?:is|'s) (?:already )?(?:written|ready|drafted|up|recorded)",
            "one more [^.!?]{0,60}and (?:it|this|i|the \\w+) (?:goes|go|will|gets|post)",
            "(?:post|posting|share|sharing|put|putting)[^.!?;\\n]{0,60}(?:on|to) (?:every|all the) (?:review )?(?:sites?|websites?|platforms?|forums?|groups?)",
        ],
    ),
}
# Regulators, the police and the courts: a threat only with an intent in the same sentence.
THREAT_TARGETS: tuple[list[str], list[str]] = (
    [
        "(?<!\\d)12315(?!\\d)",
        "(?<!\\d)12345(?!\\d)",
        "(?<!\\d)315(?!\\d)",
        "(?<!\\d)110(?!\\d)",
        "消协",
        "消费者协会",
        "市场监管",
        "监管",
        "工商(?!银行)",
        "工信部",
        "通信管理局",
        "银保监",
        "民航局",
        "住建",
        "房管局",
        "卫健委",
        "卫生局",
        "卫生部门",
        "记者",
        "媒体",
        "电视台",
        "报社",
        "食药监",
        "质监",
        "派出所",
        "报警(?![器灯])",
        "举报",
        "法院",
        "维权",
        "律师事务所",
    ],
    [
        "regulators?",
        "ftc",
        "fcc",
        "fca",
        "cfpb",
        "caa",
        "ofcom",
        "ofgem",
        "ofsted",
        "bbb",
        "better business bureau",
        "consumer (?:council|protection|rights|association|affairs)",
        "trading standards",
        "(?:market|trade|consumer) (?:regulation|regulator|supervision)\\w*",
        "(?:regulation|regulatory) (?:bureau|authority|office)",
        "health (?:department|inspectors?|authorit(?:y|ies))",
        "environmental health",
        "data protection (?:regulator|authority|commissioner)",
        "small claims",
        "journalists?",
        "reporters?",
        "the (?:(?:local|national|regional|city|daily|evening|weekly) )?(?:press|media|papers?|news)",
        "newspapers?",
        "bbc",
        "tv (?:station|channel|show)",
        "attorney general",
        "watchdog",
        "ombudsman",
        "(?<!no )police(?! (?:report|crime|incident) (?:ref|reference|number|no\\b|#|\\d))",
        "court",
        "trustpilot",
        "yelp",
        "google reviews?",
    ],
)
THREAT_INTENTS: tuple[list[str], list[str]] = (
    [
        "我要",
        "我会",
        "我就",
        "就去",
        "我去",
        "要去",
        "会去",
        "去",
        "找",
        "向",
        "打(?=\\d)",
        "打了(?=\\d)",
        "已经(?:打了|打过|投诉到|投诉了|联系了|联系过|报了|找了|找过)",
        "交给",
        "(?:最|很|会|都)?感兴趣",
        "递交",
        "提交给",
        "打给",
        "告",
        "一定要",
        "一定会",
        "发给",
        "联系(?:了)?(?=记者|媒体|电视台|报社)",
    ],
    [
        "i will",
        "i'll",
        "i'm going to",
        "i am going to",
        "going to",
        "gonna",
        "or i",
        "or we",
        "i'm calling",
        "calling",
        "contact(?:ing|ed)?",
        "report(?:ing|ed)?",
        "fil(?:e|ing|ed)",
        "tell(?:ing)?",
        "go(?:ing)? (?:straight |right )?to",
        "take (?:this|it) to",
        "escalat\\w*",
        "send(?:ing)? (?:it|this|the \\w+|them|everything)",
        "(?:this|it) goes (?:straight )?to",
        "otherwise",
        "gets? (?:a |an |the )?(?:full |formal |written )?(?:complaint|copy|call|letter|report)",
        "will (?:get|receive|be getting|be hearing)",
        "(?:seemed|seems|was|were|is|are|would be|'d be) (?:very |really |quite |most )?interested",
        "forward(?:ed|ing)?",
        "(?:have|'ve) (?:sent|reported|escalated)",
        "next stop(?: is| will be)?",
        "hear(?:s|ing)? about (?:this|it|you|your)",
        "find (?:this|it|that|the whole \\w+) (?:very |really |quite |most )?interesting",
        "shar(?:e|ing) (?:this|it|that|the whole|everything|all)",
    ],
)
POLITE: tuple[list[str], list[str]] = (
    [
        "(?<![申邀提])请(?![了假客])",
        "麻烦(?!死|啊|了吧|的)",
        "谢谢",
        "辛苦",
        "想反映一下",
        "反馈一下",
        "您好",
        "你好",
        "建议",
    ],
    [
        "please",
        "pls",
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
HOT_EMOJI = "😤🙄💩🤮😒🤦"
SAD_EMOJI = "😢😭😞😔😩😫☹🙁😣😖😕😟"

# Cue kinds that let a score rise above upset, and the ones that carry anger itself.
ANGRY_KINDS = {
    "angry",
    "dismissed",
    "sarcasm",
    "rhetorical question",
    "ultimatum",
    "demand",
    "repetition",
    "neglect",
    "broken promise",
    "report",
    "indignation",
    "misconduct",
}
_ANGER = {"angry", "sarcasm", "rhetorical question"}
_PERSISTENT = {"repetition", "neglect", "nobody cares"}
_FURIOUS_KINDS = {"rage", "threat", "nobody cares", "insult", "consequence"}
# EMOTION.md's furious cues: a threat, an ultimatum, profanity or an insult makes a message
# furious whatever else it says (politeness does not lower it).
_FURIOUS_FLOOR = {"rage", "threat", "insult", "consequence"}
# The cue analyse() reports when one of those (or shouting in capitals, or !!! with outrage)
# was found: bot.nlu.emotion_model never reads such a message as less than furious.
FURIOUS_CUE = "furious cue"
# Humiliation, for EMOTION.md's "humiliation or danger, and being dismissed" (furious); danger
# and injury are read by bot.tickets.rules.is_danger, the same test that raises the severity.
_HUMILIATION = re.compile(
    r"羞辱|侮辱|嘲笑|当众|当着[^，。！？,.!?]{0,8}(?:的面|的人)|当着[^，。！？,.!?]{0,4}人|当着全[班校家场店车]|被[^，。！？,.!?]{0,10}骂|[买交付]不起|说我偷|当(?:成|作)?小偷"
    r"|humiliat|in front of (?:everyone|everybody|other (?:customers|guests|passengers|people)"
    r"|the whole|my (?:whole|kids|children|family|colleagues|friends|neighbou?rs))"
    r"|赶下车|called (?:me|my \w+) (?:a |an )?(?:stupid|fat|racial|\w+ slur|names|liar|thief)|people like (?:me|us)|mocked (?:me|my)|in front of a (?:full|packed|crowded) \w+|(?:wouldn't|would not|didn't|did not) let (?:me|us) (?:out|leave|go)"
    r"|accused (?:me|us|my \w+) of (?:stealing|theft|lying)|like (?:a|i was a) (?:thief|criminal)",
    re.IGNORECASE,
)
# Harm that bot.tickets.rules.is_danger does not count as the customer's own danger (an animal
# hurt, a wrong injection): with a brush-off it is furious too.
_INJURY = re.compile(
    r"\bblood\b|bleeding|seizures?|swell(?:ed|ing)? up|\brash\b|hives|"
    r"抽搐|流血|打错(?:了)?针|吐血|疹子|红疹|起疹|起泡|肿(?:了|起来)",
    re.IGNORECASE,
)
# Kinds that make a run of !!! outrage rather than excitement ("thanks!!!").
_OUTRAGE_KINDS = ANGRY_KINDS | _FURIOUS_KINDS | {"negative", "waiting", "unanswered"}
_RANT_KINDS = (
    "negative",
    "angry",
    "sarcasm",
    "rhetorical question",
    "neglect",
    "nobody cares",
    "repetition",
)
_RANT_HITS = 6
_UPSET_CAP = 0.45
_ANGRY_CAP = 0.75
_POLITE_DISCOUNT = 0.15


def _english_pattern(words: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![A-Za-z])(?:" + "|".join(words) + r")(?![A-Za-z])", re.IGNORECASE)


def _chinese_pattern(words: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(words))


_COMPILED = {
    name: (weight, _chinese_pattern(zh), _english_pattern(en))
    for name, (weight, zh, en) in CUES.items()
}
_TARGETS = (_chinese_pattern(THREAT_TARGETS[0]), _english_pattern(THREAT_TARGETS[1]))
_INTENTS = (_chinese_pattern(THREAT_INTENTS[0]), _english_pattern(THREAT_INTENTS[1]))
# Long texts are scored on their opening: enough to read the mood, bounded in time.
MAX_CHARS = 4000
_POLITE_ZH = _chinese_pattern(POLITE[0])
_POLITE_EN = _english_pattern(POLITE[1])
_SENTENCE_END = re.compile(r"[.!?。！？;；\n]+")
_CAPS_WORD = re.compile(r"\b[A-Z]{3,}\b(?![-_/#.]?\d)|\b[A-Z]+'[A-Z]+\b")
_ELONGATED = re.compile(r"([A-Za-z])\1{3,}|(啊|啊啊|哈){3,}")
_BANG_RUN = re.compile(r"[!！]{3,}")
# A feeling denied ("I'm not angry", "不生气") or a complaint let go ("不想再折腾了") is not
# that feeling.
_NEGATED = re.compile(
    r"(?:(?<![A-Za-z])(?:not|never|no longer)|n't)(?:\s+[A-Za-z]+){0,2}?\s+"
    r"(?:angry|mad|upset|furious|annoyed|pissed)(?![A-Za-z])"
    r"|(?:不|没|没有|并不|并没有|不是)(?:很|太|在|是)?(?:生气|愤怒|恼火|火大)"
    # Letting it go ("不想再折腾了", "don't want the hassle") is not annoyance.
    r"|不想(?:再)?(?:折腾|计较|追究|麻烦)"
    r"|(?:don't|do not) want (?:the|any more|any) (?:hassle|fuss|trouble)",
    re.IGNORECASE,
)
_QUESTION_RUN = re.compile(r"[?？]{3,}")
# Upper-case words that are names, units or codes, not shouting.
_NOT_SHOUTING = {
    "ABS",
    "AC",
    "AM",
    "APP",
    "ASAP",
    "ATM",
    "BBB",
    "BTW",
    "BUG",
    "CEO",
    "CNY",
    "CP",
    "DHL",
    "DIY",
    "EMS",
    "ER",
    "ETA",
    "EU",
    "FAQ",
    "FTC",
    "FYI",
    "GP",
    "GPS",
    "GST",
    "HDMI",
    "I",
    "IBAN",
    "ICU",
    "ID",
    "IMO",
    "IOS",
    "ISP",
    "JD",
    "LCD",
    "LED",
    "MRI",
    "NFC",
    "NHS",
    "OK",
    "OTP",
    "PDF",
    "PIN",
    "PM",
    "QR",
    "RMB",
    "SF",
    "SIM",
    "SKU",
    "SMS",
    "SUV",
    "SWIFT",
    "TB",
    "TBH",
    "TV",
    "UK",
    "UPS",
    "URL",
    "USA",
    "USB",
    "USD",
    "VAT",
    "VIP",
    "VPN",
    "WIFI",
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


def _threat_target_with_intent(text: str) -> bool:
    """A regulator, police or court word and an intent in the same sentence."""
    for sentence in _SENTENCE_END.split(text):
        for targets, intents in zip(_TARGETS, _INTENTS, strict=True):
            if targets.search(sentence) and intents.search(sentence):
                return True
    return False


def without_denied_feelings(text: str) -> str:
    """The text with denied feelings ("I'm not angry", 不生气) and let-go complaints blanked."""
    return _NEGATED.sub(" ", text)


def cue_counts(text: str) -> dict[str, int]:
    """How many times each cue kind of CUES occurs in the (truncated) text; kinds found only.

    The lexicon's raw evidence, in CUES order, for models that learn on top of it
    (bot.nlu.emotion_model).
    """
    text = without_denied_feelings(text[:MAX_CHARS])
    counts: dict[str, int] = {}
    for name, (_weight, zh_words, en_re) in _COMPILED.items():
        hits = len(zh_words.findall(text)) + len(en_re.findall(text))
        if name == "threat" and not hits and _threat_target_with_intent(text):
            hits = 1
        if hits:
            counts[name] = hits
    return counts


def caps_words(text: str) -> list[str]:
    """Upper-case words that read as shouting (names, units and codes excluded)."""
    return [w for w in _CAPS_WORD.findall(text[:MAX_CHARS]) if w not in _NOT_SHOUTING]


def caps_sentence(text: str) -> bool:
    """A sentence shouted in capitals: three or more words, all upper-case ("TWO HOURS." is
    emphasis, "WHERE IS MY REFUND" is shouting)."""
    for sentence in _SENTENCE_END.split(text[:MAX_CHARS]):
        words = re.findall(r"[A-Za-z]+", sentence)
        shouting = len(words) >= 3 and len(caps_words(sentence)) >= 2
        if shouting and not any(w != w.upper() for w in words):
            return True
    words = re.findall(r"[A-Za-z]+", text[:MAX_CHARS])
    return len(words) >= 4 and len(caps_words(text)) >= 3 and all(w == w.upper() for w in words)


def analyse(text: str, counts: dict[str, int] | None = None) -> Emotion:
    """Scores one message. `counts`, when given, is cue_counts(text), already computed."""
    if not text or not text.strip():
        return Emotion("calm", 0.0, ())
    text = text[:MAX_CHARS]
    score = 0.0
    cues: list[str] = []
    hits_by_kind = cue_counts(text) if counts is None else counts
    for name, hits in hits_by_kind.items():
        weight = _COMPILED[name][0]
        # A second cue of the same kind adds a little; more adds nothing.
        score += weight + (min(0.15, weight / 3) if hits > 1 else 0.0)
        cues.append(name)

    # Shouting: a run of !!! or ？？？, three or more CAPS words, an angry emoji (each counted
    # once, except that two or more runs of !!! count twice).
    shouts = 0
    bangs = text.count("!") + text.count("！")
    if bangs:
        score += 0.05 if bangs == 1 else 0.15 if bangs == 2 else 0.25
        cues.append("exclamation")
        shouts += min(2, len(_BANG_RUN.findall(text)))
    questions = text.count("?") + text.count("？")
    if questions >= 2 or "?!" in text or "？！" in text:
        score += 0.15
        cues.append("insistent question")
        shouts += 1 if _QUESTION_RUN.search(text) else 0
    caps = caps_words(text)
    shouted = caps_sentence(text)
    if caps:
        score += 0.25 if len(caps) < 3 else 0.35
        cues.append("caps")
        shouts += 1 if len(caps) >= 3 or shouted else 0
    if any(ch in ANGRY_EMOJI for ch in text):
        score += 0.45
        cues.append("angry emoji")
        shouts += 1
    elif any(ch in HOT_EMOJI for ch in text):
        score += 0.2
        cues.append("annoyed emoji")
    if any(ch in SAD_EMOJI for ch in text):
        score += 0.2
        cues.append("sad emoji")
    if _ELONGATED.search(text):
        score += 0.1
        cues.append("elongation")
    if score and (_POLITE_ZH.search(text) or _POLITE_EN.search(text)):
        score -= _POLITE_DISCOUNT
        cues.append("polite")

    kinds = set(hits_by_kind)
    anger = bool(kinds & _ANGER)
    ranting = sum(hits_by_kind.get(kind, 0) for kind in _RANT_KINDS) >= _RANT_HITS
    stacked = (
        (kinds & _PERSISTENT and (anger or shouts or len(kinds & _PERSISTENT) >= 2))
        or (anger and shouts)
        or shouts >= 2
        or ranting
    )
    if stacked:
        score = max(score, THRESHOLDS[0][1])
        cues.append("ranting" if ranting else "stacked anger")
    elif not kinds & _FURIOUS_KINDS:
        if kinds & ANGRY_KINDS or bangs >= 2 or caps or "angry emoji" in cues:
            score = min(score, _ANGRY_CAP)
        else:
            score = min(score, _UPSET_CAP)
    outrage = _BANG_RUN.search(text) and kinds & _OUTRAGE_KINDS
    dismissed_harm = "dismissed" in kinds and (
        is_danger(text) or _HUMILIATION.search(text) or _INJURY.search(text)
    )
    if dismissed_harm:
        cues.append("dismissed harm")
    if kinds & _FURIOUS_FLOOR or shouted or outrage or dismissed_harm:
        score = max(score, THRESHOLDS[0][1])
        cues.append(FURIOUS_CUE)
    score = round(max(0.0, min(1.0, score)), 3)
    return Emotion(level_for(score), score, tuple(cues))


def peak(levels: list[str]) -> str:
    """The strongest level in a conversation."""
    known = [LEVELS.index(level) for level in levels if level in LEVELS]
    return LEVELS[max(known)] if known else "calm"
