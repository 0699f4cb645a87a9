namespace CityBrain.SyntheticCity.Generation;

internal sealed record Industry(string Code, string Name, string NameWord, double Weight, double TaxFactor);

/// <summary>Word pools for names of people, places, roads and enterprises.</summary>
internal sealed class NamePools
{
    // Common Chinese surnames with their approximate shares (per cent) in the 2020 census, 陈 boosted for Zhejiang.
    private static readonly (string, double)[] SurnameWeights =
    [
        ("王", 7.1), ("李", 7.0), ("张", 6.7), ("刘", 5.4), ("陈", 6.0), ("杨", 3.1), ("黄", 2.5), ("赵", 2.3),
        ("吴", 2.6), ("周", 2.3), ("徐", 2.0), ("孙", 1.5), ("马", 1.4), ("朱", 1.5), ("胡", 1.6), ("郭", 1.2),
        ("何", 1.2), ("林", 1.3), ("高", 1.1), ("罗", 1.0), ("郑", 1.0), ("梁", 0.8), ("谢", 0.8), ("宋", 0.7),
        ("唐", 0.7), ("许", 0.7), ("韩", 0.7), ("冯", 0.7), ("邓", 0.7), ("曹", 0.6), ("彭", 0.6), ("曾", 0.6),
        ("肖", 0.6), ("田", 0.5), ("董", 0.5), ("潘", 0.6), ("袁", 0.5), ("蔡", 0.5), ("蒋", 0.6), ("余", 0.5),
        ("于", 0.5), ("杜", 0.4), ("叶", 0.6), ("程", 0.4), ("魏", 0.4), ("苏", 0.4), ("吕", 0.4), ("丁", 0.4),
        ("任", 0.4), ("卢", 0.4), ("姚", 0.4), ("沈", 0.6), ("钟", 0.3), ("姜", 0.3), ("崔", 0.3), ("谭", 0.3),
        ("陆", 0.4), ("范", 0.3), ("汪", 0.4), ("金", 0.4), ("方", 0.4), ("楼", 0.1), ("俞", 0.2), ("章", 0.2),
        ("应", 0.1), ("邵", 0.2), ("欧阳", 0.05), ("诸葛", 0.01),
    ];

    private static readonly string[] MaleChars =
        "伟 强 磊 军 勇 杰 涛 明 超 斌 鹏 辉 华 建 国 文 俊 浩 宇 轩 博 晨 航 睿 泽 子 一 天 思 志 峰 龙 波 刚 平 东 海 林 凯 鑫 毅 锋 新 民 成 荣 俊 豪 宏 家 铭 昊 然 梓 皓 瑞"
            .Split(' ');
    private static readonly string[] FemaleChars =
        "芳 娜 敏 静 丽 艳 娟 霞 秀 英 玲 燕 红 梅 琳 雪 婷 颖 倩 佳 欣 怡 悦 涵 诗 雨 梦 妍 琪 瑶 雅 萱 可 馨 彤 晓 慧 丹 萍 洁 莉 蓉 薇 露 月 桂 兰 珍 云 凤 美 晴 宁 心 语"
            .Split(' ');

    private static readonly string[] PlaceFirst =
        "翠 华 嘉 景 明 新 和 丰 桂 兴 安 湖 锦 盛 荷 枫 康 梅 清 祥 云 金 银 文 紫 青 绿 春 秋 湘 德 福 瑞 东 西 南 北 古 长 永 平 星 月 绍 宝 茶 竹 松 柳 桃 杏"
            .Split(' ');
    private static readonly string[] PlaceSecond =
        "苑 园 湾 塘 桥 浦 墩 荡 坞 溪 港 亭 庄 林 里 坊 府 门 街 岭 山 湖 河 阳 晖 城 都 庭 家 苑"
            .Split(' ');
    private static readonly string[] RoadRoots =
        ("文一 文二 文三 学院 教工 古墩 莫干山 天目山 延安 解放 庆春 凤起 体育场 东新 石桥 秋涛 江南 滨盛 江陵 市心 金城 人民 南苑 迎宾 星光 " +
        "丰潭 紫金港 余杭塘 五常 良睦 西溪 留和 转塘 之江 复兴 钱江 新塘 艮山 机场 德胜 大关 上塘 登云 湖墅 莫干 丽水 祥园 拱康 沈半 " +
        "通惠 育才 建设 萧然 金惠 潘水 北干 山阴 博奥 鸿宁 宁围 杭州湾 义蓬 学林 文渊 文泽 高沙 幸福 启航 临平 藕花洲 世纪 东湖 星桥 " +
        "富春 金桥 桂花 恩波 鹳山 横凉亭 锦城 钱王 天目 衣锦 城中 迎春 桐君 白云源 千岛湖 排岭 环湖 新安江 严州 洋溪 梅城 金秋 春江 枫华")
            .Split(' ');
    private static readonly string[] BrandFirst =
        "华 恒 瑞 信 达 鼎 宏 卓 创 博 聚 海 天 中 新 立 正 元 汇 嘉 锦 明 泰 诚 益 盛 睿 智 远 通 安 康 润 利 佳 兴 浩 晟 腾 凯"
            .Split(' ');
    private static readonly string[] BrandSecond =
        "信 达 泰 源 丰 联 辉 远 星 宇 盛 通 华 创 昌 泽 晖 诚 科 恒 越 隆 瑞 成 峰 讯 润 阳 弘 祥"
            .Split(' ');

    public static readonly Industry[] Industries =
    [
        new("A0141", "蔬菜种植", "农业开发", 1.0, 0.3),
        new("C1713", "棉印染精加工", "印染", 1.0, 0.9),
        new("C1819", "其他机织服装制造", "服饰", 2.5, 0.8),
        new("C2231", "纸和纸板容器制造", "包装", 1.0, 0.8),
        new("C2641", "涂料制造", "化工", 0.6, 1.2),
        new("C2710", "化学药品原料药制造", "医药", 0.4, 2.0),
        new("C2929", "塑料零件及其他塑料制品制造", "塑业", 1.5, 0.8),
        new("C3311", "金属结构制造", "钢结构", 1.0, 0.9),
        new("C3484", "机械零部件加工", "机械", 2.0, 0.9),
        new("C3670", "汽车零部件及配件制造", "汽车配件", 1.2, 1.1),
        new("C3824", "电力电子元器件制造", "电气", 0.8, 1.2),
        new("C3911", "计算机整机制造", "电子", 0.5, 1.5),
        new("C3981", "电阻电容电感元件制造", "电子元件", 0.6, 1.2),
        new("E4710", "住宅房屋建筑", "建设工程", 2.0, 1.0),
        new("E5012", "住宅装饰和装修", "装饰工程", 3.0, 0.6),
        new("F5132", "服装批发", "服饰商贸", 4.0, 0.7),
        new("F5211", "百货零售", "商贸", 5.0, 0.6),
        new("F5212", "超级市场零售", "超市", 2.0, 0.6),
        new("F5292", "互联网零售", "电子商务", 5.0, 1.0),
        new("G5431", "普通货物道路运输", "物流", 2.0, 0.6),
        new("G6020", "快递服务", "快递", 1.0, 0.5),
        new("H6110", "旅游饭店", "酒店管理", 1.0, 0.7),
        new("H6210", "正餐服务", "餐饮管理", 5.0, 0.4),
        new("H6220", "快餐服务", "餐饮", 3.0, 0.4),
        new("I6432", "互联网生活服务平台", "网络科技", 2.0, 1.8),
        new("I6513", "应用软件开发", "软件", 5.0, 1.6),
        new("I6520", "集成电路设计", "微电子", 0.6, 2.0),
        new("I6531", "信息系统集成服务", "信息技术", 3.0, 1.4),
        new("J6621", "商业银行服务", "金融服务", 0.2, 3.0),
        new("K7010", "房地产开发经营", "房地产开发", 1.0, 3.0),
        new("K7020", "物业管理", "物业管理", 2.0, 0.5),
        new("L7212", "投资与资产管理", "投资管理", 2.0, 1.5),
        new("L7259", "其他广告服务", "文化传媒", 3.0, 0.8),
        new("M7310", "自然科学研究和试验发展", "生物科技", 1.0, 1.2),
        new("O8010", "家庭服务", "家政服务", 2.0, 0.3),
        new("O8040", "理发及美容服务", "美容美发", 3.0, 0.3),
        new("P8394", "职业技能培训", "教育科技", 2.0, 0.6),
        new("Q8421", "社区卫生服务中心(站)", "健康管理", 0.3, 0.5),
    ];

    public static readonly Weighted<Industry> IndustryTable = new(Industries.Select(i => (i, i.Weight)).ToList());

    private static readonly Weighted<string> Surnames = new(SurnameWeights.Select(s => (s.Item1, s.Item2)).ToList());

    public string Surname(ref Rng rng) => Surnames.Pick(ref rng);

    /// <summary>A given name of one or two characters (two in three).</summary>
    public string GivenName(ref Rng rng, bool male)
    {
        var pool = male ? MaleChars : FemaleChars;
        return rng.Chance(0.68) ? rng.Pick(pool) + rng.Pick(pool) : rng.Pick(pool);
    }

    public string CommunityRoot(ref Rng rng) => rng.Pick(PlaceFirst) + rng.Pick(PlaceSecond);

    public string Road(ref Rng rng)
    {
        var root = rng.Chance(0.6) ? rng.Pick(RoadRoots) : rng.Pick(PlaceFirst) + rng.Pick(PlaceSecond);
        var direction = rng.Chance(0.2) ? rng.Pick(["东", "西", "南", "北", "中"]) : "";
        var u = rng.NextDouble();
        var suffix = u < 0.6 ? "路" : u < 0.75 ? "街" : u < 0.85 ? "大道" : "巷";
        return root + direction + suffix;
    }

    public string Brand(ref Rng rng) => rng.Pick(BrandFirst) + rng.Pick(BrandSecond);
}
