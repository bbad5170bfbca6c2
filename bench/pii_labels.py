"""The labelled PII set: true PII spans of every type and look-alikes (order numbers, versions, timestamps, hashes,
numbers in maths …), English and Chinese, from a fixed seed. Written to bench/pii/labels.jsonl and frozen.

Written without reading filters/pii.py: the checksums below (Luhn, IBAN mod-97, the Chinese ID check digit) are
implemented here again, so a bug there cannot hide here. Every template and every value format belongs to one split:
templates alternate between `dev` and `heldout`, so held-out rows are sentences and formats tuning never saw.

    python -m bench.pii_labels            # (re)write bench/pii/labels.jsonl (the same bytes every time)
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from pathlib import Path

import orjson

OUT = Path(__file__).parent / "pii" / "labels.jsonl"
SEED = 20261201
PER_TEMPLATE = 4  # rows drawn from each template


# ------------------------------------------------------------------------------------------------ values
def _digits(r: random.Random, n: int) -> str:
    return "".join(r.choice(string.digits) for _ in range(n))


def _luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # the digit next to the check digit is doubled
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return str((10 - total % 10) % 10)


def card_number(r: random.Random, fmt: int) -> str:
    prefix, length = [("4", 16), ("5" + str(r.randint(1, 5)), 16), ("37", 15), ("62" + _digits(r, 2), 19),
                      ("6011", 16), ("35" + str(r.randint(28, 89)), 16)][r.randrange(6)]
    body = prefix + _digits(r, length - len(prefix) - 1)
    number = body + _luhn_digit(body)
    if fmt == 0:
        return number
    if length == 15:
        sep = " " if fmt == 1 else "-"
        return f"{number[:4]}{sep}{number[4:10]}{sep}{number[10:]}"
    sep = " " if fmt == 1 else "-"
    return sep.join(number[i:i + 4] for i in range(0, length, 4))


def bad_card(r: random.Random) -> str:
    body = "4" + _digits(r, 14)
    return body + str((int(_luhn_digit(body)) + r.randint(1, 9)) % 10)


_IBAN = {"DE": (18, "n"), "GB": (18, "b"), "FR": (23, "n"), "NL": (14, "b"), "ES": (20, "n"), "IT": (23, "i"),
         "CH": (17, "n"), "BE": (12, "n"), "PL": (24, "n"), "AT": (16, "n")}


def _mod97(text: str) -> int:
    return int("".join(str(int(c, 36)) for c in text)) % 97


def iban_number(r: random.Random, spaced: bool, valid: bool = True) -> str:
    country = r.choice(sorted(_IBAN))
    n, kind = _IBAN[country]
    if kind == "b":
        bban = "".join(r.choice(string.ascii_uppercase) for _ in range(4)) + _digits(r, n - 4)
    elif kind == "i":
        bban = r.choice(string.ascii_uppercase) + _digits(r, n - 1)
    else:
        bban = _digits(r, n)
    check = 98 - _mod97(bban + country + "00")
    if not valid:
        check = (check + r.randint(1, 50)) % 97 + 2
    code = f"{country}{check:02d}{bban}"
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4)) if spaced else code


_CN_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]
_CN_REGIONS = ["110105", "310115", "440305", "440106", "330106", "510104", "320102", "420111", "610113", "370202"]


def cn_id_number(r: random.Random, valid: bool = True) -> str:
    body = f"{r.choice(_CN_REGIONS)}{r.randint(1950, 2005)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{_digits(r, 3)}"
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, _CN_WEIGHTS, strict=True)) % 11]
    if not valid:
        check = r.choice([c for c in "0123456789" if c != check])
    return body + check


def ssn_number(r: random.Random) -> str:
    area = r.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"


def cn_mobile(r: random.Random, fmt: int) -> str:
    number = "1" + r.choice("3456789") + _digits(r, 9)
    return [number, f"{number[:3]} {number[3:7]} {number[7:]}", f"+86 {number}",
            f"{number[:3]}-{number[3:7]}-{number[7:]}", f"+86-{number[:3]}-{number[3:7]}-{number[7:]}"][fmt]


def intl_phone(r: random.Random, fmt: int) -> str:
    return [lambda: f"+44 20 {_digits(r, 4)} {_digits(r, 4)}",
            lambda: f"+49 {r.randint(151, 179)} {_digits(r, 8)}",
            lambda: f"+33 {r.randint(1, 9)} {_digits(r, 2)} {_digits(r, 2)} {_digits(r, 2)} {_digits(r, 2)}",
            lambda: f"+1 ({r.randint(201, 989)}) {r.randint(200, 999)}-{_digits(r, 4)}",
            lambda: f"+61 4{_digits(r, 2)} {_digits(r, 3)} {_digits(r, 3)}",
            lambda: f"+81-90-{_digits(r, 4)}-{_digits(r, 4)}"][fmt]()


def us_phone(r: random.Random, fmt: int) -> str:
    a, b, c = r.randint(201, 989), r.randint(200, 999), _digits(r, 4)
    return [f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"1-{a}-{b}-{c}"][fmt]


def cn_landline(r: random.Random, fmt: int) -> str:
    return [f"010-{r.randint(6, 8)}{_digits(r, 7)}", f"021-{r.randint(5, 6)}{_digits(r, 7)}",
            f"0755-{r.randint(2, 8)}{_digits(r, 7)}", f"(020) {_digits(r, 4)} {_digits(r, 4)}"][fmt]


def public_ipv4(r: random.Random) -> str:
    while True:
        first = r.choice([r.randint(1, 9), r.randint(11, 99), r.randint(101, 126), r.randint(128, 171),
                          r.randint(173, 191), r.randint(193, 197), r.randint(199, 202), r.randint(204, 223)])
        second = r.randint(0, 255)
        if (first, second) in ((169, 254), (192, 168), (198, 18), (198, 19), (100, 64)):
            continue
        return f"{first}.{second}.{r.randint(0, 255)}.{r.randint(1, 254)}"


def public_ipv6(r: random.Random, compressed: bool) -> str:
    head = r.choice(["2a03", "2606", "2001:4860", "2604", "2a00", "240e", "2408", "2409"])
    groups = head.split(":") + [f"{r.randint(0, 0xffff):x}" for _ in range(8 - len(head.split(":")))]
    if compressed:
        return ":".join(groups[:3]) + "::" + groups[-1]
    return ":".join(groups)


def email_address(r: random.Random, fmt: int) -> str:
    first = r.choice(["anna", "li.wei", "j.smith", "maria", "zhang_san", "tom.o", "wang123", "k.nakamura", "olivia",
                      "chen.jing", "dmitri", "sara+news"])
    domain = r.choice(["gmail.com", "163.com", "qq.com", "outlook.com", "acme-corp.io", "uni-bonn.de", "sina.cn",
                       "company.co.uk", "yahoo.co.jp", "foxmail.com", "proton.me", "mail.ru"])
    return [f"{first}@{domain}", f"{first}{r.randint(1, 99)}@{domain}", f"{first.title()}@{domain.upper()}"][fmt]


def _token(r: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    while True:
        out = "".join(r.choice(alphabet) for _ in range(n))
        if any(c.isdigit() for c in out) and any(c.isalpha() for c in out):
            return out


def secret_value(r: random.Random, fmt: int) -> str:
    return [lambda: "sk-proj-" + _token(r, 40), lambda: "ghp_" + _token(r, 36),
            lambda: "AKIA" + _token(r, 16, string.ascii_uppercase + string.digits), lambda: "xoxb-" + _digits(r, 11)
            + "-" + _token(r, 24), lambda: "hf_" + _token(r, 34), lambda: "sk_live_" + _token(r, 24),
            lambda: _token(r, 24), lambda: _token(r, 32, string.ascii_lowercase + string.digits)][fmt]()


STREETS_EN = ["Maple", "Oak", "Elm", "Cedar", "Pine", "Lakeview", "Sunset", "Highland", "Washington", "Park"]
SUFFIXES_EN = ["Street", "St.", "Avenue", "Ave", "Road", "Drive", "Lane", "Boulevard", "Court", "Way"]
CITIES_EN = [("Springfield", "IL"), ("Austin", "TX"), ("Portland", "OR"), ("Madison", "WI"), ("Denver", "CO")]
ROADS_ZH = ["建国路", "中山路", "人民路", "解放大道", "南京西路", "长安街", "科技园路", "滨江大道", "淮海中路"]
CITIES_ZH = ["北京市朝阳区", "上海市静安区", "广州市天河区", "深圳市南山区", "杭州市西湖区", "成都市武侯区",
             "武汉市江汉区"]


def address(r: random.Random, fmt: int) -> str:
    if fmt == 0:
        return f"{r.randint(1, 9999)} {r.choice(STREETS_EN)} {r.choice(SUFFIXES_EN)}"
    if fmt == 1:
        city, state = r.choice(CITIES_EN)
        return f"{r.randint(1, 9999)} {r.choice(STREETS_EN)} {r.choice(SUFFIXES_EN)}, {city}, {state} {_digits(r, 5)}"
    if fmt == 2:
        return f"{r.choice(CITIES_ZH)}{r.choice(ROADS_ZH)}{r.randint(1, 999)}号"
    return f"{r.choice(CITIES_ZH)}{r.choice(ROADS_ZH)}{r.randint(1, 999)}号{r.randint(1, 30)}栋{r.randint(101, 2505)}室"


# ------------------------------------------------------------------------------------------------ templates
# {v} is the PII value; a template's formats are picked from `fmts` (a value format belongs to the template's split).
Maker = Callable[[random.Random, int], str]
TRUE: dict[str, tuple[Maker, list[tuple[str, int]]]] = {
    "EMAIL": (email_address, [
        ("Please send the invoice to {v} by Friday.", 0), ("请把发票发到{v}，谢谢！", 1),
        ("Customer wrote from {v} asking about a refund.", 2), ("我的邮箱是 {v}，账号登录不上。", 0),
        ("cc: {v}; subject: renewal", 1), ("Contact: {v}\nOrder: pending", 2),
        ("If you need anything, mail {v}.", 0), ("用户（{v}）反馈页面打不开。", 1)]),
    "PHONE": (lambda r, f: [cn_mobile(r, f % 5), intl_phone(r, f % 6), us_phone(r, f % 4),
                            cn_landline(r, f % 4)][f // 6],
              [("手机号{v}，请尽快回电。", 0), ("Call me at {v} after 6pm.", 6), ("My cell is {v}.", 12),
               ("客服电话：{v}", 18), ("联系人：王女士 {v}", 1), ("WhatsApp {v} works best.", 7),
               ("Phone: {v} (work)", 13), ("门店座机 {v}，周一休息。", 19), ("用户留的电话是{v}", 2),
               ("Reach the clinic on {v}.", 8), ("He left {v} as his number.", 14), ("电话 {v} 打不通", 20),
               ("请拨打{v}联系我", 3), ("Our landlord's number: {v}", 9), ("fax/phone {v}", 15),
               ("总机 {v} 转 8001", 21), ("紧急联系人电话 {v}。", 4), ("Text {v} for the code.", 10),
               ("tel. {v}", 11), ("Ring {v} if the door is locked.", 12), ("home: {v}", 15)]),
    "IP": (lambda r, f: public_ipv4(r) if f < 2 else public_ipv6(r, f == 3), [
        ("Failed SSH login from {v} at 03:12.", 0), ("服务器公网IP是{v}，能帮我看看吗？", 1),
        ("The attacker used {v} for the scan.", 2), ("我家路由器的外网地址是 {v}", 3),
        ("Blocked {v} in the firewall yesterday.", 0), ("日志里出现了 {v} 的请求", 1),
        ("client_ip={v} status=403", 0), ("Our office connects via {v}.", 3)]),
    "CARD": (card_number, [
        ("My card {v} was charged twice.", 0), ("信用卡号 {v} 被扣款两次。", 1),
        ("Please refund to card {v}.", 2), ("卡号是{v}，帮我查一下", 0),
        ("Card number: {v}, exp 09/27", 1), ("I paid with {v} last week.", 2),
        ("请退款到 {v} 这张卡", 1), ("The Visa/MC on file is {v}.", 0)]),
    "IBAN": (lambda r, f: iban_number(r, f == 1), [
        ("Please wire the refund to IBAN {v}.", 0), ("我的欧洲账户 IBAN：{v}", 1),
        ("Bank details: {v} (Sparkasse)", 1), ("Überweisung an {v} bitte.", 0),
        ("收款账号 {v}，户名 Li Wei", 0), ("Account {v}, BIC COBADEFFXXX", 1),
        ("My IBAN is {v}.", 1), ("退款请打到 {v}", 0)]),
    "CN_ID": (lambda r, f: cn_id_number(r), [
        ("身份证号：{v}", 0), ("我的身份证号码是{v}，实名认证一直失败。", 0),
        ("ID number {v} was rejected by the form.", 0), ("请核对身份证 {v} 的信息", 0),
        ("乘车人：张伟，证件号 {v}", 0), ("The passenger's resident ID is {v}.", 0),
        ("身份证{v}已上传", 0), ("实名信息：李娜 {v}", 0)]),
    "SSN": (lambda r, f: ssn_number(r), [
        ("My SSN is {v}, please update the W-2.", 0), ("SSN: {v}", 0),
        ("Employee social security number {v} on file.", 0), ("The form lists {v} as the SSN.", 0),
        ("social security no. {v}", 0), ("Tax ID (SSN) {v} belongs to my husband.", 0),
        ("SSN {v} does not match.", 0), ("his social security number is {v}", 0)]),
    "SECRET": (secret_value, [
        ("export OPENAI_API_KEY={v}", 0), ("My token {v} stopped working.", 1),
        ("aws_access_key_id = {v}", 2), ("SLACK_BOT_TOKEN={v}", 3), ("HF token: {v}", 4),
        ("stripe key {v} leaked?", 5), ("api_key: {v}", 6), ("我的密钥是 {v}，为什么报 401？", 7),
        ("client_secret = \"{v}\"", 6), ("访问令牌：{v}", 7), ("Authorization token={v}", 1),
        ("```python\nopenai.api_key = \"{v}\"\n```", 0)]),
    "ADDRESS": (address, [
        ("Ship it to {v} please.", 0), ("请寄到{v}，谢谢。", 2), ("We moved to {v} last month.", 1),
        ("收货地址：{v}", 3), ("Billing address: {v}", 1), ("公司地址 {v}", 2),
        ("My old place was {v}.", 0), ("快递送到{v}就行", 3)]),
}


def _version(r: random.Random) -> str:
    return ".".join(str(r.randint(0, 20)) for _ in range(r.choice([3, 4])))


LOOKALIKES: list[Callable[[random.Random], str]] = [
    lambda r: f"Order #{_digits(r, 16)} has shipped.",
    lambda r: f"订单号：{_digits(r, 18)}，请查收。",
    lambda r: f"Tracking number {_digits(r, 12)} via UPS.",
    lambda r: f"快递单号 1{r.choice('3456789')}{_digits(r, 9)}，已签收。",
    lambda r: f"Upgrade to version {_version(r)} before Friday.",
    lambda r: f"pip install torch=={r.randint(1, 2)}.{r.randint(0, 13)}.{r.randint(0, 9)}",
    lambda r: f"版本号 {_version(r)} 修复了这个问题。",
    lambda r: f"Python {r.randint(2, 3)}.{r.randint(0, 12)}.{r.randint(0, 20)} "
              f"and Node {r.randint(10, 22)}.{r.randint(0, 9)}.{r.randint(0, 9)}",
    lambda r: f"The event timestamp is {r.randint(1500000000, 1800000000)}{_digits(r, 3)} ms.",
    lambda r: f"Logged at 20{r.randint(10, 26)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d} "
              f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}.",
    lambda r: f"时间：20{r.randint(10, 26)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
              f"T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}Z",
    lambda r: f"commit {''.join(r.choice('0123456789abcdef') for _ in range(40))}",
    lambda r: f"sha256: {''.join(r.choice('0123456789abcdef') for _ in range(64))}",
    lambda r: f"md5 {''.join(r.choice('0123456789abcdef') for _ in range(32))} matches.",
    lambda r: "uuid " + "-".join("".join(r.choice("0123456789abcdef") for _ in range(n)) for n in (8, 4, 4, 4, 12)),
    lambda r: f"Compute 1{r.choice('3456789')}{_digits(r, 9)} + {r.randint(2, 999)} = ?",
    lambda r: f"计算 {r.randint(100, 999)}-{r.randint(100, 999)}-{r.randint(1000, 9999)} 的结果。",
    lambda r: f"{_digits(r, 11)} × {r.randint(2, 9)} = ?",
    lambda r: f"Solve x = {r.randint(200, 999)} * {r.randint(200, 999)} - {r.randint(1000, 9999)}.",
    lambda r: f"Find the remainder of {_digits(r, 16)} divided by 7.",
    lambda r: f"已知 a = {_digits(r, 18)}，求 a mod 9。",
    lambda r: f"The card {bad_card(r)} fails the checksum.",
    lambda r: f"身份证号 {cn_id_number(r, valid=False)} 校验失败。",
    lambda r: f"IBAN {iban_number(r, r.random() < 0.5, valid=False)} is mistyped.",
    lambda r: f"Use the @{r.choice(['property', 'staticmethod', 'dataclass', 'pytest.fixture'])} decorator.",
    lambda r: f"npm install {r.choice(['lodash', 'react', 'vue', 'axios'])}@"
              f"{r.randint(1, 18)}.{r.randint(0, 9)}.{r.randint(0, 9)}",
    lambda r: f"Save the image as icon@{r.randint(2, 3)}x.png.",
    lambda r: f"Write to {r.choice(['user', 'alice', 'test'])}@example.com in the tutorial.",
    lambda r: f"git clone git@github.com:{r.choice(['org', 'me', 'team'])}/repo.git",
    lambda r: f"ssh pi@192.168.{r.randint(0, 255)}.{r.randint(1, 254)}",
    lambda r: f"The router is at 10.{r.randint(0, 255)}.{r.randint(0, 255)}.1 and DNS at 127.0.0.{r.randint(1, 9)}.",
    lambda r: f"Docs use 203.0.113.{r.randint(1, 254)} and 2001:db8::{r.randint(1, 99)}.",
    lambda r: "In C++ write std::vector<int> v; in Python a[1::2].",
    lambda r: f"The meeting ran {r.randint(8, 11)}:{r.randint(10, 59)}:{r.randint(10, 59)} "
              f"to {r.randint(12, 17)}:00:00.",
    lambda r: "Set OPENAI_API_KEY=sk-xxxxxxxxxxxxxxxxxxxxxxxx in your shell.",
    lambda r: "api_key = os.environ[\"API_KEY\"]",
    lambda r: f"Set max_tokens={r.choice([256, 512, 1024, 2048])} and temperature=0.{r.randint(1, 9)}.",
    lambda r: "The AWS guide uses AKIAIOSFODNN7EXAMPLE as its sample key.",
    lambda r: "password: <your-password>",
    lambda r: f"ISBN 978-{r.randint(0, 9)}-{_digits(r, 3)}-{_digits(r, 5)}-{r.randint(0, 9)}",
    lambda r: f"Coordinates {r.randint(20, 50)}.{_digits(r, 4)}, {r.randint(100, 130)}.{_digits(r, 4)}",
    lambda r: f"Revenue was ${r.randint(1, 999)},{_digits(r, 3)},{_digits(r, 3)}.{_digits(r, 2)} last year.",
    lambda r: f"坐地铁{r.randint(1, 18)}号线到人民广场站。",
    lambda r: f"根据{r.randint(2015, 2025)}年第{r.randint(1, 30)}号文件执行。",
    lambda r: f"In {r.randint(1900, 2020)} Oxford Street was repaved.",
    lambda r: f"Chapter {r.randint(1, 30)} Main Street Stories is a novel.",
    lambda r: f"Room {r.randint(100, 2999)}, building {r.randint(1, 20)}.",
    lambda r: f"Serial number SN{_digits(r, 12)} is under warranty.",
    lambda r: f"工单编号 {r.randint(2020, 2026)}{_digits(r, 8)}",
    lambda r: f"MAC address {':'.join(f'{r.randint(0, 255):02x}' for _ in range(6))}",
    lambda r: "Phone numbers look like +1 followed by ten digits, e.g. +1 and then the area code.",
    lambda r: f"The range 10{_digits(r, 6)}-20{_digits(r, 6)} covers all ids.",
]


def _row(text: str, spans: list[tuple[int, int, str]], kind: str, split: str) -> dict:
    return {"text": text, "spans": [list(s) for s in spans], "kind": kind, "split": split}


def generate(seed: int = SEED) -> list[dict]:
    r = random.Random(seed)
    rows = []
    for pii_type, (make, templates) in TRUE.items():
        for t_index, (template, fmt) in enumerate(templates):
            split = "dev" if t_index % 2 == 0 else "heldout"
            for _ in range(PER_TEMPLATE):
                value = make(r, fmt)
                start = template.index("{v}")
                text = template.replace("{v}", value)
                rows.append(_row(text, [(start, start + len(value), pii_type)], "pii", split))
    for l_index, make_lookalike in enumerate(LOOKALIKES):
        split = "dev" if l_index % 2 == 0 else "heldout"
        for _ in range(PER_TEMPLATE * 2):
            rows.append(_row(make_lookalike(r), [], "lookalike", split))
    return rows


def main() -> None:
    rows = generate()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    spans = sum(len(row["spans"]) for row in rows)
    print(f"{len(rows)} rows: {spans} PII spans, {sum(r['kind'] == 'lookalike' for r in rows)} look-alikes -> {OUT}")


if __name__ == "__main__":
    main()
