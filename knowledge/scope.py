"""What the bot must not answer with policy: distress, chit-chat, and questions out of scope.

The word lists are data: add a word to the right list, and a test case beside it.
Callers check `distress()` first, then `smalltalk()`, then `out_of_scope()`, then the knowledge
base. Each function normalizes its input itself.
"""

from __future__ import annotations

import re

from knowledge.text import normalize

DISTRESS = (
    r"不想活", r"活着.{0,4}(没|没有|有啥|有什么|还有啥)(意思|意义|盼头)", r"活不下去", r"想死",
    r"去死", r"寻死", r"自杀", r"轻生", r"跳楼", r"跳河", r"上吊", r"割腕", r"安眠药",
    r"结束(自己的)?生命", r"了结自己", r"死了算了", r"不如死", r"一死了之", r"同归于尽",
    r"被打", r"挨打", r"(他|她|老公|丈夫|老婆|妻子|爸|妈|家里人|儿子|女儿|老板|领导|同事)(又|老|总|天天|经常)?打我",
    r"家暴", r"家庭暴力", r"虐待", r"性侵", r"强奸", r"猥亵", r"被锁", r"被关起来",
    r"不给饭吃", r"威胁我", r"杀了", r"想杀",
)  # fmt: skip

SMALLTALK = {  # checked in this order; a message is small talk only if little else is left
    "insult": (r"破机器人", r"垃圾", r"傻", r"笨", r"智障", r"废物", r"白痴", r"蠢", r"脑残",
               r"弱智", r"滚", r"(什么|啥)玩意", r"没用", r"(有|顶)(啥|什么|个屁)用"),
    "who_are_you": (r"是?(真人|机器人?)还是(真人|机器人?|人)", r"你是谁", r"你是哪位",
                    r"(是|是不是)(机器人|真人|人工智能|ai|自动回复)",
                    r"(机器人|真人|真的人|活人)吗", r"你叫(什么|啥)", r"是人吗", r"谁家的",
                    r"(哪个|哪家|什么|啥)(部门|单位|机构)(的|派来的)?", r"who are you",
                    r"are you (a )?(bot|robot|human|ai)"),
    "capabilities": (r"(能|会|可以)(帮我)?(干|做|办)(点|些)?(啥|什么|嘛)", r"(会|能)(些|点)?(啥|什么|嘛)",
                     r"(什么|啥|哪些)(功能|服务|业务)", r"(怎么|咋)用", r"功能",
                     r"(干嘛|干啥|做什么|做啥|干什么)(用)?的", r"what can you do", r"help me"),
    "thanks": (r"谢谢", r"多谢", r"感谢", r"谢了", r"谢啦", r"辛苦(了|啦)", r"thank( you|s)?",
               r"thx", r"帮(了)?大忙", r"感激"),
    "goodbye": (r"再见", r"拜拜", r"bye", r"回见", r"回头见", r"下次(再)?聊", r"88+6?",
                r"see you", r"明白了", r"知道了", r"懂了", r"先这样", r"没事了"),
    "greeting": (r"你好", r"您好", r"你们好", r"有人在?吗", r"在吗", r"在不在", r"有人吗", r"hi", r"hello",
                 r"哈喽", r"嗨", r"hey", r"哈罗", r"在么", r"(早上|上午|中午|下午|晚上)好", r"早安", r"喂", r"打扰了"),
}
FILLER = re.compile(
    r"你们|你|您|我|这个|这|那|的|了|吗|嘛|呢|啊|呀|吧|哦|噢|哈|嗯|呵|个|都|是|么|啦|哟|喔|真|太|很|"
    r"非常|一下|请问|机器人|小助手|助手|老师|同志|大家|好|谁|还|就|也|又|呐|哇|\s"
)
OUT_OF_SCOPE = {
    "weather": (r"天气", r"气温", r"多少度", r"下雨", r"下雪", r"刮风", r"大风", r"雾霾",
                r"空气质量", r"温度", r"冷不冷", r"热不热", r"降温", r"升温", r"台风", r"暴雨"),
    "medical": (r"青光眼", r"白内障", r"近视", r"癌", r"肿瘤", r"糖尿病", r"高血压", r"心脏病",
                r"感冒", r"发烧", r"咳嗽", r"头疼", r"头痛", r"失眠", r"(吃|用|开)(什么|啥)?药",
                r"偏方", r"(怎么|咋|能)治", r"治(得)?好", r"手术", r"挂(哪个|什么|啥)科",
                r"症状", r"诊断", r"是不是(得了|有)?.{0,4}(病|症|炎)"),
    "finance": (r"股票", r"炒股", r"股市", r"股价", r"a股", r"基金", r"理财", r"期货", r"外汇",
                r"比特币", r"虚拟币", r"币圈", r"涨停", r"跌停", r"大盘", r"牛市", r"熊市"),
    "lottery": (r"彩票", r"双色球", r"大乐透", r"福彩", r"体彩", r"开奖", r"中奖号", r"六合彩",
                r"七星彩", r"排列[三五]", r"刮刮乐"),
    "other_person_data": (),  # see _OTHER_PERSON below
    "writing": (r"作文", r"论文", r"演讲稿", r"发言稿", r"读后感", r"观后感", r"心得体会",
                r"写.{0,3}诗", r"对联", r"检讨书", r"写(一)?篇", r"\d{3,4}字"),
    "cooking_life": (r"红烧肉", r"菜谱", r"食谱", r"做饭", r"炒菜", r"烧菜", r"包饺子",
                     r"(菜|肉|鱼|鸡|鸭|饭|面|汤|饺子|包子|蛋)的?做法", r"(咋|怎么|如何)做.{0,2}好吃",
                     r"减肥", r"星座", r"算命", r"运势", r"风水", r"笑话", r"讲(个|一个)故事",
                     r"唱(首|个)?歌", r"电影", r"电视剧", r"打游戏", r"旅游景点", r"相亲",
                     r"(介绍|找)对象", r"婚恋"),
    "other_city": (),  # see PLACES below
}
# Where a policy question still makes sense, a medical word is not a medical question.
POLICY_ANCHORS = (r"残疾|评残|鉴定|就业|工作|上班|干活|干点活|找活|挣钱|补贴|培训|按摩|岗位|招聘|残联|"
                  r"等级|辅助性|托养")
PLACES = (
    "北京 上海 重庆 河北省 山西 内蒙古 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 "
    "广东 广西 海南 四川 贵州 云南 西藏 陕西 甘肃 青海 宁夏 新疆 台湾 香港 澳门 石家庄 唐山 秦皇岛 "
    "邯郸 邢台 保定 张家口 承德 沧州 廊坊 衡水 雄安 广州 深圳 杭州 南京 武汉 成都 西安 郑州 济南 "
    "青岛 沈阳 大连 长春 哈尔滨 太原 呼和浩特 合肥 福州 厦门 南昌 长沙 南宁 海口 贵阳 昆明 拉萨 "
    "兰州 西宁 银川 乌鲁木齐 苏州 无锡 宁波 温州 东莞 佛山 珠海 烟台 潍坊 徐州 洛阳 包头"
).split()
# Tianjin has streets named after cities (南京路, 承德道 ...): those are not other places.
_PLACE = re.compile(r"(" + "|".join(PLACES) + r")(?!路|道|街|大街|里|小区|胡同|桥|时间|会馆)")
_HOME = re.compile(r"天津|河北区|本区|我区|咱区|区里|区残联|本市|津门")
_PRIVATE = r"证号|身份证|住址|地址|住哪|家住|电话|手机|号码|联系方式|病历|工资|存款|信息|资料"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
    "莫孔向汤"
)
_PERSON = rf"他|她|别人|他人|邻居|同事|朋友|亲戚|同学|某人|[老小][{SURNAMES}]|[{SURNAMES}][\u4e00-\u9fff]{{1,2}}"
_OTHER_PERSON = re.compile(
    rf"(查|找|打听|告诉我|给我|发我)(一下|一查|查|下)?({_PERSON})的?.{{0,4}}?({_PRIVATE})"
)

_compiled: dict[str, re.Pattern[str]] = {}


def _pattern(name: str, parts: tuple[str, ...]) -> re.Pattern[str]:
    """Compile a word list into one pattern, once."""
    if name not in _compiled:
        _compiled[name] = re.compile("|".join(f"(?:{p})" for p in parts) or r"(?!x)x")
    return _compiled[name]


def distress(text: str) -> bool:
    """True when the message signals self-harm, violence or abuse: a person must step in."""
    return _pattern("distress", DISTRESS).search(normalize(text)) is not None


def smalltalk(text: str) -> str | None:
    """The kind of chit-chat a message is (greeting, thanks, ...), or None if it asks more."""
    clean = normalize(text)
    if not clean:
        return None
    found, rest = None, clean
    for name, parts in SMALLTALK.items():
        pattern = _pattern("small:" + name, parts)
        if pattern.search(rest):
            found = found or name
            rest = pattern.sub("", rest)
    if found and len(FILLER.sub("", rest)) <= 1:
        return found
    return None


def out_of_scope(text: str) -> str | None:
    """The category of a question the policy knowledge base must not answer, or None."""
    clean = normalize(text)
    for name, parts in OUT_OF_SCOPE.items():
        if parts and _pattern(name, parts).search(clean):
            if name == "medical" and re.search(POLICY_ANCHORS, clean):
                continue
            return name
    if _PLACE.search(clean) and not _HOME.search(clean):
        return "other_city"
    if _other_person(clean):
        return "other_person_data"
    return None


def _other_person(clean: str) -> bool:
    """Asks for someone else's certificate number, address, phone ... (not one's own)."""
    return _OTHER_PERSON.search(clean) is not None
