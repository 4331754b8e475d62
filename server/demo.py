"""Demo data for `crm-server demo`: a small bank in Hangzhou with realistic customers.

Everything is written through the product's own services (orgs, users, approvals,
customers, households and their statements), so search keys, customer numbers, field
history and audit rows are made exactly as in production. Deterministic: the same seed
gives the same data.
"""
from __future__ import annotations

import os
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import uscc as stdnum_uscc

from server import access
from server.context import Actor
from server.models import Customer, User
from server.services import approvals, finance, orgs, users
from server.services import customers as customer_svc
from shared.enums import (
    CustomerType,
    Education,
    Gender,
    IncomeBand,
    LifecycleStage,
    MaritalStatus,
    OrgKind,
    Position,
    Relation,
    Role,
)
from shared.permissions import Action
from shared.schemas import (
    BalanceSheetLineIn,
    CustomerCreate,
    CustomerRead,
    CustomerUpdate,
    HouseholdIn,
    HouseholdMemberIn,
    IncomeStatementLineIn,
    OrgCreate,
    UserCreate,
    UserUpdate,
)
from shared.validators import id_check_char

#: One password for every demo login (satisfies shared/passwords.py).
DEMO_PASSWORD = "Demo-Branch-2026"
#: The demo bank's name on printed statements (`CRM_BANK_NAME`, unless one is set).
DEMO_BANK = "杭州示范商业银行"
SEED = 20260101
#: Ages are computed against a fixed date so that the data does not depend on the day it is made.
REF_DATE = date(2026, 1, 1)
MIN_AGE, MAX_AGE = 20, 80

# ----------------------------------------------------------------------------- names
# Surnames with approximate relative frequency (per mille, census-based rankings).
SURNAMES = [
    ("王", 71.5), ("李", 72.0), ("张", 68.6), ("刘", 53.8), ("陈", 45.3), ("杨", 31.0),
    ("黄", 22.5), ("赵", 20.0), ("吴", 20.4), ("周", 19.7), ("徐", 15.8), ("孙", 15.4),
    ("马", 15.3), ("朱", 14.5), ("胡", 13.9), ("郭", 13.8), ("何", 12.5), ("高", 12.4),
    ("林", 12.1), ("罗", 11.7), ("郑", 11.0), ("梁", 10.3), ("谢", 8.3), ("宋", 8.0),
    ("唐", 7.8), ("许", 7.2), ("韩", 7.1), ("冯", 7.0), ("邓", 7.0), ("曹", 6.9),
    ("彭", 6.5), ("曾", 6.3), ("肖", 6.2), ("田", 6.1), ("董", 6.0), ("袁", 5.8),
    ("潘", 5.6), ("于", 5.5), ("蒋", 5.5), ("蔡", 5.4), ("余", 5.2), ("杜", 5.1),
    ("叶", 5.0), ("程", 4.9), ("苏", 4.8), ("魏", 4.7), ("吕", 4.6), ("丁", 4.5),
    ("任", 4.4), ("沈", 4.3), ("姚", 4.2), ("卢", 4.1), ("姜", 4.0), ("崔", 3.9),
    ("钟", 3.8), ("谭", 3.7), ("陆", 3.6), ("汪", 3.5), ("范", 3.5), ("金", 3.4),
    ("石", 3.3), ("廖", 3.3), ("贾", 3.2), ("夏", 3.1), ("韦", 3.0), ("付", 3.0),
    ("方", 2.9), ("白", 2.8), ("邹", 2.8), ("孟", 2.7), ("熊", 2.7), ("秦", 2.6),
    ("邱", 2.6), ("江", 2.5), ("尹", 2.5), ("薛", 2.4), ("闫", 2.4), ("段", 2.3),
    ("雷", 2.3), ("侯", 2.2), ("龙", 2.2), ("史", 2.1), ("陶", 2.1), ("黎", 2.0),
    ("贺", 2.0), ("顾", 1.9), ("毛", 1.9), ("郝", 1.8), ("龚", 1.8), ("邵", 1.7),
    ("万", 1.7), ("钱", 1.6), ("严", 1.6), ("覃", 1.5), ("武", 1.5), ("戴", 1.5),
    ("莫", 1.4), ("孔", 1.4), ("向", 1.3), ("汤", 1.3), ("常", 1.2), ("温", 1.2),
    ("康", 1.1), ("施", 1.1), ("文", 1.0), ("牛", 1.0), ("樊", 1.0), ("葛", 0.9),
    ("邢", 0.9), ("安", 0.8), ("齐", 0.8), ("易", 0.8), ("乔", 0.8), ("伍", 0.7),
    ("庞", 0.7), ("颜", 0.7), ("倪", 0.7), ("庄", 0.6), ("聂", 0.6), ("章", 0.6),
    ("鲁", 0.6), ("岳", 0.6), ("翟", 0.5), ("殷", 0.5), ("詹", 0.5), ("申", 0.5),
    ("单", 0.5), ("耿", 0.5), ("关", 0.5), ("兰", 0.4), ("焦", 0.4), ("俞", 0.4),
    ("左", 0.4), ("柳", 0.4), ("甘", 0.4), ("祝", 0.4), ("包", 0.4), ("宁", 0.4),
]
#: About 1% of names get one of these compound surnames.
COMPOUND_SURNAMES = ["欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "令狐", "司徒", "夏侯", "尉迟", "公孙"]
COMPOUND_SHARE = 0.01
MALE_GIVEN = list(dict.fromkeys(
    "伟强磊军洋勇杰涛明超刚平辉鹏宇浩轩博俊晨志国庆海峰波斌鑫亮凯东林荣成德新龙永生福金利清宏家豪"
    "天一阳光哲睿宸瑞泽楠航铭翔鸿坤伦彬锋昊晟煜朗逸凡熙瀚翰烨晖旭然安乐和顺祥兴昌松柏山川江"
    "立振武毅坚诚信仁义智贤达远恒书学文章剑勤勋卓卫厚友同君启善民建华"))
FEMALE_GIVEN = list(dict.fromkeys(
    "芳娜敏静丽艳娟秀霞桂英玉萍红兰涵梓欣怡佳琪思雨嘉悦婷雪梅琳丹慧倩颖晶莹燕春云诗晓媛洁蕾瑶"
    "菲蓉薇婉露璐彤娇莉萌雯婧妍茜蕊昕瑜琼茹璇淑贞珍凤翠雅娴佩蓓婕琴筱晴霖岚瑾璟珂珊馨嫣娅姝妮"
    "若紫芸芝芬秋素艺宁"))

# ----------------------------------------------------------------------------- places
PROVINCE_CITY = "浙江省杭州市"
#: Branches: code, name, district, the district's area code, roads; sub-branches (name, road).
BRANCHES = [
    ("BR01", "城东支行", "上城区", "330102",
     ["解放路", "庆春路", "望江路", "秋涛路", "江城路", "复兴路", "建国南路", "清泰街", "凤起东路", "九堡大道"],
     [("庆春路分理处", "庆春路"), ("望江分理处", "望江路")]),
    ("BR02", "城西支行", "西湖区", "330106",
     ["文三路", "文二路", "天目山路", "古墩路", "教工路", "学院路", "西溪路", "留和路", "紫金港路", "文一西路"],
     [("文三路分理处", "文三路"), ("古墩路分理处", "古墩路")]),
    ("BR03", "高新区支行", "滨江区", "330108",
     ["江南大道", "滨盛路", "长河路", "网商路", "江虹路", "东信大道", "浦沿路", "聚才路", "六和路", "火炬大道"],
     [("江南大道分理处", "江南大道"), ("长河分理处", "长河路")]),
]
#: Area codes of people born or first registered in Hangzhou (some since renamed: people keep them).
LOCAL_AREAS = ["330102", "330103", "330104", "330105", "330106", "330108", "330109", "330110", "330122",
               "330127", "330182", "330183", "330185"]
PROVINCE_AREAS = ["330203", "330205", "330302", "330381", "330402", "330502", "330602", "330621", "330702",
                  "330782", "330802", "331002", "331081", "331102"]
OTHER_AREAS = ["340104", "341203", "342401", "410102", "411302", "360102", "362201", "420106", "430102",
               "510107", "511302", "320102", "320583", "310104", "350102", "370102", "110108", "610113",
               "520102", "450102", "230103", "220102", "130104", "140105", "500103", "440106"]
ESTATES = ["东方郡", "金都华府", "阳光城", "钱江花园", "翠苑一区", "紫荆花园", "南都花园", "绿城桂花园", "星耀城",
           "文鼎苑", "景湖苑", "明月江南", "春江花月", "嘉绿苑", "白马公寓", "水澄花园", "新湖香格里拉", "耀江文鼎苑"]
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
                   "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181",
                   "182", "183", "185", "186", "187", "188", "189", "191", "193", "195", "198", "199"]

# ----------------------------------------------------------------------------- work
#: occupation -> (weight, employers, income bands, education choices); employers may be templates.
OCCUPATIONS: dict[str, tuple[float, list[str], list[IncomeBand], list[Education]]] = {
    "教师": (8, ["杭州市{d}实验小学", "杭州学军中学", "杭州市第十四中学", "浙江大学", "浙江工业大学", "杭州师范大学"],
             [IncomeBand.FROM_100K_TO_300K, IncomeBand.FROM_50K_TO_100K], [Education.BACHELOR, Education.MASTER]),
    "医生": (5, ["浙江大学医学院附属第一医院", "浙江省人民医院", "杭州市第一人民医院", "杭州市中医院", "{d}社区卫生服务中心"],  # noqa: E501 - data
             [IncomeBand.FROM_100K_TO_300K, IncomeBand.FROM_300K_TO_1M],
             [Education.BACHELOR, Education.MASTER, Education.DOCTORATE]),
    "护士": (4, ["浙江省人民医院", "杭州市第一人民医院", "浙江大学医学院附属邵逸夫医院", "{d}社区卫生服务中心"],
             [IncomeBand.FROM_50K_TO_100K, IncomeBand.FROM_100K_TO_300K], [Education.VOCATIONAL, Education.BACHELOR]),
    "工程师": (10, ["阿里巴巴（中国）有限公司", "网易（杭州）网络有限公司", "杭州海康威视数字技术股份有限公司",
                   "浙江大华技术股份有限公司", "新华三技术有限公司", "杭州{c}科技有限公司"],
               [IncomeBand.FROM_100K_TO_300K, IncomeBand.FROM_300K_TO_1M], [Education.BACHELOR, Education.MASTER]),
    "程序员": (6, ["阿里巴巴（中国）有限公司", "网易（杭州）网络有限公司", "杭州{c}网络科技有限公司", "蚂蚁科技集团股份有限公司"],  # noqa: E501 - data
               [IncomeBand.FROM_100K_TO_300K, IncomeBand.FROM_300K_TO_1M], [Education.BACHELOR, Education.MASTER]),
    "会计": (6, ["浙江天健会计师事务所", "杭州{c}贸易有限公司", "杭州{c}实业有限公司", "{d}财政局"],
             [IncomeBand.FROM_50K_TO_100K, IncomeBand.FROM_100K_TO_300K], [Education.VOCATIONAL, Education.BACHELOR]),
    "公务员": (5, ["杭州市{d}人民政府", "国家税务总局杭州市{d}税务局", "杭州市市场监督管理局", "杭州市{d}人民法院"],
               [IncomeBand.FROM_100K_TO_300K], [Education.BACHELOR, Education.MASTER]),
    "个体经营者": (10, ["{r}{s}便利店", "{s}记面馆", "{r}五金店", "{s}氏服装店", "{r}水果店", "{s}家小吃店"],
                    [IncomeBand.FROM_50K_TO_100K, IncomeBand.FROM_100K_TO_300K, IncomeBand.FROM_300K_TO_1M],
                    [Education.JUNIOR_SECONDARY, Education.SENIOR_SECONDARY, Education.VOCATIONAL]),
    "销售": (7, ["杭州{c}贸易有限公司", "浙江{c}汽车销售服务有限公司", "杭州{c}置业有限公司", "杭州大厦有限公司"],
             [IncomeBand.FROM_50K_TO_100K, IncomeBand.FROM_100K_TO_300K],
             [Education.SENIOR_SECONDARY, Education.VOCATIONAL, Education.BACHELOR]),
    "企业管理人员": (5, ["杭州{c}实业有限公司", "浙江{c}集团有限公司", "杭州{c}科技有限公司"],
                     [IncomeBand.FROM_300K_TO_1M, IncomeBand.ABOVE_1M], [Education.BACHELOR, Education.MASTER]),
    "律师": (2, ["浙江天册律师事务所", "北京大成（杭州）律师事务所", "浙江{c}律师事务所"],
             [IncomeBand.FROM_300K_TO_1M, IncomeBand.FROM_100K_TO_300K], [Education.BACHELOR, Education.MASTER]),
    "快递员": (3, ["顺丰速运有限公司", "杭州{c}物流有限公司", "浙江菜鸟供应链管理有限公司"],
               [IncomeBand.FROM_50K_TO_100K], [Education.JUNIOR_SECONDARY, Education.SENIOR_SECONDARY]),
    "厨师": (2, ["杭州酒家", "楼外楼", "{s}记面馆"], [IncomeBand.FROM_50K_TO_100K],
             [Education.JUNIOR_SECONDARY, Education.VOCATIONAL]),
    "司机": (3, ["杭州市公共交通集团有限公司", "杭州{c}出租汽车有限公司", "杭州{c}物流有限公司"],
             [IncomeBand.FROM_50K_TO_100K], [Education.JUNIOR_SECONDARY, Education.SENIOR_SECONDARY]),
    "设计师": (3, ["杭州{c}文化创意有限公司", "中国美术学院风景建筑设计研究总院有限公司", "杭州{c}装饰工程有限公司"],
               [IncomeBand.FROM_100K_TO_300K, IncomeBand.FROM_50K_TO_100K], [Education.BACHELOR, Education.MASTER]),
    "工人": (4, ["杭州{c}机械有限公司", "杭州钢铁集团有限公司", "杭州{c}纺织有限公司"],
             [IncomeBand.BELOW_50K, IncomeBand.FROM_50K_TO_100K],
             [Education.PRIMARY, Education.JUNIOR_SECONDARY, Education.SENIOR_SECONDARY]),
}
COMPANY_WORDS = ["明达", "华盛", "恒信", "宏远", "金鼎", "天成", "瑞丰", "博源", "中恒", "新锐", "东升", "汇通",
                 "致远", "嘉禾", "顺和", "创维", "佳宁", "云帆", "星辰", "安泰"]
CORPORATE_KINDS = [("科技有限公司", "65"), ("贸易有限公司", "51"), ("网络科技有限公司", "64"), ("建筑工程有限公司", "48"),  # noqa: E501 - data
                   ("餐饮管理有限公司", "62"), ("电子商务有限公司", "52"), ("物流有限公司", "58"), ("医疗器械有限公司", "51"),  # noqa: E501 - data
                   ("文化传媒有限公司", "72"), ("食品有限公司", "14"), ("服装有限公司", "18"), ("实业有限公司", "51")]

# ----------------------------------------------------------------------------- staff
#: username, display name, role, position, org key ("HO", "B1" = branch 1, "B1S1" = its first sub-branch)
STAFF = [
    ("admin", "王建国", Role.HEAD_OFFICE_ADMIN, Position.STAFF, "HO"),
    ("admin2", "李淑芬", Role.HEAD_OFFICE_ADMIN, Position.STAFF, "HO"),
    ("auditor", "赵志刚", Role.AUDITOR, Position.STAFF, "HO"),
    ("president", "陈国华", Role.BRANCH_MANAGER, Position.BRANCH_PRESIDENT, "B1"),
    ("manager", "刘晓燕", Role.ACCOUNT_MANAGER, Position.ACCOUNT_MANAGER, "B1"),
    ("manager2", "张伟", Role.ACCOUNT_MANAGER, Position.ACCOUNT_MANAGER, "B1"),
    ("teller", "周敏", Role.TELLER, Position.STAFF, "B1S1"),
    ("cx_president", "孙立新", Role.BRANCH_MANAGER, Position.BRANCH_PRESIDENT, "B2"),
    ("cx_manager1", "黄丽娟", Role.ACCOUNT_MANAGER, Position.ACCOUNT_MANAGER, "B2"),
    ("cx_manager2", "吴俊杰", Role.ACCOUNT_MANAGER, Position.ACCOUNT_MANAGER, "B2"),
    ("gx_president", "徐海峰", Role.BRANCH_MANAGER, Position.BRANCH_PRESIDENT, "B3"),
    ("gx_manager1", "马静怡", Role.ACCOUNT_MANAGER, Position.ACCOUNT_MANAGER, "B3"),
    ("gx_manager2", "郑浩然", Role.ACCOUNT_MANAGER, Position.ACCOUNT_MANAGER, "B3"),
]
#: Share of the personal customers per branch, and within a branch per account manager
#: (the rest of a branch's customers are still unassigned).
BRANCH_SHARE = (0.40, 0.30, 0.30)
BOOKS = {"B1": [("manager", 0.55), ("manager2", 0.37)], "B2": [("cx_manager1", 0.50), ("cx_manager2", 0.42)],
         "B3": [("gx_manager1", 0.48), ("gx_manager2", 0.44)]}
PRESIDENTS = {"B1": "president", "B2": "cx_president", "B3": "gx_president"}


def demo_settings() -> dict[str, str]:
    """What a demo server sets beyond the defaults: the demo bank's name on statements,
    unless `CRM_BANK_NAME` names one."""
    return {} if os.environ.get("CRM_BANK_NAME") else {"bank_name": DEMO_BANK}


def _actor(user: User, action: Action) -> Actor:
    actor = access.acting_as(user, action, "demo")
    if actor is None:
        raise ValueError(f"{user.role} may not {action}")
    return actor


@dataclass
class _Person:
    name: str
    gender: Gender
    birth: date
    id_number: str
    phone: str
    address: str
    occupation: str | None
    employer: str | None
    marital: MaritalStatus
    education: Education
    income: IncomeBand
    stage: LifecycleStage


@dataclass
class _Gen:
    rng: random.Random
    ids: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._sur = [s for s, _ in SURNAMES]
        self._sur_w = [w for _, w in SURNAMES]

    # -- names
    def surname(self) -> str:
        if self.rng.random() < COMPOUND_SHARE:
            return self.rng.choice(COMPOUND_SURNAMES)
        return self.rng.choices(self._sur, self._sur_w)[0]

    def given(self, gender: Gender, birth_year: int) -> str:
        chars = MALE_GIVEN if gender == Gender.MALE else FEMALE_GIVEN
        # one-character given names were commoner in the 1950s-1990s
        two = self.rng.random() < (0.55 if birth_year < 1990 else 0.8)
        g = self.rng.choice(chars)
        if two:
            g += self.rng.choice([c for c in chars if c != g])
        return g

    # -- identifiers
    def birth_date(self, lo: int = MIN_AGE, hi: int = MAX_AGE) -> date:
        # working ages are commoner among a branch's customers than the very old
        age = min(hi, max(lo, round(self.rng.triangular(lo, hi, 42))))
        start = date(REF_DATE.year - age - 1, REF_DATE.month, REF_DATE.day) + timedelta(days=1)
        return start + timedelta(days=self.rng.randrange(365))

    def area(self, branch_area: str, birth: date) -> str:
        r = self.rng.random()
        if r < 0.35:
            return branch_area
        if r < 0.65:
            return self.rng.choice(LOCAL_AREAS)
        if r < 0.82:
            return self.rng.choice(PROVINCE_AREAS)
        return self.rng.choice(OTHER_AREAS)

    def id_number(self, area: str, birth: date, gender: Gender) -> str:
        while True:
            seq = self.rng.randrange(0, 100)
            g = self.rng.randrange(1, 10, 2) if gender == Gender.MALE else self.rng.randrange(0, 10, 2)
            body = f"{area}{birth:%Y%m%d}{seq:02d}{g}"
            idn = body + id_check_char(body)
            if idn not in self.ids:
                self.ids.add(idn)
                return idn

    def phone(self) -> str:
        while True:
            p = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(100_000_000):08d}"
            if p not in self.phones:
                self.phones.add(p)
                return p

    # -- places and work
    def address(self, district: str, roads: list[str]) -> str:
        road = self.rng.choice(roads)
        num = self.rng.randrange(1, 600)
        floor, room = self.rng.randrange(1, 19), self.rng.randrange(1, 5)
        if self.rng.random() < 0.5:
            estate = self.rng.choice(ESTATES)
            return (f"{PROVINCE_CITY}{district}{road}{num}号{estate}{self.rng.randrange(1, 21)}幢"
                    f"{self.rng.randrange(1, 4)}单元{floor}{room:02d}室")
        return f"{PROVINCE_CITY}{district}{road}{num}号{self.rng.randrange(1, 12)}幢{floor}{room:02d}室"

    def employer(self, template: str, district: str, surname: str, road: str) -> str:
        return template.format(d=district, c=self.rng.choice(COMPANY_WORDS), s=surname[0], r=road)

    def person(self, district: str, area_code: str, roads: list[str], *, name: str | None = None,
               gender: Gender | None = None, birth: date | None = None, surname: str | None = None,
               phone: str | None = None, address: str | None = None, marital: MaritalStatus | None = None
               ) -> _Person:
        rng = self.rng
        gender = gender or rng.choice([Gender.MALE, Gender.FEMALE])
        birth = birth or self.birth_date()
        age = REF_DATE.year - birth.year
        if name is None:
            name = (surname or self.surname()) + self.given(gender, birth.year)
        idn = self.id_number(self.area(area_code, birth), birth, gender)
        occ_names = list(OCCUPATIONS)
        occupation: str | None
        if age >= 60 and rng.random() < 0.8:
            occupation, employer = "退休", None
            income = rng.choice([IncomeBand.BELOW_50K, IncomeBand.FROM_50K_TO_100K])
            education = rng.choice([Education.PRIMARY, Education.JUNIOR_SECONDARY, Education.SENIOR_SECONDARY,
                                    Education.VOCATIONAL, Education.BACHELOR])
        elif age < 24 and rng.random() < 0.4:
            occupation, employer = "学生", rng.choice(["浙江大学", "浙江工业大学", "杭州电子科技大学", "浙江工商大学"])
            income = IncomeBand.BELOW_50K
            education = Education.SENIOR_SECONDARY if rng.random() < 0.6 else Education.BACHELOR
        else:
            occupation = rng.choices(occ_names, [OCCUPATIONS[o][0] for o in occ_names])[0]
            _w, employers, incomes, educations = OCCUPATIONS[occupation]
            employer = self.employer(rng.choice(employers), district, name, rng.choice(roads))
            if occupation == "个体经营者" and rng.random() < 0.3:
                employer = None
            income = rng.choice(incomes)
            education = rng.choice(educations)
            if rng.random() < 0.05:
                income = IncomeBand.ABOVE_1M
        if marital is None:
            if age < 26:
                marital = MaritalStatus.SINGLE if rng.random() < 0.85 else MaritalStatus.MARRIED
            else:
                marital = rng.choices([MaritalStatus.MARRIED, MaritalStatus.SINGLE, MaritalStatus.DIVORCED,
                                       MaritalStatus.WIDOWED],
                                      [80, max(2, 40 - age), 8, max(0, age - 55)])[0]
        stage = rng.choices(list(LifecycleStage), [15, 30, 45, 10])[0]
        return _Person(name=name, gender=gender, birth=birth, id_number=idn, phone=phone or self.phone(),
                       address=address or self.address(district, roads), occupation=occupation, employer=employer,
                       marital=marital, education=education, income=income, stage=stage)


def _org_code_check(body8: str) -> str:
    """GB 11714 check character of a 9-character organisation code."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body8, weights, strict=False))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def _uscc(rng: random.Random, area: str) -> str:
    """A unified social credit code: 9 (industry and commerce) 1 (enterprise), the area,
    a new-style organisation code MA + 6 characters + its check, the check character."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    while True:
        body8 = "MA" + "".join(rng.choice(alphabet) for _ in range(6))
        org = body8 + _org_code_check(body8)
        if org[-1] in alphabet:
            first17 = "91" + area + org
            return first17 + stdnum_uscc.calc_check_digit(first17)


def seed_demo(db: Session, customers: int = 360, seed: int = SEED) -> list[tuple[str, str, str]]:
    """Fill an empty, migrated database; return (username, role, org name) per demo login."""
    rng = random.Random(seed)
    gen = _Gen(rng)
    ho = orgs.ensure_head_office(db)
    db.commit()

    # -- the first two admins, as an operator makes them with `crm-server create-admin`
    by_name: dict[str, User] = {}
    for username in ("admin", "admin2"):
        by_name[username] = users.create_first_admin(db, username, DEMO_PASSWORD, ho.id)

    # -- the org tree
    org_ids: dict[str, int] = {"HO": ho.id}
    org_names: dict[int, str] = {ho.id: ho.name}
    org_manage = _actor(by_name["admin"], Action.ORG_MANAGE)
    for i, (code, name, _district, _area, _roads, subs) in enumerate(BRANCHES, 1):
        branch = orgs.create_org(db, org_manage, OrgCreate(code=code, name=name, kind=OrgKind.BRANCH,
                                                           parent_id=ho.id))
        org_ids[f"B{i}"], org_names[branch.id] = branch.id, branch.name
        for j, (sub_name, _road) in enumerate(subs, 1):
            s = orgs.create_org(db, org_manage, OrgCreate(code=f"{code}{j:02d}", name=f"{name}{sub_name}",
                                                          kind=OrgKind.SUB_BRANCH, parent_id=branch.id))
            org_ids[f"B{i}S{j}"], org_names[s.id] = s.id, s.name

    # -- staff: privileged roles through a maker-checker approval
    user_manage = _actor(by_name["admin"], Action.USER_CREATE)
    deciders = _actor(by_name["admin2"], Action.APPROVAL_DECIDE)
    for username, display, role, position, org_key in STAFF:
        if username in by_name:
            u = by_name[username]
            users.update_user(db, user_manage, u.id, UserUpdate(version=u.version, display_name=display))
            continue
        new = users.create_user(db, user_manage, UserCreate(username=username, password=DEMO_PASSWORD,
                                                             display_name=display, role=role,
                                                             org_id=org_ids[org_key], position=position))
        if isinstance(new, approvals.ApprovalRequest):
            approvals.decide(db, deciders, new.id, new.version, True, None)
            new = db.scalars(select(User).where(User.username_key == username)).one()
        by_name[username] = new

    # -- personal customers
    created: dict[str, list[CustomerRead]] = {u: [] for u in by_name}
    unassigned: list[CustomerRead] = []
    #: customer id -> its relatives who bank here too (relation to it, their customer id)
    family: dict[int, list[tuple[Relation, int]]] = defaultdict(list)

    def add(p: _Person, creator: str, org_key: str) -> CustomerRead:
        user = by_name[creator]
        c = customer_svc.create(db, _actor(user, Action.CUSTOMER_CREATE), CustomerCreate(
            name=p.name, gender=p.gender, birth_date=p.birth, id_number=p.id_number, phone=p.phone,
            address=p.address, occupation=p.occupation, employer=p.employer, marital_status=p.marital,
            education=p.education, income_band=p.income, lifecycle_stage=p.stage, org_id=org_ids[org_key]))
        (created[creator] if user.role == Role.ACCOUNT_MANAGER else unassigned).append(c)
        return c

    counts = [round(customers * s) for s in BRANCH_SHARE]
    counts[0] += customers - sum(counts)
    for b, n in enumerate(counts, 1):
        _code, _name, district, area_code, roads, _subs = BRANCHES[b - 1]
        bkey = f"B{b}"
        made = 0
        if b == 1:
            # the customer every demo of the name search looks for
            zsf = gen.person(district, area_code, roads, name="张三丰", gender=Gender.MALE, birth=date(1958, 4, 9))
            add(zsf, "manager", "B1S1")
            made += 1
        while made < n:
            r = rng.random()
            creator = PRESIDENTS[bkey]
            acc = 0.0
            for am, share in BOOKS[bkey]:
                acc += share
                if r < acc:
                    creator = am
                    break
            org_key = rng.choices([bkey, f"{bkey}S1", f"{bkey}S2"], [4, 3, 3])[0]
            p = gen.person(district, area_code, roads)
            couple = [add(p, creator, org_key)]
            made += 1
            husband = p if p.gender == Gender.MALE else None
            if made < n and p.marital == MaritalStatus.MARRIED and rng.random() < 0.12:
                # the spouse banks here too: same home, often the same (shared) phone
                age = REF_DATE.year - p.birth.year
                spouse = gen.person(district, area_code, roads,
                                    gender=Gender.FEMALE if p.gender == Gender.MALE else Gender.MALE,
                                    birth=gen.birth_date(max(MIN_AGE, age - 5), min(MAX_AGE, age + 5)),
                                    phone=p.phone if rng.random() < 0.6 else None, address=p.address,
                                    marital=MaritalStatus.MARRIED)
                couple.append(add(spouse, creator, org_key))
                made += 1
                husband = husband or spouse
                family[couple[0].id].append((Relation.SPOUSE, couple[1].id))
                family[couple[1].id].append((Relation.SPOUSE, couple[0].id))
            if made < n and REF_DATE.year - p.birth.year >= 48 and rng.random() < 0.08:
                # a grown-up child: the father's surname, the family home
                father_surname = gen.surname() if husband is None else \
                    husband.name[:2] if husband.name[:2] in COMPOUND_SURNAMES else husband.name[0]
                age = REF_DATE.year - p.birth.year
                child = gen.person(district, area_code, roads, surname=father_surname,
                                   birth=gen.birth_date(MIN_AGE, max(MIN_AGE, age - 22)), address=p.address)
                child_id = add(child, creator, org_key).id
                made += 1
                for parent in couple:
                    family[parent.id].append((Relation.CHILD, child_id))
                    family[child_id].append((Relation.PARENT, parent.id))

    # -- corporate customers, looked after by the branches' account managers
    for k in range(10):
        b = k % 3 + 1
        _code, _bname, district, area_code, roads, _subs = BRANCHES[b - 1]
        bkey = f"B{b}"
        word = COMPANY_WORDS[(k * 7) % len(COMPANY_WORDS)]
        kind, _industry = CORPORATE_KINDS[k % len(CORPORATE_KINDS)]
        am = BOOKS[bkey][k % 2][0]
        actor = _actor(by_name[PRESIDENTS[bkey]], Action.CUSTOMER_CREATE)
        c = customer_svc.create(db, actor, CustomerCreate(
            type=CustomerType.CORPORATE, name=f"杭州{word}{kind}", uscc=_uscc(rng, area_code), phone=gen.phone(),
            address=f"{PROVINCE_CITY}{district}{rng.choice(roads)}{rng.randrange(1, 800)}号"
                    f"{rng.randrange(2, 25)}楼{rng.randrange(1, 30):02d}室",
            lifecycle_stage=rng.choice(list(LifecycleStage)), org_id=org_ids[bkey], manager_id=by_name[am].id))
        created[am].append(c)

    # -- a little history: edits by different people
    _edits(db, rng, gen, by_name, created, unassigned, org_ids)

    # -- households with two years of balance sheets and income tables, by their account managers
    _finances(db, seed, by_name, family)

    db.commit()
    return [(u, str(by_name[u].role), org_names[org_ids[org_key]]) for u, _d, _r, _p, org_key in STAFF]


def _edits(db: Session, rng: random.Random, gen: _Gen, by_name: dict[str, User],
           created: dict[str, list[CustomerRead]], unassigned: list[CustomerRead], org_ids: dict[str, int]) -> None:
    def edit(username: str, c: CustomerRead, **changes: Any) -> CustomerRead:
        actor = _actor(by_name[username], Action.CUSTOMER_EDIT_CONTACT)
        result = customer_svc.update_customer(db, actor, c.id, CustomerUpdate(version=c.version, **changes))
        assert isinstance(result, CustomerRead), "the demo's edits are within every threshold"
        return result

    _code, _name, district, _area, roads, _subs = BRANCHES[0]
    book = [c for c in created["manager"] if c.type == CustomerType.PERSONAL]
    zsf = next(c for c in book if c.name == "张三丰")
    # 张三丰: a new phone noted by his manager, a move recorded at the counter, then reviewed by the president
    zsf = edit("manager", zsf, phone=gen.phone(), occupation="退休", employer=None)
    zsf = edit("teller", zsf, address=gen.address(district, roads))
    edit("president", zsf, lifecycle_stage=LifecycleStage.MATURITY, income_band=IncomeBand.FROM_100K_TO_300K)
    for c in rng.sample(book[1:], min(4, len(book) - 1)):
        c = edit("manager", c, phone=gen.phone())
        if c.occupation not in ("退休", "学生"):
            edit("manager", c, occupation="企业管理人员", income_band=IncomeBand.FROM_300K_TO_1M)
    teller_org = org_ids["B1S1"]
    at_counter = [c for c in book + created["manager2"] if c.org_id == teller_org and c.type == CustomerType.PERSONAL]
    for c in rng.sample(at_counter[1:], min(3, len(at_counter) - 1)):
        edit("teller", c, address=gen.address(district, roads))
    # the president hands two unassigned customers of branch 1 to an account manager
    b1 = {org_ids["B1"], org_ids["B1S1"], org_ids["B1S2"]}
    for c in [c for c in unassigned if c.org_id in b1][:2]:
        edit("president", c, manager_id=by_name["manager2"].id)
    for am in ("cx_manager1", "gx_manager2"):
        for c in [c for c in created[am] if c.type == CustomerType.PERSONAL][:2]:
            edit(am, c, phone=gen.phone(), marital_status=MaritalStatus.MARRIED)


# ----------------------------------------------------------------------------- household finance
#: Every demo household has a balance sheet as of 31 December and an income table of each of these years.
FINANCE_YEARS = (2024, 2025)
#: Households per account manager's book besides 张三丰's (in a small demo a quarter of the book, at least 3):
#: each costs five writes through the services, and the demo is made anew for every GUI test session.
HOUSEHOLDS_PER_BOOK = 6
#: The profiles handed out in turn in each book, so that every manager's households show every verdict:
#: healthy (most ratios healthy, net worth grows); stretched (debt ratio and debt service too high, a month or
#: two of expenses in the bank, net worth shrinks); debt_free (no liabilities at all: liquid assets to debt
#: does not apply); new_home (saved up in 2024, bought a flat with a mortgage in 2025); wealthy (a flat let
#: out and investments worth more than half the net worth).
PROFILES = ("healthy", "stretched", "debt_free", "new_home", "wealthy", "healthy", "stretched", "healthy")
#: The customer's ages each profile goes to where the book allows.
PROFILE_AGES = {"healthy": (28, 70), "stretched": (26, 55), "debt_free": (26, 80), "new_home": (26, 45),
                "wealthy": (40, 75)}
RICH = frozenset({IncomeBand.FROM_300K_TO_1M, IncomeBand.ABOVE_1M})
#: One person's annual income after tax per band, yuan (low, high).
BAND_YUAN = {IncomeBand.BELOW_50K: (30_000, 48_000), IncomeBand.FROM_50K_TO_100K: (55_000, 95_000),
             IncomeBand.FROM_100K_TO_300K: (110_000, 260_000), IncomeBand.FROM_300K_TO_1M: (320_000, 700_000),
             IncomeBand.ABOVE_1M: (1_050_000, 1_600_000)}
#: Occupations with a year-end bonus besides the wages.
BONUS_JOBS = frozenset({"工程师", "程序员", "销售", "企业管理人员", "医生", "律师", "会计", "设计师"})
NOT_EARNING = frozenset({"学生", "学龄前"})
#: What members not yet 23 do when they are not studying.
YOUNG_JOBS = ["销售", "快递员", "厨师", "工人", "司机", "个体经营者"]
RETIRED, PENSION = "退休", "养老金"
#: The living expenses' parts with their usual shares (education and medical care depend on the household).
LIVING_PARTS = {"food": 0.38, "clothing": 0.08, "transport_telecom": 0.14, "leisure": 0.10}

#: A statement's line: type, amount ("1234.50"), label (of an other_* line), the member (index) it names.
_Line = tuple[str, str, str | None, int | None]


@dataclass
class _Member:
    name: str
    relation: Relation
    birth: date
    occupation: str | None
    #: what they earn, for wages or business income (None: a pension, or no income of their own)
    band: IncomeBand | None = None
    customer_id: int | None = None

    @property
    def age(self) -> int:
        return REF_DATE.year - self.birth.year


@dataclass
class _Loan:
    type: str
    balance: float
    rate: float
    #: the yearly instalment
    payment: float

    def pay(self, months: int = 12) -> float:
        """A year's (or some months') instalments paid, interest added: returns what was paid."""
        interest = self.balance * self.rate * months / 12
        paid = min(self.payment * months / 12, self.balance + interest)
        self.balance += interest - paid
        return paid


def _annuity(rate: float, years: int) -> float:
    """The yearly instalment of one yuan borrowed over `years` at `rate`."""
    return rate / (1 - (1 + rate) ** -years)


def _money(yuan: float, step: int = 0) -> str:
    """An amount as the API takes it: rounded to `step` yuan (0: to the fen)."""
    fen = round(yuan * 100) if step == 0 else round(yuan / step) * step * 100
    fen = max(fen, 0)
    return f"{fen // 100}.{fen % 100:02d}"


def _surname_of(name: str) -> str:
    return name[:2] if name[:2] in COMPOUND_SURNAMES else name[0]


def _born(rng: random.Random, year: int) -> date:
    return date(year, 1, 1) + timedelta(days=rng.randrange(365))


def _job(gen: _Gen, gender: Gender, birth: date) -> tuple[str | None, IncomeBand | None]:
    """A member's occupation by age, and the income band of one who works."""
    rng, age = gen.rng, REF_DATE.year - birth.year
    if age < 6:
        return "学龄前", None
    if age < 19 or (age < 23 and rng.random() < 0.7):
        return "学生", None
    if age >= (60 if gender == Gender.MALE else 55) and rng.random() < 0.85:
        return RETIRED, None
    names = list(OCCUPATIONS) if age >= 23 else YOUNG_JOBS
    occupation = rng.choices(names, [OCCUPATIONS[o][0] for o in names])[0]
    return occupation, rng.choice(OCCUPATIONS[occupation][2])


def _as_member(c: Customer, relation: Relation) -> _Member:
    assert c.birth_date is not None
    band = IncomeBand(c.income_band) if c.income_band and c.occupation not in (RETIRED, *NOT_EARNING) else None
    return _Member(c.name, relation, c.birth_date, c.occupation, band, c.id)


def _members(gen: _Gen, c: Customer, relatives: list[tuple[Relation, Customer]]) -> list[_Member]:
    """The customer and who lives with them: a spouse if married, children (those of 30 or more have a home of
    their own), sometimes the parents of a young customer; relatives who bank here are linked to their record."""
    rng = gen.rng
    me = _as_member(c, Relation.SELF)
    out = [me]
    linked = {rel: [_as_member(r, rel) for k, r in relatives if k == rel] for rel in Relation}
    male = c.gender == Gender.MALE
    father = _surname_of(c.name) if male else None
    if c.marital_status == MaritalStatus.MARRIED:
        if linked[Relation.SPOUSE]:
            out.append(linked[Relation.SPOUSE][0])
        else:
            gender = Gender.FEMALE if male else Gender.MALE
            birth = _born(rng, min(REF_DATE.year - 21, me.birth.year + (rng.randint(-1, 5) if male
                                                                         else -rng.randint(-1, 5))))
            occupation, band = _job(gen, gender, birth)
            out.append(_Member(gen.surname() + gen.given(gender, birth.year), Relation.SPOUSE, birth, occupation,
                               band))
        father = father or _surname_of(out[-1].name)
    out += linked[Relation.CHILD]
    if not linked[Relation.CHILD] and c.marital_status != MaritalStatus.SINGLE and me.age >= 27:
        # born to parents of 24 to 32, a second one a few years later; none since a divorce or a death
        last = REF_DATE.year - 1 if c.marital_status == MaritalStatus.MARRIED else REF_DATE.year - 4
        year = me.birth.year + rng.randint(24, 32)
        for _ in range(rng.choices([0, 1, 2], [2, 5, 3])[0]):
            if year > last:
                break
            if REF_DATE.year - year < 30:
                gender = rng.choice([Gender.MALE, Gender.FEMALE])
                birth = _born(rng, year)
                occupation, band = _job(gen, gender, birth)
                out.append(_Member((father or gen.surname()) + gen.given(gender, year), Relation.CHILD, birth,
                                   occupation, band))
            year += rng.randint(2, 6)
    out += linked[Relation.PARENT]
    if not linked[Relation.PARENT] and me.age <= 38 and rng.random() < 0.45:
        year = me.birth.year - rng.randint(24, 34)
        for gender, born, surname in ((Gender.MALE, year, _surname_of(c.name)),
                                      (Gender.FEMALE, year + rng.randint(0, 4), gen.surname())):
            if rng.random() < 0.85:  # sometimes only one of them
                birth = _born(rng, born)
                occupation, band = _job(gen, gender, birth)
                out.append(_Member(surname + gen.given(gender, born), Relation.PARENT, birth, occupation, band))
    return out


def _statements(rng: random.Random, profile: str, members: list[_Member]) -> list[tuple[list[_Line], list[_Line]]]:
    """The balance sheet and the income table of each of FINANCE_YEARS: the first year made to the profile, the
    next from it (instalments paid, savings invested, flats a little cheaper, cars older)."""
    u = rng.uniform
    me = members[0]
    kids = sum(1 for m in members if m.occupation in NOT_EARNING)
    adults = len(members) - kids
    elderly = any(m.age >= 60 for m in members)

    # -- who earns what: [member, line type, yearly amount, bonus, yearly growth]
    earners: list[tuple[int, str, float, float, float]] = []
    for i, m in enumerate(members):
        if m.occupation == RETIRED:
            earners.append((i, "other_income", rng.randrange(2800, 7500, 10) * 12.0, 0.0, u(1.01, 1.04)))
        elif m.band is not None and m.occupation not in NOT_EARNING:
            amount = u(*BAND_YUAN[m.band])
            bonus = amount * u(0.1, 0.25) if m.occupation in BONUS_JOBS and rng.random() < 0.7 else 0.0
            kind = "business_income" if m.occupation == "个体经营者" else "wages"
            earners.append((i, kind, amount - bonus, bonus, u(0.96, 1.08)))
    earned = max(sum(e[2] + e[3] for e in earners), 40_000.0)

    # -- what they own besides home and car
    home_price = min(max(earned * u(8, 12), 2_200_000), 6_500_000)  # the flat new_home buys in the second year
    inv: dict[str, float] = {}
    if profile == "stretched":
        inv["insurance_cash_value"] = u(5_000, 40_000)
        if rng.random() < 0.5:
            inv["funds"] = u(3_000, 30_000)
    else:
        if profile == "new_home":
            worth = home_price * u(0.38, 0.5)  # savings and the parents' help for the down payment
        else:
            worth = earned * {"healthy": u(0.4, 2.0), "wealthy": u(2.0, 4.5),
                              "debt_free": u(1.0, 4.0) if me.age >= 45 else u(0.3, 1.5)}[profile]
        weights = {"time_deposits": u(0.3, 0.5), "wealth_products": u(0.1, 0.3), "funds": u(0.05, 0.2),
                   "insurance_cash_value": u(0.03, 0.1)}
        if rng.random() < 0.5:
            weights["stocks"] = u(0.05, 0.2)
        if rng.random() < 0.2:
            weights["bonds"] = u(0.05, 0.15)
        inv = {k: worth * w / sum(weights.values()) for k, w in weights.items()}
    if profile == "wealthy":
        inv["investment_property"] = min(max(earned * u(4, 8), 1_800_000), 6_000_000)
    rent_month = round(inv.get("investment_property", 0) * u(0.016, 0.021) / 12, -2)
    interest_rate = u(0.015, 0.028)

    def incomes(year: int, inv: dict[str, float]) -> list[_Line]:
        lines: list[_Line] = []
        for i, kind, amount, bonus, growth in earners:
            g = growth ** year
            if kind == "business_income":
                lines.append((kind, _money(amount * g, 100), None, i))
            else:  # wages and pensions: so much a month, in tens of yuan
                monthly = round(amount * g / 120) * 10
                lines.append((kind, f"{monthly * 12}.00", PENSION if kind == "other_income" else None, i))
            if bonus and not (profile == "stretched" and year):  # a stretched household's bonus stops
                lines.append(("bonus", _money(bonus * g, 1000), None, i))
        if rent_month:
            lines.append(("rent", f"{round(rent_month * 12)}.00", None, None))
        saved = sum(v for k, v in inv.items() if k in ("time_deposits", "wealth_products", "bonds", "funds"))
        if saved:
            lines.append(("interest_dividends", _money(saved * interest_rate), None, None))
        return lines

    def total(lines: list[_Line]) -> float:
        return sum(float(x[1]) for x in lines)

    income0 = total(incomes(0, inv))

    # -- debts: the share of income their instalments take, split over the loans
    loans: list[_Loan] = []
    service = {"healthy": u(0.08, 0.28), "stretched": u(0.46, 0.6), "wealthy": u(0.05, 0.2)}.get(profile, 0.0)
    repay = income0 * service
    if profile == "healthy" and rng.random() < 0.35:
        car = min(repay * 0.3, u(20_000, 50_000))
        loans.append(_Loan("car_loan", car / _annuity(0.045, rng.randint(1, 3)), 0.045, car))
        repay -= car
    if profile == "stretched":
        part = repay * u(0.1, 0.2)
        loans.append(_Loan("consumer_loans", part / _annuity(0.055, rng.randint(2, 3)), 0.055, part))
        if rng.random() < 0.6:
            car = repay * u(0.1, 0.18)
            loans.append(_Loan("car_loan", car / _annuity(0.045, rng.randint(3, 4)), 0.045, car))
        rest = repay - sum(x.payment for x in loans)
        loans.append(_Loan("mortgage", rest / _annuity(0.039, rng.randint(25, 29)), 0.039, rest))
    elif profile == "healthy":
        loans.append(_Loan("mortgage", repay / _annuity(0.036, rng.randint(8, 22)), 0.036, repay))
    elif profile == "wealthy":
        loans.append(_Loan("investment_property_loan", repay / _annuity(0.04, rng.randint(6, 18)), 0.04, repay))
    card = {"healthy": 0.7, "stretched": 1.0, "wealthy": 0.6, "new_home": 0.6}.get(profile, 0.0)
    credit_card = (u(8_000, 40_000) if profile == "stretched" else u(1_000, 15_000)) if rng.random() < card else 0.0
    mortgage = sum(x.balance for x in loans if x.type == "mortgage")

    # -- home and car
    owner = profile in ("healthy", "stretched", "wealthy") or (profile == "debt_free" and me.age >= 45)
    residence = 0.0
    if profile == "stretched":
        residence = mortgage / u(0.62, 0.78)
    elif owner:
        residence = max(min(max(earned * u(5, 10), 1_600_000), 9_000_000), mortgage / u(0.3, 0.45))
    car_loan = sum(x.balance for x in loans if x.type == "car_loan")
    vehicle = car_loan / u(0.45, 0.7) if car_loan else \
        min(max(earned * u(0.3, 0.8), 60_000), 600_000) if rng.random() < (0.65 if owner else 0.4) else 0.0
    if profile == "wealthy":  # investments worth more than half the net worth
        investments = sum(inv.values()) + sum(x.balance for x in loans)
        residence = max(min(residence, 0.9 * (investments - vehicle) - 0.5 * income0), 1_500_000)
    fee_month = rng.randrange(250, 900, 10) if owner else 0
    rent_paid_month = 0 if owner else rng.randrange(25, 75) * 100
    insurance_share = u(0.03, 0.07) if rng.random() < 0.85 else 0.0
    savings_ratio = {"healthy": u(0.33, 0.55), "stretched": u(-0.04, 0.16), "debt_free": u(0.28, 0.5),
                     "new_home": u(0.35, 0.5), "wealthy": u(0.4, 0.6)}[profile]
    months = {"healthy": (3.3, 5.6), "stretched": (0.6, 2.3), "debt_free": (3.5, 11.0), "new_home": (3.5, 5.5),
              "wealthy": (3.2, 5.8)}[profile]
    deed_tax = decoration = 0.0

    def expenses(income: float, repaid: float, ratio: float, year: int) -> list[_Line]:
        floor = 16_000.0 * adults + 10_000.0 * kids
        spent = max(income * (1 - ratio) - repaid, floor)
        if profile == "new_home" and year:  # moved in at mid-year
            housing = rent_paid_month * 6 + fee_month * 6
        else:
            housing = rent_paid_month * 12 + fee_month * 12
        insurance = round(min(income * insurance_share, 60_000), -2)
        living = max(spent - housing - insurance, floor * 0.7)  # a new home's costs come out of the savings
        lines: list[_Line] = []
        if rng.random() < 0.4:
            lines.append(("living", _money(living, 10), None, None))
        else:
            parts = dict(LIVING_PARTS, education=0.2 if kids else 0.0, medical=0.05 + (0.07 if elderly else 0.0))
            weights = {k: w * u(0.8, 1.2) for k, w in parts.items() if w}
            lines += [(k, _money(living * w / sum(weights.values()), 10), None, None) for k, w in weights.items()]
        if housing:
            lines.append(("housing", f"{housing}.00", None, None))
        if insurance:
            lines.append(("insurance", _money(insurance), None, None))
        if repaid:
            lines.append(("debt_repayments", _money(repaid), None, None))
        if deed_tax:
            lines += [("other_expense", _money(deed_tax, 1), "契税", None),
                      ("other_expense", _money(decoration, 1000), "新房装修", None)]
        return lines

    def sheet(liquid: float, inv: dict[str, float]) -> list[_Line]:
        cash = max(round(liquid * u(0.01, 0.05), -2), 500.0)
        funds = liquid * u(0.15, 0.45) if rng.random() < 0.5 else 0.0
        lines: list[_Line] = [("cash", _money(cash, 100), None, None),
                              ("demand_deposits", _money(liquid - cash - funds), None, None)]
        if funds:
            lines.append(("money_market_funds", _money(funds), None, None))
        steps = {"time_deposits": 1000, "wealth_products": 1000, "investment_property": 10_000}
        lines += [(k, _money(v, steps.get(k, 0)), None, None) for k, v in inv.items() if v >= 1]
        if residence:
            lines.append(("residence", _money(residence, 10_000), None, None))
        if vehicle:
            lines.append(("vehicles", _money(vehicle, 1000), None, None))
        if credit_card:
            lines.append(("credit_card", _money(credit_card), None, None))
        lines += [(x.type, _money(x.balance), None, None) for x in loans if x.balance >= 1]
        return lines

    out: list[tuple[list[_Line], list[_Line]]] = []
    repaid = sum(x.payment for x in loans)
    for year in range(len(FINANCE_YEARS)):
        if year:
            # a year on: instalments paid, savings invested; flats a little cheaper, cars older
            repaid = sum(x.pay() for x in loans)
            if profile == "stretched":
                loans[0].balance += u(40_000, 120_000)  # the consumer loan (their first) topped up
                credit_card *= u(1.1, 1.6)
                savings_ratio -= u(0.02, 0.1)
            else:
                credit_card *= u(0.7, 1.4)
                savings_ratio += u(-0.04, 0.05)
            if profile == "new_home":
                residence = home_price
                fee_month = rng.randrange(300, 900, 10)
                deed_tax, decoration = home_price * 0.01, u(120_000, 300_000)
                new = _Loan("mortgage", home_price * 0.7, 0.031, home_price * 0.7 * _annuity(0.031, 30))
                repaid = new.pay(6)
                loans.append(new)
                months = (1.0, 2.5)
            residence *= u(0.94, 1.0)
            vehicle *= u(0.8, 0.88)
            returns = {"wealth_products": u(1.0, 1.02), "funds": u(0.95, 1.15), "stocks": u(0.9, 1.3),
                       "bonds": u(0.99, 1.03), "insurance_cash_value": u(1.03, 1.07),
                       "investment_property": u(0.93, 0.99)}
            inv = {k: v * returns.get(k, 1.0) for k, v in inv.items()}
        table = incomes(year, inv)
        income = total(table)
        table += expenses(income, repaid, savings_ratio, year)
        spent = total(table) - income
        if year:
            saved = income - spent
            if profile == "new_home":  # the down payment
                paid = home_price * 0.3
                left = sum(inv.values())
                inv = {k: v * max(0.05, 1 - paid / left) for k, v in inv.items()}
            if saved > 0 and "time_deposits" in inv:
                inv["time_deposits"] += saved * u(0.4, 0.8)
        liquid = u(*months) * spent / 12
        out.append((sheet(liquid, inv), table))
    return out


def _lines(*rows: tuple[str, str] | tuple[str, str, str | None, int | None]) -> list[_Line]:
    return [(r[0], r[1], None, None) if len(r) == 2 else r for r in rows]


#: 张三丰, the customer the README and the tests open first: a household of three generations whose figures
#: make every ratio applicable, healthy and attention side by side, and two verdicts change from 2024 to 2025
#: (investment to net worth reaches half, the emergency fund falls below three months after a hospital stay).
#: The members: 0 he, 1 his wife, 2 their son, 3 the son's wife, 4 their grandson.
ZSF_STATEMENTS: list[tuple[list[_Line], list[_Line]]] = [
    (_lines(("cash", "6000.00"), ("demand_deposits", "118642.35"), ("money_market_funds", "52310.80"),
            ("time_deposits", "800000.00"), ("wealth_products", "300000.00"), ("funds", "126400.00"),
            ("insurance_cash_value", "88560.00"), ("investment_property", "2300000.00"),
            ("residence", "4600000.00"), ("vehicles", "168000.00"), ("credit_card", "9867.42"),
            ("car_loan", "72000.00"), ("investment_property_loan", "760000.00")),
     _lines(("other_income", "67200.00", PENSION, 0), ("other_income", "50400.00", PENSION, 1),
            ("wages", "312000.00", None, 2), ("bonus", "80000.00", None, 2), ("wages", "198000.00", None, 3),
            ("rent", "57600.00"), ("interest_dividends", "31286.40"), ("food", "102000.00"), ("clothing", "26000.00"),
            ("transport_telecom", "31200.00"), ("education", "46000.00"), ("medical", "21500.00"),
            ("leisure", "38000.00"), ("housing", "8400.00"), ("insurance", "45600.00"),
            ("debt_repayments", "126840.00"))),
    (_lines(("cash", "5000.00"), ("demand_deposits", "58217.64"), ("money_market_funds", "31904.17"),
            ("time_deposits", "1150000.00"), ("wealth_products", "350000.00"), ("funds", "139850.00"),
            ("insurance_cash_value", "97230.00"), ("investment_property", "2220000.00"),
            ("residence", "4450000.00"), ("vehicles", "142000.00"), ("credit_card", "12408.90"),
            ("car_loan", "38000.00"), ("investment_property_loan", "699400.00")),
     _lines(("other_income", "68400.00", PENSION, 0), ("other_income", "51600.00", PENSION, 1),
            ("wages", "324000.00", None, 2), ("bonus", "60000.00", None, 2), ("wages", "205200.00", None, 3),
            ("rent", "55200.00"), ("interest_dividends", "36904.85"), ("food", "106500.00"), ("clothing", "24800.00"),
            ("transport_telecom", "33600.00"), ("education", "52000.00"), ("medical", "48600.00"),
            ("leisure", "29000.00"), ("housing", "8400.00"), ("insurance", "47200.00"),
            ("debt_repayments", "126840.00"))),
]


def _zsf_members(gen: _Gen, c: Customer) -> list[_Member]:
    rng = gen.rng
    son, grandson = _born(rng, 1986), _born(rng, 2015)
    return [_as_member(c, Relation.SELF),
            _Member(gen.surname() + gen.given(Gender.FEMALE, 1961), Relation.SPOUSE, _born(rng, 1961), RETIRED),
            _Member("张" + gen.given(Gender.MALE, 1986), Relation.CHILD, son, "工程师"),
            _Member(gen.surname() + gen.given(Gender.FEMALE, 1988), Relation.OTHER, _born(rng, 1988), "医生"),
            _Member("张" + gen.given(Gender.MALE, 2015), Relation.OTHER, grandson, "学生")]


def _finances(db: Session, seed: int, by_name: dict[str, User], family: dict[int, list[tuple[Relation, int]]]
              ) -> None:
    """In every account manager's book a few households (张三丰's in `manager`'s), each with a balance sheet
    and an income table of each of FINANCE_YEARS, saved by the manager through the finance services."""
    rng = random.Random(f"{seed}/finance")  # its own stream: the customers are the same with or without it
    gen = _Gen(rng)
    for books in BOOKS.values():
        for am, _share in books:
            user = by_name[am]
            book = list(db.scalars(select(Customer).where(Customer.manager_id == user.id,
                                                          Customer.type == CustomerType.PERSONAL)
                                   .order_by(Customer.id)))
            chosen: list[tuple[Customer, str]] = [(c, "full") for c in book if c.name == "张三丰"]
            taken = {c.id for c, _p in chosen}
            pool = [c for c in book if c.occupation not in NOT_EARNING and c.id not in taken]
            rng.shuffle(pool)
            for profile in PROFILES[:min(HOUSEHOLDS_PER_BOOK, max(3, len(book) // 4))]:
                lo, hi = PROFILE_AGES[profile]
                free = [c for c in pool if c.id not in taken]
                if not free:
                    break
                c = next((c for c in free if c.birth_date is not None and lo <= REF_DATE.year - c.birth_date.year
                          <= hi and (profile != "wealthy" or c.income_band in RICH)), free[0])
                chosen.append((c, profile))
                taken |= {c.id, *(r for _rel, r in family.get(c.id, []))}  # one household per family
            actor = _actor(user, Action.CUSTOMER_FINANCE_EDIT)
            for c, profile in chosen:
                relatives = [(rel, db.get_one(Customer, r)) for rel, r in family.get(c.id, [])]
                members = _zsf_members(gen, c) if profile == "full" else _members(gen, c, relatives)
                h = finance.put_household(db, actor, c.id, HouseholdIn(version=0, members=[
                    HouseholdMemberIn(name=m.name, relation=m.relation, birth_date=m.birth, occupation=m.occupation,
                                      customer_id=m.customer_id) for m in members]))
                ids = [m.id for m in h.members]
                years = ZSF_STATEMENTS if profile == "full" else _statements(rng, profile, members)
                for year, (sheet, table) in zip(FINANCE_YEARS, years, strict=True):
                    finance.create_statement(finance.BALANCE, db, actor, c.id, date(year, 12, 31), [
                        BalanceSheetLineIn(type=t, amount=a, label=label) for t, a, label, _m in sheet])
                    finance.create_statement(finance.INCOME, db, actor, c.id, year, [
                        IncomeStatementLineIn(type=t, amount=a, label=label, member_id=None if m is None else ids[m])
                        for t, a, label, m in table])
