"""Who is in the demo circle 新文娱产业群: the named characters of the story and the archetypes the rest are
drawn from. Pure data, no Django imports. Industry codes are those of kindred/circles/taxonomy.py.
"""

from __future__ import annotations

from dataclasses import dataclass

CITIES = ("北京", "上海", "杭州", "成都", "深圳", "香港")
# How the circle's members spread over the six cities (weights for the generated members).
CITY_WEIGHTS = (30, 24, 13, 11, 13, 9)

# Where generated members studied: a trade draws from the schools that feed it.
GENERAL_SCHOOLS = ("中国传媒大学", "浙江大学", "复旦大学", "四川大学", "中山大学", "香港浸会大学")
FILM_SCHOOLS = ("北京电影学院", "中央戏剧学院", "上海戏剧学院", "中国传媒大学")
MUSIC_SCHOOLS = ("中央音乐学院", "中国传媒大学", "四川大学")

VALUES = (
    "说到做到，不画饼。",
    "先交朋友，再谈生意。",
    "长期主义，慢慢来比较快。",
    "专业的人做专业的事。",
    "对内容有敬畏，对合作伙伴讲信用。",
    "能帮就帮，帮不上也给个准话。",
    "好作品会说话。",
    "小步快跑，但不偷工减料。",
)


@dataclass(frozen=True)
class Person:
    """A member's card and the facts the story uses to tie them to others."""

    username: str
    name: str
    city: str
    company: str
    title: str
    industries: tuple[str, ...]
    offers: str
    needs: str
    offer_tags: tuple[str, ...]
    need_tags: tuple[str, ...]
    bio: str
    values: str = ""
    school: str = ""
    class_of: int = 0  # year of graduation: classmates are within a year of each other
    career_start: int = 2010


@dataclass(frozen=True)
class Named:
    """A character of the story: who they are, when they join (their place in the join order) and who
    brings them in (None: the organizer invites them directly)."""

    person: Person
    slot: int
    sponsor: str | None = None
    relationship: str = "friend"
    years_known: int = 5
    closeness: int = 4
    reason: str = ""
    admin: bool = False


ORGANIZER = Person(
    username="laozhou",
    name="老周（周立群）",
    city="北京",
    company="星河文化传媒",
    title="创始人、董事长",
    industries=("film-tv", "film-distribution", "investment"),
    offers="二十多年电影发行和宣发的老关系：院线、平台、出品方都能说上话；帮新项目把关、对接出品方和平台；"
    "给年轻团队看看方向，少走弯路。",
    needs="想把这些年认识的朋友攒成一个互相帮得上忙的圈子；找懂短剧和AIGC的年轻人一起看新项目。",
    offer_tags=("影视发行", "资源对接", "项目把关"),
    need_tags=("短剧", "AIGC", "新项目"),
    bio="做了二十多年电影发行，从跑胶片拷贝做到流媒体。朋友们都叫我老周。这个群是从一次饭局开始的："
    "一桌人里有拍戏的、做音乐的、做游戏的，还有一位做了三十年收藏的老哥，想做个互联网产品，"
    "连个像样的PPT都找不到人做。那天我就想，大家明明都在一条产业链上，怎么就互相找不到呢？",
    values="真诚、靠谱，先帮人再谈生意。",
    school="北京电影学院",
    class_of=1998,
    career_start=1998,
)

# The organizer's first invitations (slots 1–11), then the characters who arrive by nomination.
NAMED: tuple[Named, ...] = (
    Named(
        Person(
            username="linwanqing",
            name="林婉清",
            city="上海",
            company="青橙短剧",
            title="合伙人、制片人",
            industries=("short-drama", "film-tv"),
            offers="微短剧从剧本到上线的全流程：一个月能出一部80集竖屏剧；熟悉抖音、快手的短剧投流和分账规则。",
            needs="优质网文和漫画的改编权；想找懂AIGC的后期团队把单集成本再降三成。",
            offer_tags=("短剧制片", "投流", "分账"),
            need_tags=("IP改编", "AIGC后期"),
            bio="上戏毕业，在长剧组做了八年执行制片，2023年转做短剧，去年出品的两部剧分账都过了千万。",
            values="好作品会说话。",
            school="上海戏剧学院",
            class_of=2012,
            career_start=2012,
        ),
        slot=1,
        admin=True,
        reason="短剧这两年最懂行的制片人之一，为人靠谱，请她帮我一起看新人。",
    ),
    Named(
        Person(
            username="zhaoyiming",
            name="赵一鸣",
            city="深圳",
            company="鲸跃互娱",
            title="发行副总裁",
            industries=("games",),
            offers="手游发行和买量；东南亚、日韩的海外发行渠道；游戏版号申报的全流程经验。",
            needs="有IP的动画或影视项目做游戏联动；懂二次元的美术外包团队。",
            offer_tags=("游戏发行", "游戏出海", "买量"),
            need_tags=("IP联动", "美术外包"),
            bio="在游戏行业十二年，从渠道商务做到发行负责人，发行过六款流水过亿的手游。",
            values="专业的人做专业的事。",
            school="中山大学",
            class_of=2010,
            career_start=2010,
        ),
        slot=2,
        admin=True,
        reason="游戏发行的老朋友，圈子里人缘好，做事有分寸。",
    ),
    Named(
        Person(
            username="shenyanqiu",
            name="沈砚秋",
            city="杭州",
            company="砚秋堂",
            title="收藏家、主人",
            industries=("collecting", "culture-tourism"),
            offers="三十年明清瓷器和书画收藏，可以给影视剧做道具和美术顾问，也能提供真品拍摄；"
            "在杭州西溪有一处老宅，适合办雅集、发布会和小型拍摄。",
            needs="想做一个讲藏品故事的互联网产品（小程序加短视频），缺产品经理和技术团队；"
            "连一份像样的PPT都找不到人做——求一位会讲故事的PPT高手，先把想法讲清楚。",
            offer_tags=("收藏", "道具顾问", "场地"),
            need_tags=("PPT", "产品经理", "技术团队", "互联网产品", "短视频运营"),
            bio="收藏了半辈子，老了想把这些物件背后的故事讲给年轻人听。不懂互联网，但愿意学，也愿意出钱出场地。",
            values="东西是有故事的，人也是。",
            career_start=1994,
        ),
        slot=3,
        reason="老朋友。那次饭局上说想做个讲藏品故事的互联网产品，连PPT都没人做——这个群就是为他这样的人建的。",
    ),
    Named(
        Person(
            username="xujiawen",
            name="许嘉文",
            city="香港",
            company="嘉文资本",
            title="创始合伙人",
            industries=("investment",),
            offers="专注文娱和新消费的早期投资，单笔500万到3000万；可以帮创业团队梳理BP、估值和融资节奏；"
            "熟悉香港和内地的跨境架构。",
            needs="靠谱的短剧、游戏、潮玩早期项目；能陪项目长跑的行业顾问。",
            offer_tags=("天使轮", "BP梳理", "估值"),
            need_tags=("早期项目", "短剧", "潮玩"),
            bio="投行出身，2015年开始做文娱投资，投过两家后来上市的公司，也交过不少学费。",
            values="长期主义，慢慢来比较快。",
            school="香港浸会大学",
            class_of=2006,
            career_start=2006,
        ),
        slot=4,
    ),
    Named(
        Person(
            username="chenmo",
            name="陈默",
            city="北京",
            company="声浪音乐",
            title="创始人、音乐制作人",
            industries=("music",),
            offers="影视剧和游戏的原创配乐、主题曲；手上有两千多首可以授权的曲库，短视频和广告都能用。",
            needs="短视频平台的音乐推广渠道；想和演出公司合作做原创音乐人的小型巡演。",
            offer_tags=("配乐", "曲库授权", "主题曲"),
            need_tags=("音乐推广", "巡演"),
            bio="央音作曲系毕业，给二十多部剧写过配乐。相信好的旋律比流量活得久。",
            values="好作品会说话。",
            school="中央音乐学院",
            class_of=2008,
            career_start=2008,
        ),
        slot=5,
    ),
    Named(
        Person(
            username="hexiaofeng",
            name="何晓峰",
            city="成都",
            company="熊猫星球MCN",
            title="创始人",
            industries=("live-streaming", "short-video"),
            offers="签约达人两百多位，擅长本地生活和文旅直播带货；成都高新区有两千平的直播基地，可以按场出租。",
            needs="有版权的影视、动画内容做二创；品牌方和文旅项目的推广预算。",
            offer_tags=("达人资源", "直播带货", "直播基地"),
            need_tags=("内容版权", "品牌预算"),
            bio="川大新闻系毕业，做过八年电视台编导，2018年出来做MCN。成都的朋友来了请你吃火锅。",
            values="先交朋友，再谈生意。",
            school="四川大学",
            class_of=2009,
            career_start=2009,
        ),
        slot=6,
    ),
    Named(
        Person(
            username="suman",
            name="苏蔓",
            city="北京",
            company="星耀经纪",
            title="艺人经纪总监",
            industries=("artist-management",),
            offers="青年演员和歌手的经纪资源，能对接综艺和剧组的选角；艺人商务和品牌代言的谈判经验。",
            needs="给新人找短剧和短视频的露出机会；懂艺人IP化运营的合伙人。",
            offer_tags=("艺人资源", "选角", "艺人商务"),
            need_tags=("新人曝光", "IP运营"),
            bio="中戏表演系毕业，没当成演员，做了十五年经纪人。带出过三位一线演员。",
            values="对艺人负责，对片方讲信用。",
            school="中央戏剧学院",
            class_of=2009,
            career_start=2009,
        ),
        slot=7,
    ),
    Named(
        Person(
            username="gaoyuan",
            name="高远",
            city="上海",
            company="幻境动画",
            title="CEO",
            industries=("animation",),
            offers="三维动画番剧和动画电影制作，也承接游戏CG和宣传片；上海有八十人的制作团队。",
            needs="动画IP的授权和衍生品合作方；B站和海外的发行渠道。",
            offer_tags=("三维动画", "游戏CG"),
            need_tags=("IP授权", "衍生品", "海外发行"),
            bio="做了十年动画外包，2020年开始做自己的原创IP，第一部番剧在B站播放过亿。",
            values="小步快跑，但不偷工减料。",
            school="复旦大学",
            class_of=2011,
            career_start=2011,
        ),
        slot=8,
    ),
    Named(
        Person(
            username="huangyifan",
            name="黄一帆",
            city="深圳",
            company="造物潮玩",
            title="创始人",
            industries=("merchandise", "ip-licensing"),
            offers="潮玩和盲盒从设计、打样到量产，东莞有三家合作工厂；线上旗舰店加线下三百家渠道门店。",
            needs="有粉丝基础的动画、游戏和影视IP授权。",
            offer_tags=("潮玩", "打样量产", "线下渠道"),
            need_tags=("IP授权",),
            bio="做过十年玩具外贸，2019年开始做自有品牌潮玩。",
            school="中山大学",
            class_of=2011,
            career_start=2011,
        ),
        slot=9,
    ),
    Named(
        Person(
            username="luoxiaolan",
            name="罗晓岚",
            city="北京",
            company="乐巡演出",
            title="副总经理",
            industries=("performances",),
            offers="演唱会和音乐节的票务、现场执行；北京、上海主要场馆的档期关系。",
            needs="新的音乐节品牌合作；沉浸式演出的内容方。",
            offer_tags=("演唱会", "票务", "场馆档期"),
            need_tags=("音乐节合作", "沉浸式演出"),
            bio="在演出行业十四年，做过两百多场演唱会。",
            values="现场不能出错。",
            school="中国传媒大学",
            class_of=2010,
            career_start=2010,
        ),
        slot=10,
    ),
    Named(
        Person(
            username="liangzijian",
            name="梁子健",
            city="香港",
            company="梁氏律师事务所",
            title="合伙人律师",
            industries=("legal", "ip-licensing"),
            offers="影视、音乐版权和IP授权合同；香港和内地之间的跨境交易结构与合规。",
            needs="文娱行业的常年法律顾问客户。",
            offer_tags=("版权合同", "跨境交易"),
            need_tags=("法律顾问客户",),
            bio="执业十八年，专注娱乐法。业余是个电影迷。",
            school="香港浸会大学",
            class_of=2007,
            career_start=2007,
        ),
        slot=11,
    ),
    Named(
        Person(
            username="wangxiong",
            name="王家骏",
            city="成都",
            company="锦川实业",
            title="董事长",
            industries=("culture-tourism", "investment"),
            offers="在成都和川西有几处文旅项目和景区，可以给剧组提供取景地和接待；愿意投资文旅内容和好项目。",
            needs="能让景区火起来的短视频和直播团队；沉浸式演出和夜游的内容方。",
            offer_tags=("取景地", "文旅投资", "接待"),
            need_tags=("短视频团队", "沉浸式演出", "夜游"),
            bio="做实业出身，朋友们都叫我王兄。喜欢交朋友，来成都吃火锅找我。",
            values="朋友的事就是我的事。",
            career_start=1999,
        ),
        slot=30,
        sponsor="hexiaofeng",
        relationship="partner",
        years_known=6,
        closeness=5,
        reason="王兄是成都文旅的老大哥，我们给他的景区做了三年直播。他想让景区和内容结合，群里的影视、演出朋友正好能帮上。",
    ),
    Named(
        Person(
            username="fangxiaoyu",
            name="方小雨",
            city="杭州",
            company="一页设计",
            title="创始人、PPT设计师",
            industries=("design", "marketing"),
            offers="路演BP和发布会PPT，擅长把复杂的事讲成一个故事；做过五十多家公司的融资BP和品牌手册。",
            needs="文娱行业的长期客户；想认识做品牌的朋友一起接大项目。",
            offer_tags=("PPT", "BP设计", "品牌设计"),
            need_tags=("长期客户",),
            bio="浙大工业设计毕业，在广告公司做了六年，自己出来开了个小工作室。",
            values="先想清楚，再做漂亮。",
            school="浙江大学",
            class_of=2015,
            career_start=2015,
        ),
        slot=46,
        sponsor="xujiawen",
        relationship="partner",
        years_known=4,
        closeness=4,
        reason="我们基金投的项目，路演BP几乎都请她做，能把一团乱麻讲成一个好故事。群里好几位都在找这样的人。",
    ),
    Named(
        Person(
            username="songzhixing",
            name="宋知行",
            city="杭州",
            company="知行科技",
            title="创始人、CTO",
            industries=("tech",),
            offers="小程序、App和后台开发，十人技术团队；做过两个内容社区产品，从0到10万用户。",
            needs="文娱行业的产品项目；想找懂内容的合伙人。",
            offer_tags=("小程序开发", "内容社区", "技术团队"),
            need_tags=("产品项目",),
            bio="浙大计算机毕业，在大厂做了七年，出来带团队做外包和自己的产品。",
            values="不画饼，只做事。",
            school="浙江大学",
            class_of=2014,
            career_start=2014,
        ),
        slot=63,
        sponsor="fangxiaoyu",
        relationship="classmate",
        years_known=12,
        closeness=5,
        reason="大学同学，技术扎实、人实在。砚秋老师的小程序正缺一个技术团队，我想他们能聊到一起。",
    ),
    Named(
        Person(
            username="mengfan",
            name="孟凡",
            city="北京",
            company="快看传媒",
            title="创始人",
            industries=("short-video", "marketing"),
            offers="做短视频发行和矩阵号运营，手上有三百多个垂类账号；影视剧和综艺的切条宣发。",
            needs="优质内容的版权；想跟短剧公司合作做联合出品。",
            offer_tags=("短视频发行", "矩阵号", "切条宣发"),
            need_tags=("内容版权", "联合出品"),
            bio="传媒大学毕业，做过五年电视台综艺编导，2017年开始做短视频。",
            school="中国传媒大学",
            class_of=2011,
            career_start=2011,
        ),
        slot=18,
        sponsor="luoxiaolan",
        relationship="classmate",
        years_known=17,
        closeness=4,
        reason="大学同学。做短视频发行很早，群里做影视和演出的朋友宣发都用得上他。",
    ),
    Named(
        Person(
            username="tangxiao",
            name="唐骁",
            city="北京",
            company="元象AI",
            title="创始人",
            industries=("tech", "post-production"),
            offers="AIGC生成分镜和概念图，一天能出一部短剧的全部分镜；数字人直播的整套方案。",
            needs="愿意做试点的内容公司；A轮融资。",
            offer_tags=("AIGC", "分镜", "数字人"),
            need_tags=("试点客户", "融资"),
            bio="做了十年计算机视觉，2023年开始做AIGC在影视里的落地。",
            school="北京电影学院",
            class_of=2013,
            career_start=2013,
        ),
        slot=24,
        sponsor=None,
        reason="老周主动请来的：大家都在问AIGC能帮短剧做什么，他是真做出来的人。",
    ),
)

# People who were nominated but turned down, with the reason the nominator sees.
REJECTED: tuple[dict[str, str | int], ...] = (
    {
        "name": "刘海涛",
        "nominator": "hexiaofeng",
        "relationship": "friend",
        "years_known": 2,
        "closeness": 3,
        "reason": "做互联网金融推广的朋友，人脉广。",
        "reject": "被提名人主要做理财产品推广，和本群的产业链关系不大。谢谢推荐，这次先不通过。",
        "after": 40,
    },
    {
        "name": "杜明",
        "nominator": "suman",
        "relationship": "partner",
        "years_known": 0,
        "closeness": 2,
        "reason": "最近合作的一个剧组的制片，做事挺快。",
        "reject": "认识不到一年、亲密度2，我们希望先在线下活动里多接触。半年后欢迎再提名。",
        "after": 62,
    },
    {
        "name": "周凯",
        "nominator": "zhaoyiming",
        "relationship": "colleague",
        "years_known": 3,
        "closeness": 3,
        "reason": "前同事。",
        "reject": "信息不全：没有说明他能给群里带来什么，也没有草稿名片。请补充后重新提名。",
        "after": 85,
    },
    {
        "name": "邱志远",
        "nominator": "chenmo",
        "relationship": "colleague",
        "years_known": 5,
        "closeness": 4,
        "reason": "声浪音乐的版权经理，很专业。",
        "reject": "同一家公司这一阶段已有多位成员，优先引入上下游的伙伴。名额放开后欢迎再提。",
        "after": 120,
    },
    {
        "name": "马晨",
        "nominator": "huangyifan",
        "relationship": "friend",
        "years_known": 3,
        "closeness": 3,
        "reason": "做潮玩渠道的，认识很多店主。",
        "reject": "有成员反映他在别的群里拉人发广告，核实前暂不通过。",
        "after": 170,
    },
)

# Waiting in the review queue when the story ends. `account`: the nominee already has a Kindred account
# (from another circle), which shows that a pending nominee sees nothing of this circle.
PENDING: tuple[dict[str, str | int | bool], ...] = (
    {
        "username": "tangning",
        "name": "唐宁",
        "account": True,
        "nominator": "linwanqing",
        "relationship": "colleague",
        "years_known": 4,
        "closeness": 4,
        "reason": "我们青橙的签约编剧，写过三部爆款短剧，付费卡点设计一流。群里做短剧和IP的朋友都用得上。",
        "company": "青橙短剧",
        "title": "签约编剧",
        "city": "上海",
        "offers": "短剧剧本和付费卡点设计；网文改编。",
        "needs": "好的IP和靠谱的制片方。",
    },
    {
        "username": "yuke",
        "name": "俞可",
        "account": False,
        "nominator": "songzhixing",
        "relationship": "colleague",
        "years_known": 6,
        "closeness": 4,
        "reason": "前同事，大厂出身的产品经理，做过内容社区。砚秋老师的收藏小程序正缺一位产品经理。",
        "company": "自由职业",
        "title": "产品经理",
        "city": "杭州",
        "offers": "内容社区和小程序的产品设计，从需求到上线。",
        "needs": "有意思的文化类产品项目。",
    },
)

# Approved, the link sent, not yet used when the story ends.
OPEN_INVITATION: dict[str, str | int] = {
    "name": "韩露",
    "nominator": "luoxiaolan",
    "relationship": "partner",
    "years_known": 5,
    "closeness": 4,
    "reason": "独立音乐节的主理人，合作过三届，做事细、口碑好。",
    "company": "野草音乐节",
    "title": "主理人",
    "city": "成都",
    "offers": "户外音乐节的策划和执行；独立音乐人资源。",
    "needs": "赞助商和文旅合作方。",
}

# The organizer's private notes on a few members (only the organizer and admins ever see them).
ORGANIZER_NOTES: dict[str, str] = {
    "shenyanqiu": "群是为他建的。他的收藏小程序要人：PPT、产品经理、技术团队，新人里有合适的先介绍给他。",
    "wangxiong": "成都文旅的大老板，为人豪爽，愿意给群里的项目出场地、出钱。年底聚会可以请他说两句。",
    "fangxiaoyu": "PPT做得极好，已介绍给砚秋老师。可以请她给群里做一次路演BP的分享。",
}

REMOVAL_REASON = "多次在群里发布与产业无关的理财广告，提醒后仍未改正。"


@dataclass(frozen=True)
class Archetype:
    """A trade of the chain: the cards of generated members are drawn from it."""

    industries: tuple[str, ...]
    companies: tuple[str, ...]
    titles: tuple[str, ...]
    offers: tuple[tuple[str, tuple[str, ...]], ...]
    needs: tuple[tuple[str, tuple[str, ...]], ...]
    bios: tuple[str, ...]
    weight: int = 3
    schools: tuple[str, ...] = GENERAL_SCHOOLS


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype(
        industries=("film-tv",),
        companies=("北辰影业", "长风影视", "拾光电影", "山海映画", "一苇影视"),
        titles=("制片人", "导演", "监制", "项目总监", "总制片人"),
        offers=(
            ("院线电影和网络电影的制片管理，预算三千万以内的项目能做到不超支。", ("制片管理",)),
            ("熟悉横店、象山、青岛几个影视基地，能很快搭起一个剧组。", ("剧组搭建", "影视基地")),
            ("手上有一个平台评级S的都市剧项目，在找联合出品方。", ("联合出品",)),
            ("导演过三部网络电影，擅长悬疑和喜剧。", ("导演", "悬疑")),
            ("做过十几部剧的剧本统筹，能帮忙看本子、改本子。", ("剧本统筹",)),
        ),
        needs=(
            ("找靠谱的联合出品方和保底发行。", ("联合出品", "保底发行")),
            ("想找懂竖屏的团队一起试水短剧。", ("短剧合作",)),
            ("寻找能长期合作的后期和特效团队。", ("后期特效",)),
            ("需要有流量的年轻演员。", ("演员",)),
        ),
        bios=(
            "在影视行业做了{years}年，从场记做起。",
            "{school}毕业，拍过{n}部网络电影。",
            "{years}年影视从业，做过院线也做过平台剧。",
        ),
        weight=5,
        schools=FILM_SCHOOLS,
    ),
    Archetype(
        industries=("short-drama",),
        companies=("一刻短剧", "爆点剧场", "竖屏工场", "追光短剧"),
        titles=("短剧制片人", "总编剧", "投流负责人", "内容总监"),
        offers=(
            ("一周能出一个短剧剧本，付费卡点设计得心应手。", ("短剧编剧", "付费卡点")),
            ("短剧投流和ROI测算，月消耗过千万。", ("投流", "ROI")),
            ("小程序短剧的上线和分账全流程。", ("小程序短剧", "分账")),
            ("有一支一周拍完八十集的拍摄团队。", ("短剧拍摄",)),
        ),
        needs=(
            ("网文和漫画的改编权。", ("IP改编",)),
            ("海外短剧的发行渠道。", ("短剧出海",)),
            ("便宜又靠谱的演员池。", ("演员",)),
            ("能降本的AIGC工具。", ("AIGC",)),
        ),
        bios=(
            "做短剧{years}年，出品过{n}部竖屏剧。",
            "以前做网文编辑，后来转行做短剧。",
            "长剧组出身，看准了竖屏这条路。",
        ),
        weight=5,
        schools=FILM_SCHOOLS,
    ),
    Archetype(
        industries=("music",),
        companies=("回声唱片", "十二律音乐", "青音文化", "拾音工作室"),
        titles=("音乐制作人", "版权经理", "厂牌主理人", "词曲作者"),
        offers=(
            ("流行和国风方向的词曲创作，给多部网剧写过主题曲。", ("词曲创作", "国风")),
            ("音乐版权代理和分发，覆盖国内主流音乐平台。", ("版权代理", "音乐发行")),
            ("录音棚和混音母带，北京、上海都有合作棚。", ("录音棚", "混音")),
        ),
        needs=(
            ("给旗下歌手找影视和游戏的OST机会。", ("OST",)),
            ("找livehouse巡演的场地方。", ("巡演",)),
            ("短视频上推歌的达人资源。", ("推歌",)),
        ),
        bios=("做音乐{years}年。", "{school}毕业，写过{n}首发行作品。"),
        weight=3,
        schools=MUSIC_SCHOOLS,
    ),
    Archetype(
        industries=("games",),
        companies=("星火互娱", "像素森林", "九州游戏", "灵犀网络"),
        titles=("制作人", "主策划", "美术总监", "海外发行经理", "商务总监"),
        offers=(
            ("二次元手游的美术和角色设计，团队四十人。", ("二次元美术", "角色设计")),
            ("游戏海外发行（日韩、东南亚）和本地化。", ("游戏出海", "本地化")),
            ("小游戏和H5游戏的快速开发。", ("小游戏",)),
            ("游戏买量和素材投放。", ("买量",)),
        ),
        needs=(
            ("IP联动合作，尤其是动画和国风IP。", ("IP联动",)),
            ("配乐和配音资源。", ("配乐", "配音")),
            ("A轮融资。", ("融资",)),
        ),
        bios=("在游戏行业{years}年，做过{n}款上线产品。", "大厂出来创业，专注中小体量的精品游戏。"),
        weight=4,
    ),
    Archetype(
        industries=("animation",),
        companies=("云端动画", "墨白动画", "飞鱼动漫"),
        titles=("导演", "制片", "主笔", "创始人"),
        offers=(
            ("二维动画短片和动态漫画制作。", ("二维动画", "动态漫画")),
            ("原创国风动画IP，B站播放过亿。", ("国风IP",)),
            ("漫画连载和条漫改编。", ("条漫",)),
        ),
        needs=(
            ("动画IP的衍生品和授权合作。", ("衍生品", "IP授权")),
            ("动画电影的投资。", ("动画投资",)),
            ("游戏改编的合作方。", ("游戏改编",)),
        ),
        bios=("做动画{years}年。", "{school}动画专业毕业，一直想做中国自己的动画IP。"),
        weight=3,
    ),
    Archetype(
        industries=("live-streaming",),
        companies=("星芒MCN", "蜂巢直播", "野火传媒", "声量互动"),
        titles=("创始人", "达人运营总监", "商务总监", "直播间操盘手"),
        offers=(
            ("孵化过多个百万粉达人，擅长剧情类和知识类账号。", ("达人孵化",)),
            ("直播带货操盘，单场GMV千万级。", ("直播带货", "直播操盘")),
            ("抖音、快手、视频号的品牌代运营。", ("品牌代运营",)),
        ),
        needs=(
            ("有版权的影视素材做二创。", ("二创授权",)),
            ("好的选品和供应链。", ("选品",)),
            ("想转型做短剧，找编剧合作。", ("短剧编剧",)),
        ),
        bios=("做直播{years}年。", "从主播做起，后来自己开了MCN。"),
        weight=4,
    ),
    Archetype(
        industries=("short-video",),
        companies=("十秒视频", "竖屏工作室", "小象内容"),
        titles=("内容总监", "编导", "发行负责人", "创始人"),
        offers=(
            ("做短视频发行和矩阵号运营。", ("短视频发行", "矩阵号")),
            ("影视剧和综艺的短视频切条宣发。", ("切条宣发",)),
            ("小红书和B站的内容种草。", ("种草", "小红书")),
        ),
        needs=(
            ("优质内容版权。", ("内容版权",)),
            ("品牌预算。", ("品牌客户",)),
            ("懂数据分析的合伙人。", ("数据分析",)),
        ),
        bios=("做短视频{years}年。", "电视台编导出身，转行做短视频。"),
        weight=3,
    ),
    Archetype(
        industries=("ip-licensing",),
        companies=("万象授权", "大鱼IP运营", "博古文创授权"),
        titles=("授权总监", "商务经理", "创始人"),
        offers=(
            ("代理十几个动漫和博物馆IP的授权，熟悉授权费和保底怎么谈。", ("IP授权", "博物馆IP")),
            ("品牌联名的策划和落地。", ("品牌联名",)),
        ),
        needs=(("有潜力的原创IP。", ("原创IP",)), ("潮玩和文创的生产方。", ("潮玩生产",))),
        bios=("做IP授权{years}年。", "在国际授权公司做过{n}年，回国自己做。"),
        weight=2,
    ),
    Archetype(
        industries=("merchandise",),
        companies=("小怪兽潮玩", "拾趣文创", "原点手办"),
        titles=("产品经理", "设计总监", "创始人"),
        offers=(
            ("手办和毛绒玩具开模打样，最快两周出样。", ("开模打样", "手办")),
            ("文创产品设计和景区文创店运营。", ("文创设计",)),
        ),
        needs=(("影视、游戏IP的衍生品授权。", ("衍生品授权",)), ("线下渠道。", ("线下渠道",))),
        bios=("做潮玩{years}年。", "设计师出身，做过{n}个系列盲盒。"),
        weight=2,
    ),
    Archetype(
        industries=("performances",),
        companies=("大象演出", "声场文化", "夜航Livehouse", "星空剧场"),
        titles=("演出总监", "票务经理", "主理人", "制作人"),
        offers=(
            ("音乐节和演唱会的制作执行。", ("音乐节", "演唱会执行")),
            ("livehouse场地，每月都有空档可以合作。", ("livehouse",)),
            ("话剧和音乐剧的巡演运营。", ("话剧巡演",)),
        ),
        needs=(("有票房号召力的艺人。", ("艺人资源",)), ("赞助商。", ("赞助",))),
        bios=("做演出{years}年。", "{school}毕业，做过{n}场巡演。"),
        weight=3,
        schools=FILM_SCHOOLS,
    ),
    Archetype(
        industries=("artist-management",),
        companies=("星途经纪", "光合文化", "初见娱乐"),
        titles=("经纪人", "宣传总监", "艺人统筹"),
        offers=(
            ("签约新人演员二十多位，可以对接剧组试镜。", ("新人演员", "试镜")),
            ("艺人商务和品牌代言的对接。", ("艺人商务",)),
        ),
        needs=(("给艺人找好剧本和好角色。", ("剧本",)), ("短视频账号运营。", ("账号运营",))),
        bios=("做经纪人{years}年。", "带过{n}位艺人。"),
        weight=3,
        schools=FILM_SCHOOLS,
    ),
    Archetype(
        industries=("investment",),
        companies=("远山资本", "青木创投", "文娱产业基金", "北岸投资"),
        titles=("合伙人", "投资总监", "投资经理"),
        offers=(
            ("关注文娱科技的早期投资，天使到A轮。", ("天使轮", "A轮")),
            ("帮被投企业对接政府引导基金和产业方。", ("产业对接",)),
            ("影视项目的份额投资和保底。", ("项目投资",)),
        ),
        needs=(("靠谱的早期项目。", ("项目源",)), ("懂行的行业顾问。", ("行业顾问",))),
        bios=("做投资{years}年，看过上千个文娱项目。", "投行出身，后来专注文娱赛道。"),
        weight=3,
    ),
    Archetype(
        industries=("tech",),
        companies=("数字分身科技", "智绘科技", "云帧科技"),
        titles=("创始人", "CTO", "产品总监"),
        offers=(
            ("AIGC生成分镜和概念图。", ("AIGC", "分镜")),
            ("虚拟人和数字人直播解决方案。", ("数字人", "虚拟人")),
            ("小程序和App开发。", ("小程序开发",)),
        ),
        needs=(("内容公司做试点客户。", ("试点客户",)), ("融资。", ("融资",))),
        bios=("做技术{years}年。", "大厂出来，想用技术帮内容行业降本。"),
        weight=2,
    ),
    Archetype(
        industries=("post-production",),
        companies=("调色盘后期", "声音工厂", "帧率视效"),
        titles=("后期总监", "调色师", "特效总监", "配音导演"),
        offers=(
            ("电影级调色和剪辑。", ("调色", "剪辑")),
            ("特效和合成，做过多部院线电影。", ("特效",)),
            ("配音和声音设计，合作的配音演员有五十多位。", ("配音",)),
        ),
        needs=(("稳定的项目来源。", ("项目来源",)), ("用AIGC工具提效。", ("AIGC",))),
        bios=("做后期{years}年。", "{school}毕业，参与过{n}部院线电影。"),
        weight=3,
        schools=FILM_SCHOOLS,
    ),
    Archetype(
        industries=("marketing", "film-distribution"),
        companies=("破圈营销", "热点公关", "宣发联盟"),
        titles=("宣发总监", "公关经理", "营销策划"),
        offers=(
            ("电影和剧集的整合宣发，做过多部票房过亿的项目。", ("电影宣发",)),
            ("热搜和舆情管理。", ("舆情", "公关")),
        ),
        needs=(("新的片源。", ("片源",)), ("达人资源。", ("达人",))),
        bios=("做宣发{years}年。", "从影院经理做起，后来专做宣发。"),
        weight=2,
    ),
    Archetype(
        industries=("immersive", "culture-tourism"),
        companies=("夜游文旅", "剧本工坊", "沉浸式剧场"),
        titles=("创始人", "内容总监", "项目经理"),
        offers=(
            ("沉浸式剧场和剧本杀的内容研发。", ("沉浸式", "剧本杀")),
            ("景区夜游和光影秀的策划。", ("夜游",)),
        ),
        needs=(("影视和动漫IP授权做主题店。", ("IP授权",)), ("景区合作方。", ("景区",))),
        bios=("做沉浸式内容{years}年。", "戏剧出身，做过{n}个沉浸式项目。"),
        weight=2,
        schools=FILM_SCHOOLS,
    ),
    # Outsiders who need the chain: brands and businesses that want content, reach and IP.
    Archetype(
        industries=("ecommerce",),
        companies=("川味坊餐饮", "云岭茶业", "国潮服饰", "老窖酒业", "万象商业"),
        titles=("创始人", "品牌总监", "董事长"),
        offers=(
            ("品牌预算和线下门店，可以做内容合作和植入。", ("品牌预算", "影视植入")),
            ("全国一百多家门店，可以做联名和快闪。", ("门店资源", "快闪")),
        ),
        needs=(
            ("想做品牌短视频和直播，找靠谱的团队。", ("短视频", "直播")),
            ("想和影视、动漫IP做联名。", ("IP联名",)),
            ("想在剧里做植入。", ("影视植入",)),
        ),
        bios=("做实业{years}年，想让年轻人认识我们的品牌。", "传统行业出身，正在学怎么做内容。"),
        weight=2,
    ),
)

SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("林", "lin"),
    ("郑", "zheng"),
    ("谢", "xie"),
    ("宋", "song"),
    ("韩", "han"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
    ("彭", "peng"),
    ("曾", "zeng"),
    ("田", "tian"),
    ("董", "dong"),
    ("潘", "pan"),
    ("袁", "yuan"),
    ("蔡", "cai"),
    ("蒋", "jiang"),
    ("余", "yu"),
    ("杜", "du"),
    ("叶", "ye"),
    ("程", "cheng"),
    ("魏", "wei"),
    ("吕", "lv"),
    ("丁", "ding"),
    ("姚", "yao"),
    ("卢", "lu"),
    ("钟", "zhong"),
    ("谭", "tan"),
    ("陆", "lu"),
    ("范", "fan"),
    ("金", "jin"),
    ("石", "shi"),
    ("廖", "liao"),
    ("夏", "xia"),
    ("邹", "zou"),
    ("秦", "qin"),
    ("江", "jiang"),
    ("顾", "gu"),
    ("邵", "shao"),
    ("戴", "dai"),
    ("孔", "kong"),
)

GIVEN: tuple[tuple[str, str], ...] = (
    ("晓", "xiao"),
    ("明", "ming"),
    ("伟", "wei"),
    ("静", "jing"),
    ("磊", "lei"),
    ("婷", "ting"),
    ("杰", "jie"),
    ("芳", "fang"),
    ("浩", "hao"),
    ("雪", "xue"),
    ("鹏", "peng"),
    ("涛", "tao"),
    ("慧", "hui"),
    ("颖", "ying"),
    ("斌", "bin"),
    ("琳", "lin"),
    ("凯", "kai"),
    ("倩", "qian"),
    ("宇", "yu"),
    ("欣", "xin"),
    ("航", "hang"),
    ("悦", "yue"),
    ("哲", "zhe"),
    ("佳", "jia"),
    ("楠", "nan"),
    ("璐", "lu"),
    ("昊", "hao"),
    ("敏", "min"),
    ("博", "bo"),
    ("雯", "wen"),
    ("辰", "chen"),
    ("岚", "lan"),
    ("蕾", "lei"),
    ("瑶", "yao"),
    ("然", "ran"),
    ("嘉", "jia"),
    ("怡", "yi"),
    ("诗", "shi"),
    ("思", "si"),
    ("天", "tian"),
    ("远", "yuan"),
    ("清", "qing"),
    ("晨", "chen"),
    ("阳", "yang"),
    ("毅", "yi"),
    ("峰", "feng"),
    ("彤", "tong"),
    ("琪", "qi"),
    ("骏", "jun"),
    ("朗", "lang"),
    ("沐", "mu"),
    ("川", "chuan"),
    ("萌", "meng"),
    ("珊", "shan"),
    ("韬", "tao"),
    ("舟", "zhou"),
    ("鑫", "xin"),
    ("蓉", "rong"),
    ("霖", "lin"),
)

# Trades that work with each other: partner ties are drawn along these lines.
PARTNERS: dict[str, tuple[str, ...]] = {
    "film-tv": ("post-production", "music", "artist-management", "marketing", "investment", "short-video"),
    "short-drama": ("short-video", "live-streaming", "tech", "artist-management", "post-production"),
    "music": ("film-tv", "games", "performances", "short-video", "artist-management"),
    "games": ("animation", "ip-licensing", "music", "investment", "tech", "merchandise"),
    "animation": ("games", "ip-licensing", "merchandise", "film-tv", "investment"),
    "live-streaming": ("short-video", "ecommerce", "artist-management", "short-drama", "culture-tourism"),
    "short-video": ("live-streaming", "short-drama", "marketing", "film-tv", "ecommerce"),
    "ip-licensing": ("merchandise", "animation", "games", "legal", "culture-tourism"),
    "merchandise": ("ip-licensing", "animation", "games", "ecommerce"),
    "performances": ("music", "artist-management", "immersive", "culture-tourism"),
    "artist-management": ("film-tv", "short-drama", "performances", "music", "live-streaming"),
    "investment": ("film-tv", "short-drama", "games", "animation", "merchandise", "tech"),
    "tech": ("short-drama", "post-production", "live-streaming", "games", "collecting"),
    "post-production": ("film-tv", "short-drama", "tech"),
    "marketing": ("film-tv", "short-video", "film-distribution", "ecommerce"),
    "film-distribution": ("film-tv", "marketing"),
    "legal": ("ip-licensing", "investment", "music"),
    "immersive": ("performances", "ip-licensing", "live-streaming", "culture-tourism"),
    "culture-tourism": ("live-streaming", "performances", "immersive", "film-tv"),
    "ecommerce": ("live-streaming", "short-video", "merchandise"),
    "collecting": ("culture-tourism", "design", "tech"),
    "design": ("investment", "ecommerce", "collecting"),
}
