"""The curated industry taxonomy: the entertainment industry chain and the trades around it.

(code, 中文, English, synonyms, parent code)
"""

INDUSTRIES: list[tuple[str, str, str, str, str | None]] = [
    ("content", "内容生产", "Content production", "内容 创作", None),
    ("film-tv", "影视", "Film and TV", "电影 电视剧 网剧 剧集 制片 出品", "content"),
    ("short-drama", "微短剧", "Short drama", "短剧 竖屏剧", "content"),
    ("variety", "综艺", "Variety shows", "综艺节目 真人秀", "content"),
    ("animation", "动画动漫", "Animation", "动画 动漫 二次元 漫画", "content"),
    ("games", "游戏", "Games", "手游 端游 电竞 游戏发行", "content"),
    ("music", "音乐", "Music", "唱片 词曲 音乐版权 演唱", "content"),
    ("distribution", "发行与平台", "Distribution and platforms", "发行 平台 渠道", None),
    ("short-video", "短视频", "Short video", "抖音 快手 视频号 小红书 B站 短剧", "distribution"),
    ("live-streaming", "直播与MCN", "Live streaming and MCN", "直播 MCN 网红 达人 直播带货", "distribution"),
    ("marketing", "宣发营销", "Marketing and publicity", "宣发 营销 公关 投放 品牌", "distribution"),
    ("film-distribution", "影视发行", "Film distribution", "院线 发行 片方", "distribution"),
    ("talent", "艺人与演出", "Talent and live shows", "艺人 演出", None),
    ("artist-management", "艺人经纪", "Artist management", "经纪 经纪人 艺人", "talent"),
    ("performances", "演出票务", "Performances and ticketing", "演唱会 音乐节 票务 剧场 livehouse", "talent"),
    ("immersive", "沉浸式娱乐", "Immersive entertainment", "剧本杀 密室 沉浸式 文旅", "talent"),
    ("ip", "IP与衍生品", "IP and merchandise", "IP 授权", None),
    ("ip-licensing", "IP授权", "IP licensing", "授权 版权 IP运营", "ip"),
    ("merchandise", "衍生品与潮玩", "Merchandise and toys", "周边 潮玩 盲盒 衍生品", "ip"),
    ("capital", "资本", "Capital", "投资 融资", None),
    ("investment", "投资", "Investment", "投资人 基金 天使 VC PE 融资", "capital"),
    ("services", "周边服务", "Services around the chain", "服务", None),
    ("tech", "技术与AIGC", "Technology and AIGC", "技术 AIGC 虚拟人 数字人 特效 小程序 开发", "services"),
    ("post-production", "后期制作", "Post-production", "后期 剪辑 调色 特效 配音", "services"),
    ("legal", "法务与版权服务", "Legal and copyright", "律师 法务 版权登记", "services"),
    ("ecommerce", "电商", "E-commerce", "电商 私域 带货", "services"),
    ("design", "设计与策划", "Design and planning", "设计 策划 PPT 品牌设计", "services"),
    ("culture-tourism", "文旅", "Culture and tourism", "文旅 景区 文创", "services"),
    ("collecting", "收藏与艺术品", "Collecting and art", "收藏 艺术品 古玩", "services"),
]
