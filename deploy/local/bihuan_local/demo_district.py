"""The demo district's data: ~40 units of a Shanghai-like district (bureaus and streets), its leaders in charge, and a
target book of 77 key tasks split into 221 sub-items across the five categories (Xuhui 2017's numbers), with monthly
and quarterly milestones. Deterministic: the same codes every run, so seeding is idempotent."""
from datetime import date

SCOPE = "demo"
SCOPE_NAME = "演示区（徐汇）"

# code, name, kind, assessment group, leader in charge
UNITS = [
    ("U-FGW", "区发展和改革委员会", "line_department", "委办局", "L-WANG"),
    ("U-KW", "区科学技术委员会", "line_department", "委办局", "L-WANG"),
    ("U-ZSCQ", "区知识产权局", "line_department", "委办局", "L-WANG"),
    ("U-SW", "区商务委员会", "line_department", "委办局", "L-WANG"),
    ("U-CZ", "区财政局", "line_department", "委办局", "L-WANG"),
    ("U-TJ", "区统计局", "line_department", "委办局", "L-WANG"),
    ("U-SJ", "区审计局", "line_department", "委办局", "L-WANG"),
    ("U-JY", "区教育局", "line_department", "委办局", "L-ZHAO"),
    ("U-WJW", "区卫生健康委员会", "line_department", "委办局", "L-ZHAO"),
    ("U-MZ", "区民政局", "line_department", "委办局", "L-ZHAO"),
    ("U-RS", "区人力资源和社会保障局", "line_department", "委办局", "L-ZHAO"),
    ("U-WL", "区文化和旅游局", "line_department", "委办局", "L-ZHAO"),
    ("U-TY", "区体育局", "line_department", "委办局", "L-ZHAO"),
    ("U-TYJR", "区退役军人事务局", "line_department", "委办局", "L-ZHAO"),
    ("U-GH", "区规划和自然资源局", "line_department", "委办局", "L-LI"),
    ("U-JS", "区建设和管理委员会", "line_department", "委办局", "L-LI"),
    ("U-FG", "区住房保障和房屋管理局", "line_department", "委办局", "L-LI"),
    ("U-LH", "区绿化和市容管理局", "line_department", "委办局", "L-LI"),
    ("U-HB", "区生态环境局", "line_department", "委办局", "L-LI"),
    ("U-CGZF", "区城市管理行政执法局", "line_department", "委办局", "L-LI"),
    ("U-SC", "区市场监督管理局", "line_department", "委办局", "L-CHEN"),
    ("U-YJ", "区应急管理局", "line_department", "委办局", "L-CHEN"),
    ("U-GA", "区公安分局", "line_department", "委办局", "L-CHEN"),
    ("U-SF", "区司法局", "line_department", "委办局", "L-CHEN"),
    ("U-DSJ", "区大数据中心", "line_department", "委办局", "L-ZHOU"),
    ("U-ZWB", "区政务服务办公室", "line_department", "委办局", "L-ZHOU"),
    ("U-TP", "天平路街道", "territorial", "街镇", "L-ZHANG"),
    ("U-HN", "湖南路街道", "territorial", "街镇", "L-ZHANG"),
    ("U-XJH", "徐家汇街道", "territorial", "街镇", "L-ZHANG"),
    ("U-XT", "斜土路街道", "territorial", "街镇", "L-ZHANG"),
    ("U-FL", "枫林路街道", "territorial", "街镇", "L-ZHANG"),
    ("U-CQ", "长桥街道", "territorial", "街镇", "L-ZHANG"),
    ("U-TL", "田林街道", "territorial", "街镇", "L-ZHANG"),
    ("U-HM", "虹梅路街道", "territorial", "街镇", "L-LI"),
    ("U-KJ", "康健新村街道", "territorial", "街镇", "L-LI"),
    ("U-LY", "凌云路街道", "territorial", "街镇", "L-LI"),
    ("U-LHJ", "龙华街道", "territorial", "街镇", "L-LI"),
    ("U-CHJ", "漕河泾街道", "territorial", "街镇", "L-ZHOU"),
    ("U-HJ", "华泾镇", "territorial", "街镇", "L-ZHOU"),
    ("U-KFQ", "漕河泾开发区管委会", "provincial_or_enterprise", "驻区单位", "L-ZHOU"),
]

LEADERS = [
    ("L-WANG", "王建国", "常务副区长"), ("L-LI", "李海燕", "副区长"), ("L-ZHANG", "张伟", "副区长"),
    ("L-CHEN", "陈立新", "副区长"), ("L-ZHAO", "赵敏", "副区长"), ("L-ZHOU", "周斌", "副区长"),
]

BUREAUS = [u[0] for u in UNITS if u[2] == "line_department"]
STREETS = [u[0] for u in UNITS if u[2] == "territorial"]
LEADER_OF = {u[0]: u[4] for u in UNITS}

# area code, area, key tasks (title, lead unit, quantitative sub-item: (what, unit of measure, baseline, target))
AREAS = [
    ("KJ", "科技创新", [
        ("每万人口发明专利拥有量达到69件", "U-ZSCQ", ("发明专利拥有量", "件/万人", 60, 69)),
        ("建设徐汇人工智能产业集聚区", "U-KW", ("新增人工智能企业", "家", 0, 40)),
        ("推进漕河泾科创走廊建设", "U-KFQ", ("新增孵化面积", "万平方米", 0, 12)),
        ("实施高新技术企业培育计划", "U-KW", ("新认定高新技术企业", "家", 0, 120)),
        ("打造生命健康产业高地", "U-FGW", ("落地重点项目", "个", 0, 15)),
        ("推进科技成果转化", "U-KW", ("技术合同成交额", "亿元", 0, 80)),
        ("建设知识产权保护中心", "U-ZSCQ", ("维权援助案件", "件", 0, 300)),
        ("推进校区园区社区联动", "U-KW", ("共建创新平台", "个", 0, 10)),
        ("加快在线新经济发展", "U-SW", ("在线新经济企业营收增长", "%", 0, 15)),
        ("培育专精特新企业", "U-SW", ("新增专精特新企业", "家", 0, 50)),
    ]),
    ("CY", "产业发展", [
        ("徐家汇商圈能级提升", "U-SW", ("商圈销售额增长", "%", 0, 8)),
        ("滨江金融城招商引资", "U-FGW", ("新引进金融机构", "家", 0, 30)),
        ("推进楼宇经济提质增效", "U-SW", ("亿元楼宇", "幢", 60, 66)),
        ("发展夜间经济", "U-SW", ("夜间经济集聚区", "个", 2, 5)),
        ("推进文化创意产业发展", "U-WL", ("文创企业营收增长", "%", 0, 10)),
        ("稳定就业促进创业", "U-RS", ("新增就业岗位", "个", 0, 25000)),
        ("推进服务业扩大开放", "U-SW", ("外资总部新认定", "家", 0, 6)),
        ("加大重大产业项目推进力度", "U-FGW", ("完成产业投资", "亿元", 0, 90)),
        ("优化财政资金使用绩效", "U-CZ", ("绩效评价覆盖率", "%", 60, 100)),
    ]),
    ("JS", "城市建设", [
        ("推进徐汇滨江公共空间贯通", "U-JS", ("新增贯通岸线", "公里", 0, 3)),
        ("实施旧住房综合改造", "U-FG", ("完成改造面积", "万平方米", 0, 45)),
        ("推进既有多层住宅加装电梯", "U-FG", ("完成加装电梯", "台", 0, 260)),
        ("建设轨道交通配套工程", "U-JS", ("完成配套道路", "条", 0, 6)),
        ("推进城市更新重点地块开发", "U-GH", ("完成地块收储", "幅", 0, 8)),
        ("新建改建公共停车泊位", "U-JS", ("新增泊位", "个", 0, 1500)),
        ("推进海绵城市建设", "U-JS", ("海绵城市达标面积", "平方公里", 10, 14)),
        ("实施架空线入地和合杆整治", "U-JS", ("完成架空线入地", "公里", 0, 20)),
        ("建设保障性租赁住房", "U-FG", ("筹措保障性租赁住房", "套", 0, 3000)),
    ]),
    ("CG", "城市管理", [
        ("虹梅路街道沿河违法建筑拆除", "U-HM", ("拆除违法建筑", "处", 0, 15)),
        ("推进生活垃圾分类实效", "U-LH", ("湿垃圾分出量", "吨/日", 300, 360)),
        ("开展美丽街区建设", "U-LH", ("建成美丽街区", "个", 0, 12)),
        ("城市网格化管理提质", "U-CGZF", ("网格案件结案率", "%", 90, 98)),
        ("整治无证无照经营", "U-SC", ("完成整治点位", "处", 0, 400)),
        ("推进架空线与店招店牌治理", "U-CGZF", ("规范店招店牌", "块", 0, 1200)),
        ("提升道路保洁质量", "U-LH", ("机械化清扫率", "%", 85, 95)),
        ("开展拆违控违专项行动", "U-CGZF", ("拆除违法建筑面积", "万平方米", 0, 8)),
        ("推进燃气安全隐患整治", "U-YJ", ("完成隐患整改", "处", 0, 900)),
    ]),
    ("ST", "生态环境", [
        ("推进中小河道综合整治", "U-HB", ("消除劣V类水体", "条", 0, 5)),
        ("建设口袋公园和绿道", "U-LH", ("新建口袋公园", "座", 0, 10)),
        ("开展大气污染防治", "U-HB", ("PM2.5年均浓度", "微克/立方米", 35, 30)),
        ("推进公共机构节能", "U-FGW", ("单位面积能耗下降", "%", 0, 3)),
        ("实施立体绿化建设", "U-LH", ("新增立体绿化", "万平方米", 0, 3)),
        ("加强工地扬尘管控", "U-JS", ("扬尘在线监测覆盖率", "%", 80, 100)),
        ("建设生态清洁小流域", "U-HB", ("完成治理面积", "平方公里", 0, 4)),
        ("推进新能源汽车充电设施", "U-FGW", ("新建充电桩", "个", 0, 2000)),
    ]),
    ("MS", "民生保障", [
        ("新建改扩建中小学和幼儿园", "U-JY", ("新增学位", "个", 0, 3200)),
        ("建设社区嵌入式养老服务", "U-MZ", ("新增养老床位", "张", 0, 600)),
        ("推进家庭医生签约服务", "U-WJW", ("重点人群签约率", "%", 70, 80)),
        ("建设15分钟社区生活圈", "U-GH", ("建成社区生活圈", "个", 0, 13)),
        ("新建长者食堂和助餐点", "U-MZ", ("新建助餐点", "个", 0, 20)),
        ("推进全民健身设施建设", "U-TY", ("新建健身步道", "公里", 0, 15)),
        ("实施公共文化惠民工程", "U-WL", ("举办文化活动", "场", 0, 1200)),
        ("开展困难群众帮扶", "U-MZ", ("帮扶困难家庭", "户", 0, 2500)),
        ("提升医疗服务能级", "U-WJW", ("新建社区卫生服务站", "个", 0, 6)),
        ("做好退役军人服务保障", "U-TYJR", ("建成服务站点", "个", 0, 14)),
        ("推进托育服务体系建设", "U-JY", ("新增托育托位", "个", 0, 800)),
        ("建设无障碍环境", "U-MZ", ("完成无障碍改造", "处", 0, 300)),
    ]),
    ("ZL", "社会治理", [
        ("深化“一网统管”城市运行", "U-DSJ", ("接入城运场景", "个", 0, 30)),
        ("提升12345热线办理质效", "U-ZWB", ("工单按时办结率", "%", 90, 98)),
        ("推进社区治理精细化", "U-MZ", ("建成睦邻中心", "个", 0, 13)),
        ("开展安全生产专项整治", "U-YJ", ("完成隐患排查企业", "家", 0, 5000)),
        ("深化平安徐汇建设", "U-GA", ("电信诈骗案件下降", "%", 0, 10)),
        ("推进法治政府建设", "U-SF", ("行政复议纠错率公开", "%", 0, 100)),
        ("加强食品药品安全监管", "U-SC", ("食品抽检批次", "批", 0, 6000)),
        ("推进审计整改落实", "U-SJ", ("问题整改完成率", "%", 0, 100)),
        ("完善应急管理体系", "U-YJ", ("开展应急演练", "场", 0, 120)),
        ("加强统计基层基础建设", "U-TJ", ("规范化统计站所", "个", 0, 14)),
    ]),
    ("YS", "营商环境", [
        ("区政务服务“一网通办”平台全面上线", "U-ZWB", ("事项全程网办率", "%", 70, 90)),
        ("推进“一件事一次办”", "U-ZWB", ("上线一件事", "件", 0, 25)),
        ("优化企业开办服务", "U-SC", ("企业开办时间压缩至", "天", 3, 1)),
        ("深化“证照分离”改革", "U-SC", ("改革事项覆盖率", "%", 80, 100)),
        ("建设政务数据共享平台", "U-DSJ", ("共享数据目录", "项", 0, 800)),
        ("推进“好差评”制度落实", "U-ZWB", ("差评整改率", "%", 90, 100)),
        ("落实减税降费政策", "U-CZ", ("为企业减负", "亿元", 0, 30)),
        ("开展营商环境专项督查", "U-FGW", ("督查点位", "个", 0, 60)),
        ("推进重点企业服务包制度", "U-SW", ("服务重点企业", "家", 0, 500)),
        ("提升街镇营商服务站能级", "U-SW", ("建成服务站", "个", 0, 14)),
    ]),
]

CATEGORIES = ["key_work", "special_work", "major_project", "public_service", "unit_work"]
SOURCES = ["区级", "市级交办", "区委要求", "人大要求", "政协要求"]
PHASES = ["制定实施方案并组织推进", "完成年度建设和推进任务"]


def _quarterly(year: int) -> list[date]:
    return [date(year, 3, 31), date(year, 6, 30), date(year, 9, 30), date(year, 12, 31)]


def _monthly(year: int) -> list[date]:
    import calendar
    return [date(year, m, calendar.monthrange(year, m)[1]) for m in range(3, 13)]


def _values(baseline: float, target: float, n: int) -> list[float]:
    step = (target - baseline) / n
    return [round(baseline + step * (i + 1), 2) for i in range(n - 1)] + [target]


def key_tasks(year: int, limit: int | None = None) -> list[dict]:
    """77 key tasks; the first 67 have three sub-items and the last 10 two: 67×3 + 10×2 = 221 sub-items."""
    tasks, n = [], 0
    for area_code, area, items in AREAS:
        for i, (title, lead, quant) in enumerate(items, start=1):
            n += 1
            if n > 77:
                break
            tasks.append({"n": n, "code": f"{year}-{area_code}-{i:02d}", "title": title, "area": area, "lead": lead,
                          "quant": quant, "subs": 3 if n <= 67 else 2})
    return tasks[:limit] if limit else tasks


def _partners(lead: str, n: int) -> tuple[list[str], list[str]]:
    """Most sub-items cross departments (Xuhui: >80%): a street responsible, a bureau cooperating."""
    street = STREETS[n % len(STREETS)]
    bureau = BUREAUS[(n * 7) % len(BUREAUS)]
    responsible = [street] if street != lead and n % 3 == 0 else []
    cooperating = [b for b in (bureau,) if b != lead] if n % 5 else []
    return responsible, cooperating


def target_specs(year: int, limit: int | None = None) -> list[tuple[dict, list[dict]]]:
    """(key task, its sub-items) as planning's TargetDraftIn bodies (without scope/year/parent_id)."""
    out = []
    for task in key_tasks(year, limit):
        n, lead = task["n"], task["lead"]
        category = CATEGORIES[n % 5]
        leader = LEADER_OF[lead]
        key = {"code": task["code"], "title": task["title"], "area": task["area"], "category": category,
               "source": SOURCES[n % len(SOURCES)], "lead_unit": lead, "responsible_units": [],
               "cooperating_units": [], "leader": leader, "weight": 1 + n % 3,
               "indicator": {"kind": "qualitative"},
               "milestones": [{"due_date": date(year, 12, 31).isoformat(), "deliverable": "全面完成年度目标任务"}]}
        subs = []
        what, uom, base, target = task["quant"]
        for s in range(1, task["subs"] + 1):
            responsible, cooperating = _partners(lead, n * 3 + s)
            monthly = (n + s) % 3 == 0
            dates = _monthly(year) if monthly else _quarterly(year)
            common = {"code": f"{task['code']}-{s}", "area": task["area"], "category": category,
                      "source": key["source"], "lead_unit": lead, "responsible_units": responsible,
                      "cooperating_units": cooperating, "leader": leader, "weight": 1}
            if s == 1:
                direction = "down" if target < base else "up"
                values = _values(base, target, len(dates))
                subs.append({**common, "title": f"{task['title']}：{what}{'降至' if direction == 'down' else '达到'}{target:g}{uom}",
                             "indicator": {"kind": "quantitative", "unit_of_measure": uom, "baseline": base,
                                           "target_value": target, "direction": direction, "cumulative": True},
                             "milestones": [{"due_date": d.isoformat(), "expected_value": v} for d, v in zip(dates, values)]})
            else:
                phase = PHASES[(s - 2) % len(PHASES)]
                subs.append({**common, "title": f"{task['title']}：{phase}", "indicator": {"kind": "qualitative"},
                             "milestones": [{"due_date": d.isoformat(),
                                             "deliverable": f"{d.month}月底前完成阶段任务（第{i + 1}步）"}
                                            for i, d in enumerate(dates)]})
        out.append((key, subs))
    return out


# Eleven sub-items lag in Q1; most for objective reasons (Xuhui: "大部分为客观原因").
LAG_REASONS = [
    ("objective", "policy_change", "受市级政策调整影响，项目审批流程顺延"),
    ("objective", "other", "地块动迁协商尚未完成，施工无法进场"),
    ("objective", "weather", "受连续雨雪天气影响，室外施工暂停"),
    ("objective", "funding", "上级部门配套资金尚未下达"),
    ("objective", "external_approval", "管线搬迁需等待市属单位排期审批"),
    ("objective", "other", "招标投标出现流标，需重新组织招标"),
    ("objective", "external_approval", "涉及跨区协调，方案尚在市级层面审议"),
    ("objective", "other", "供应商设备交付延期"),
    ("subjective", "subjective", "前期方案论证不充分，推进节奏偏慢"),
    ("subjective", "subjective", "责任科室人员调整，工作衔接不到位"),
    ("subjective", "subjective", "对节点要求理解偏差，材料准备不足"),
]


def lagging_codes(subs: list[str]) -> list[str]:
    """Eleven sub-item codes spread across the book (every 20th), stable between runs."""
    return [subs[i] for i in range(7, len(subs), 20)][:11]
