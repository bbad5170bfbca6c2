"""Personal data: find emails, phones, IPs, card numbers, IBANs, ID numbers, SSNs, secrets and street addresses,
and mask them (or drop / flag the row) before anything is trained.

Detectors are data (filters/rules/pii/*.yaml: pattern, gate, validator, context, examples the tests run); this
module holds the checks that need code: checksums (Luhn, IBAN mod-97, the Chinese ID check digit), IP ranges,
entropy. Cheapest first: a row whose text passes no gate ('@', a run of digits, a vendor prefix …) costs a few
substring tests and one regex scan; only then do the detectors' regexes run.

The ledger must never become a PII store: a mask is recorded with a typed, salted hash and its offset, never the
value; a dropped row is masked before the ledger keeps it; ledger text written by earlier steps (repair spans)
and rows quarantined at ingest are scrubbed with `scrub`.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import ipaddress
import math
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import ahocorasick_rs
from pydantic import BaseModel, ConfigDict, Field, field_validator

from filters.turns import check_exchanges
from formats.example import FIELDS, Example, Reject
from formats.ledger import Ledger
from formats.text import code_blocks, inline_code
from formats.yaml_data import load_yaml

PII_RULES_DIR = Path(__file__).parent / "rules" / "pii"
Action = Literal["mask", "drop", "flag"]
STAGE = "pii"
CONTEXT_CHARS = 40  # how far not_before / not_after look
DEFAULT_SALT = "sftcurate-pii"  # library use without a project only: a pipeline run uses project_salt
SALT_FILE = Path(".sftcurate") / "pii-salt"  # beside the pipeline config; never in the output folder

# Every number detector needs a run of 7+ digits (up to two separators between them) or a dotted quad. Searched on the
# UTF-8 bytes with digits mapped to "0", separators to "." and the rest to "x": a regex that starts with a literal
# skips ahead like memchr, ~3x faster than the same regex over the text (which starts with a class). ASCII digits only:
# full-width digits (１３８…) are folded to ASCII first (fold_width).
_GATE_BYTES = bytes(ord("0") if chr(b).isdigit() else ord(".") if chr(b) in " .-/()" else ord("x")
                    for b in range(128)) + b"x" * 128
_NUMBER_GATE = re.compile(rb"0(?:\.{0,2}0){6}|0\.0{1,3}\.0{1,3}\.0")
WINDOW_CHARS = 40  # a number detector searches only this far around a gate match (an IBAN's letters come before it)
# A global unicast IPv6 address starts 2xxx: or 3xxx: (2000::/3) with another colon soon after; colon-led first.
_COLONS = re.compile(r":[0-9A-Fa-f]{0,4}:")
_IPV6_GATE = re.compile(r"[23][0-9A-Fa-f]{3}:[0-9A-Fa-f]{0,4}:")
_MARKED = re.compile(r"\[\[(.+?)\]\]", re.DOTALL)
# Full-width forms (１３８…, ｚｈａｎｇ＠１６３．ｃｏｍ) are folded to ASCII for matching only, one character
# for one: a hit's offsets are the original text's, and the original span is masked. Digits, letters and the
# symbols values are written with; not the prose punctuation of Chinese text (，：；（）！？), whose folding
# would change the context checks (a "，" before a number is not the "," of "1,234").
_FULLWIDTH = {c: c - 0xFEE0 for c in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B),
                                      *(ord(ch) for ch in "＠．－＋＿＝＊／＃％＆"))} | {0x3000: ord(" ")}
_HAS_FULLWIDTH = re.compile("[０-９Ａ-Ｚａ-ｚ＠]")
# the same test on UTF-8 (EF BC 90-99 A0-BA, EF BD 81-9A): led by a literal byte that CJK text rarely holds, so it
# skips ahead fast where the str class test would look at every character of every Chinese row
_HAS_FULLWIDTH_UTF8 = re.compile(rb"\xef(?:\xbc[\x90-\x99\xa0-\xba]|\xbd[\x81-\x9a])")


def fold_width(text: str) -> str:
    """The text with full-width digits, letters and value symbols as ASCII (the same length), when it has any."""
    if text.isascii() or not _HAS_FULLWIDTH.search(text):
        return text
    return text.translate(_FULLWIDTH)


# ------------------------------------------------------------------------------------------------ validators
def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# Test card numbers printed in payment providers' docs: not anyone's card.
_TEST_CARDS = {"4111111111111111", "4242424242424242", "4012888888881881", "4000056655665556", "5555555555554444",
               "5105105105105100", "5200828282828210", "378282246310005", "371449635398431", "6011111111111117",
               "6011000990139424", "3056930009020004", "36227206271667", "3566002020360505", "6200000000000005"}


def _issuer_ok(d: str) -> bool:
    """A known issuer prefix (IIN) with a length that issuer uses."""
    n, two, three, four = len(d), int(d[:2]), int(d[:3]), int(d[:4])
    return ((d[0] == "4" and n in (13, 16, 19)) or ((51 <= two <= 55 or 2221 <= four <= 2720) and n == 16)
            or (two in (34, 37) and n == 15) or ((four == 6011 or two == 65 or 644 <= three <= 649) and n >= 16)
            or (two == 62 and n >= 16) or (3528 <= four <= 3589 and n >= 16)
            or ((300 <= three <= 305 or two in (36, 38, 39)) and n >= 14))


def card(value: str) -> str | None:
    digits = re.sub(r"\D", "", value)
    if not 13 <= len(digits) <= 19 or digits in _TEST_CARDS or len(set(digits)) < 4:
        return None
    return value if luhn(digits) and _issuer_ok(digits) else None


_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21,
    "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18,
    "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23,
    "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28,
    "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20}


def iban(value: str) -> str | None:
    """The IBAN at the start of `value` (a match may run into a following code word): country length, mod 97."""
    expected = _IBAN_LENGTHS.get(value[:2])
    if expected is None:
        return None
    compact, end = "", 0
    for end, ch in enumerate(value, 1):  # noqa: B007 - `end` is the prefix length when the IBAN is complete
        if ch != " ":
            compact += ch
        if len(compact) == expected:
            break
    if len(compact) != expected:
        return None
    moved = compact[4:] + compact[:4]
    return value[:end] if int("".join(str(int(c, 36)) for c in moved)) % 97 == 1 else None


_CN_REGIONS = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53,
               54, 61, 62, 63, 64, 65, 71, 81, 82, 91}
_CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def cn_id(value: str) -> str | None:
    """Region (province code), a real birth date not in the future, and the ISO 7064 check digit."""
    if int(value[:2]) not in _CN_REGIONS:
        return None
    try:
        born = datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None
    if born > datetime.date.today():
        return None
    check = "10X98765432"[sum(int(c) * w for c, w in zip(value[:17], _CN_WEIGHTS, strict=True)) % 11]
    return value if value[17].upper() == check else None


def ssn(value: str) -> str | None:
    digits = value.replace("-", "")
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000" or len(set(digits)) < 3:
        return None
    return value


def phone_intl(value: str) -> str | None:
    return value if 8 <= sum(c.isdigit() for c in value) <= 15 and value[1] != "0" else None


def ip(value: str) -> str | None:
    """Only globally routable addresses: private, loopback, link-local and documentation ranges are kept."""
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version == 6 and not 0x2000 <= int(address) >> 112 < 0x4000:
        return None  # global unicast is 2000::/3; "1::2" is a Python slice
    if address.version == 4 and all(len(octet) == 1 for octet in value.split(".")):
        return None  # "2.3.4.5" numbers a list (seen in medical Q&A); the real ones (1.1.1.1) are public resolvers
    return value if address.is_global else None


_FILE_EXTENSIONS = {"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "pdf", "js", "ts", "css", "py",
                    "json", "yaml", "yml", "md", "txt", "html", "xml", "zip", "gz", "tar", "exe"}


def email(value: str) -> str | None:
    """Not a file name (icon@2x.png) and not a package pin."""
    tld = value.rsplit(".", 1)[1].lower()
    return None if tld in _FILE_EXTENSIONS else value


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    counts, n = Counter(text), len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


_PLACEHOLDER_WORDS = re.compile(r"(?i)example|your|here|xxxx|placeholder|changeme|dummy|sample|redacted|(.)\1{4}")
_PREFIX = re.compile(r"^(?:sk-(?:proj-|ant-(?:api\d\d-)?)?|(?:sk|rk)_(?:live|test)_|gh[pousr]_|github_pat_|AKIA|ASIA|"
                     r"xox[abprs]-|AIza|glpat-|hf_|)")


def random_token(value: str) -> str | None:
    """A vendor-prefixed token whose body looks random (docs' placeholders like sk-xxxx… or …EXAMPLE do not)."""
    body = value[_PREFIX.match(value).end():]  # type: ignore[union-attr]  # the pattern matches "" at worst
    if _PLACEHOLDER_WORDS.search(body) or entropy(body) < 3.0 or not re.search(r"\d", body):
        return None
    return value


def secret_value(value: str) -> str | None:
    """A value after key/token/secret/password: letters and digits mixed, high entropy, not a placeholder or code."""
    value = value.rstrip(".,;:!")
    if len(value) < 10 or _PLACEHOLDER_WORDS.search(value) or "(" in value:
        return None
    if not (re.search(r"\d", value) and re.search(r"[A-Za-z]", value)):
        return None
    classes = sum(bool(re.search(p, value)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
    return value if entropy(value) >= 3.0 and classes >= 3 or entropy(value) >= 3.5 else None


VALIDATORS: dict[str, Callable[[str], str | None]] = {
    "card": card, "iban": iban, "cn_id": cn_id, "ssn": ssn, "phone_intl": phone_intl, "ip": ip, "email": email,
    "random_token": random_token, "secret_value": secret_value}


# ------------------------------------------------------------------------------------------------ detectors
@dataclass(frozen=True, eq=False)  # identity equality: detectors are compared in every gate check
class Detector:
    id: str  # "pii.email": the ledger's rule id
    type: str  # "EMAIL": the placeholder <EMAIL>
    pattern: re.Pattern[str]
    gate: str | tuple[str, ...]  # "at" | "number" | "ipv6" | keywords (any must occur)
    gate_regex: re.Pattern[str] | None = None  # with keywords: must also match somewhere (a cheap core of the pattern)
    anchored: bool = False  # with keywords: the pattern is matched only where a keyword starts (no scan)
    group: int = 0
    validator: Callable[[str], str | None] | None = None
    not_before: re.Pattern[str] | None = None
    not_after: re.Pattern[str] | None = None
    in_code: bool = False
    priority: int = 50
    enabled: bool = True
    action: Action = "mask"
    description: str = ""
    positive: tuple[str, ...] = ()
    negative: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The config key: the id without "pii."."""
        return self.id.removeprefix("pii.")


def _compile(path: Path, entry: dict[str, Any]) -> Detector:
    entry = dict(entry)
    examples = entry.pop("examples", {}) or {}
    gate = entry.pop("gate")
    validator = entry.pop("validator", None)
    if validator is not None and validator not in VALIDATORS:
        raise ValueError(f"{path.name}: detector {entry.get('id')!r}: unknown validator {validator!r}; "
                         f"known: {', '.join(VALIDATORS)}")
    if gate not in ("at", "number", "ipv6") and not (isinstance(gate, dict) and gate.get("keywords")):
        raise ValueError(f"{path.name}: detector {entry.get('id')!r}: gate must be at / number / ipv6 or "
                         f"{{keywords: [...]}}, got {gate!r}")
    try:
        return Detector(
            pattern=re.compile(entry.pop("pattern")),
            gate=gate if isinstance(gate, str) else tuple(gate["keywords"]),
            gate_regex=re.compile(gate["regex"]) if isinstance(gate, dict) and gate.get("regex") else None,
            anchored=bool(isinstance(gate, dict) and gate.get("anchored")),
            validator=VALIDATORS[validator] if validator else None,
            not_before=_any_of(entry.get("not_before")), not_after=_any_of(entry.get("not_after")),
            positive=tuple(examples.get("positive", [])), negative=tuple(examples.get("negative", [])),
            **{k: v for k, v in entry.items() if k not in ("not_before", "not_after")})
    except (TypeError, re.error) as err:
        raise ValueError(f"{path.name}: detector {entry.get('id')!r}: {err}") from err


def _any_of(patterns: str | list[str] | None) -> re.Pattern[str] | None:
    """One regex from one or several (a list lets YAML anchors of shared context be combined)."""
    if not patterns:
        return None
    parts = [patterns] if isinstance(patterns, str) else patterns
    # a leading (?i) of one part becomes a scoped (?i:…) so that parts can be joined
    return re.compile("|".join(f"(?i:{p[4:]})" if p.startswith("(?i)") else f"(?:{p})" for p in parts))


@cache
def load_detectors(paths: tuple[Path, ...] | None = None) -> tuple[Detector, ...]:
    """Every detector from the YAML files, in file order; ids must be unique."""
    detectors: list[Detector] = []
    for path in sorted(paths if paths is not None else PII_RULES_DIR.glob("*.yaml")):
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
        detectors += [_compile(path, entry) for entry in data.get("detectors", [])]
    ids = [d.id for d in detectors]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate PII detector ids: {sorted({i for i in ids if ids.count(i) > 1})}")
    return tuple(detectors)


# ------------------------------------------------------------------------------------------------ settings
class DetectorSettings(BaseModel):
    """Overrides for one detector (or every detector of one type): unset keys keep the rule file's default."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    action: Action | None = Field(None, description="mask (typed placeholder), drop the row, or flag it")


class PiiSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="look for personal data at all")
    detectors: dict[str, DetectorSettings] = Field(
        default_factory=dict, description="by detector name (email, cn_mobile …) or type (phone, ip …)")
    allow_values: list[str] = Field(default_factory=list,
                                    description="values never masked (your support address), case-insensitive")
    allow_domains: list[str] = Field(default_factory=list,
                                     description="email domains never masked (with their subdomains); example.com, "
                                                 ".test, .example, .invalid and .localhost always are")
    allow_networks: list[str] = Field(default_factory=list,
                                      description="IP networks (CIDR) never masked; private, loopback and "
                                                  "documentation ranges never are")
    salt: str = Field("", description="salt of the hashes the ledger keeps instead of values; empty: the "
                                      "project's own random salt, made on the first run in .sftcurate/pii-salt "
                                      "beside the config (a public salt would let anyone test guesses of a "
                                      "phone number against its hash)")

    @field_validator("detectors")
    @classmethod
    def _known(cls, value: dict[str, DetectorSettings]) -> dict[str, DetectorSettings]:
        known = {d.name for d in load_detectors()} | {d.type.lower() for d in load_detectors()}
        unknown = sorted(k for k in value if k.lower() not in known)
        if unknown:
            raise ValueError(f"unknown PII detector(s) {unknown}; known: {', '.join(sorted(known))}")
        return value

    @field_validator("allow_networks")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for net in value:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError as err:
                raise ValueError(f"not an IP network: {net!r} ({err})") from None
        return value


def project_salt(folder: Path, create: bool = True) -> str:
    """The project's salt: random, made once and kept in `folder`/.sftcurate/pii-salt, so re-runs hash a value
    alike (edits stay comparable across runs) while another project, or anyone reading this code, cannot. Kept
    beside the config, not in the output folder or its cache, so neither shipping the outputs nor clearing the
    cache gives it away or changes it; the folder ignores itself in git. Without `create`, "" when there is none
    yet (reading a config writes nothing: a run refused before it starts leaves no file behind)."""
    path = folder / SALT_FILE
    if not path.is_file():
        if not create:
            return ""
        path.parent.mkdir(parents=True, exist_ok=True)
        ignore = path.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# made by sftcurate: secrets, never commit\n*\n", encoding="utf-8")
        try:  # exclusive create: two runs starting together keep one salt
            with path.open("x", encoding="utf-8") as handle:
                handle.write(secrets.token_hex(16) + "\n")
            path.chmod(0o600)
        except FileExistsError:
            pass
    salt = path.read_text(encoding="utf-8").strip()
    if not salt:
        raise ValueError(f"{path} is empty: delete it to make a new salt, or set filters.pii.salt")
    return salt


def configured(settings: PiiSettings) -> list[Detector]:
    """The detectors with the config's overrides (a name beats a type), enabled ones only."""
    out = []
    for det in load_detectors():
        over = {k.lower(): v for k, v in settings.detectors.items()}
        chosen = [o for o in (over.get(det.type.lower()), over.get(det.name)) if o is not None]
        enabled, action = det.enabled, det.action
        for o in chosen:
            enabled = o.enabled if o.enabled is not None else enabled
            action = o.action or action
        if enabled and settings.enabled:
            out.append(dataclasses.replace(det, enabled=True, action=action))
    return out


# ------------------------------------------------------------------------------------------------ scanning
@dataclass(frozen=True, slots=True)
class Hit:
    start: int
    end: int
    detector: Detector
    value: str


_RESERVED_DOMAINS = ("example.com", "example.org", "example.net", "example", "test", "invalid", "localhost",
                     "local")
_ALLOWED_VALUES = {"git@github.com", "git@gitlab.com", "git@bitbucket.org", "078-05-1120", "123-45-6789",
                   "219-09-9999", "123.45.67.89"}  # SSNs and an IP printed as examples everywhere


class Scanner:
    """The enabled detectors with their gates and allow-lists, compiled once per process."""

    def __init__(self, settings: PiiSettings) -> None:
        self.detectors = configured(settings)
        self.salt = settings.salt or DEFAULT_SALT
        self.allow_values = _ALLOWED_VALUES | {v.casefold() for v in settings.allow_values}
        self.allow_domains = _RESERVED_DOMAINS + tuple(d.casefold().lstrip("@.") for d in settings.allow_domains)
        self.allow_networks = [ipaddress.ip_network(n, strict=False) for n in settings.allow_networks]
        self._keywords: list[str] = []
        self._by_keyword: list[list[Detector]] = []
        for det in self.detectors:
            for word in det.gate if isinstance(det.gate, tuple) else ():
                if word not in self._keywords:
                    self._keywords.append(word)
                    self._by_keyword.append([])
                self._by_keyword[self._keywords.index(word)].append(det)
        # the gate runs on the UTF-8 bytes the number gate needs anyway (a str automaton re-encodes every text);
        # the str automaton finds keyword positions (in characters) for anchored detectors
        self._gate_ac = ahocorasick_rs.BytesAhoCorasick([w.encode() for w in self._keywords]) if self._keywords \
            else None
        self._ac = ahocorasick_rs.AhoCorasick(self._keywords) if self._keywords else None
        self._fixed = {gate: [d for d in self.detectors if d.gate == gate] for gate in ("at", "number", "ipv6")}

    def open_detectors(self, text: str) -> list[Detector]:
        """The detectors whose gate the text passes: most rows pass none, and the cost stops here."""
        raw = text.encode("utf-8", "surrogatepass")
        if not text.isascii() and _HAS_FULLWIDTH_UTF8.search(raw):
            text = text.translate(_FULLWIDTH)
            raw = text.encode("utf-8", "surrogatepass")
        found: list[Detector] = []
        if "@" in text:
            found += self._fixed["at"]
        if self._fixed["ipv6"] and ":" in text and _COLONS.search(text) and _IPV6_GATE.search(text):
            found += self._fixed["ipv6"]
        if self._fixed["number"] and _NUMBER_GATE.search(raw.translate(_GATE_BYTES)):
            found += self._fixed["number"]
        if self._gate_ac is not None:
            for index in {m[0] for m in self._gate_ac.find_matches_as_indexes(raw, overlapping=True)}:
                found += [d for d in self._by_keyword[index] if d not in found
                          and (d.gate_regex is None or d.gate_regex.search(text))]
        return found

    @staticmethod
    def number_windows(text: str) -> list[tuple[int, int]] | None:
        """Where the number gate matched, widened by WINDOW_CHARS and merged: every number detector's match lies in
        one, so scanning only these is enough (long code rows with a few numbers cost a few short searches).
        None for non-ASCII text, whose byte offsets are not character offsets: search it all."""
        if not text.isascii():
            return None
        windows: list[tuple[int, int]] = []
        for m in _NUMBER_GATE.finditer(text.encode().translate(_GATE_BYTES)):
            start, end = max(0, m.start() - WINDOW_CHARS), m.end() + WINDOW_CHARS
            if windows and start <= windows[-1][1]:
                windows[-1] = (windows[-1][0], end)
            else:
                windows.append((start, end))
        return windows

    def _matches(self, det: Detector, text: str, windows: list[tuple[int, int]] | None = None,
                 ) -> Iterable[re.Match[str]]:
        """The pattern's matches: a scan of the text (or of the number windows), or for an anchored detector a match
        at each keyword."""
        if windows is not None:
            return [m for start, end in windows for m in det.pattern.finditer(text, start, end)]
        if not det.anchored:
            return det.pattern.finditer(text)
        words = det.gate if isinstance(det.gate, tuple) else ()
        starts = sorted({start for index, start, _ in self._ac.find_matches_as_indexes(text, overlapping=True)
                         if self._keywords[index] in words}) if self._ac is not None else []
        found, end = [], -1
        for start in starts:
            if start >= end and (m := det.pattern.match(text, start)):
                found.append(m)
                end = m.end()
        return found

    def _allowed(self, det: Detector, value: str) -> bool:
        folded = value.casefold()
        if folded in self.allow_values:
            return True
        if det.type == "EMAIL":
            domain = folded.rsplit("@", 1)[1]
            return any(domain == d or domain.endswith("." + d) for d in self.allow_domains)
        if det.type == "IP" and self.allow_networks:
            address = ipaddress.ip_address(value)
            return any(address in net for net in self.allow_networks)
        return False

    def find(self, text: str, detectors: Iterable[Detector] | None = None, everywhere: bool = False) -> list[Hit]:
        """Non-overlapping hits in text order (on overlap the lower priority number wins, then the longer).
        Code blocks and inline code are skipped for all but secrets, unless `everywhere`. Full-width forms are
        matched as ASCII: a hit's value is the folded one, its offsets are the text's own."""
        text = fold_width(text)
        code: list[tuple[int, int]] | None = None
        hits: list[Hit] = []
        windows: list[tuple[int, int]] | None = None
        windowed = False
        for det in detectors if detectors is not None else self.detectors:
            if det.gate == "number" and not windowed:
                windows, windowed = self.number_windows(text), True
            for match in self._matches(det, text, windows if det.gate == "number" else None):
                start, end = match.span(det.group)
                value = text[start:end]
                if det.validator is not None:
                    checked = det.validator(value)
                    if checked is None:
                        continue
                    value, end = checked, start + len(checked)
                if det.not_before is not None and det.not_before.search(text, max(0, start - CONTEXT_CHARS), start):
                    continue
                if det.not_after is not None and det.not_after.match(text[end:end + CONTEXT_CHARS]):
                    continue
                if not det.in_code and not everywhere:
                    if code is None:
                        code = code_blocks(text) + inline_code(text)
                    if any(a < end and start < b for a, b in code):
                        continue
                if self._allowed(det, value):
                    continue
                hits.append(Hit(start, end, det, value))
        if len(hits) < 2:
            return hits
        kept: list[Hit] = []
        for hit in sorted(hits, key=lambda h: (h.detector.priority, h.start - h.end, h.start)):
            if all(hit.end <= k.start or k.end <= hit.start for k in kept):
                kept.append(hit)
        return sorted(kept, key=lambda h: h.start)

    def token(self, det: Detector, value: str) -> str:
        """What the ledger keeps instead of the value: its type and a salted hash (equal values, equal tokens)."""
        digest = hashlib.blake2b(f"{self.salt}\x1f{det.type}\x1f{_canonical(value)}".encode(), digest_size=6)
        return f"<{det.type}#{digest.hexdigest()}>"

    def scrub(self, text: str) -> str:
        """Every hit, code included, replaced by its bare placeholder: for text the ledger keeps from elsewhere."""
        if not text:
            return text
        hits = self.find(text, self.open_detectors(text), everywhere=True)
        for hit in reversed(hits):
            text = f"{text[:hit.start]}<{hit.detector.type}>{text[hit.end:]}"
        return text

    def scrub_tree(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, dict):
            return {k: self.scrub_tree(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.scrub_tree(v) for v in value]
        return value


def _canonical(value: str) -> str:
    return re.sub(r"[\s\-().]", "", value).casefold()


_SCANNERS: dict[str, Scanner] = {}


def scanner_for(settings: PiiSettings) -> Scanner:
    key = settings.model_dump_json()
    if key not in _SCANNERS:
        _SCANNERS[key] = Scanner(settings)
    return _SCANNERS[key]


def marked_spans(example: str) -> tuple[str, list[tuple[int, int]]]:
    """A rule example without its [[ ]] marks, and the marked spans."""
    spans, text, last = [], "", 0
    for m in _MARKED.finditer(example):
        text += example[last:m.start()]
        spans.append((len(text), len(text) + len(m.group(1))))
        text += m.group(1)
        last = m.end()
    return text + example[last:], spans


# ------------------------------------------------------------------------------------------------ the step
class _Names:
    """Placeholders consistent within a row: the same value is <EMAIL> everywhere in it, a second one <EMAIL_2>."""

    def __init__(self) -> None:
        self.names: dict[tuple[str, str], str] = {}
        self.per_type: Counter[str] = Counter()

    def of(self, hit: Hit) -> str:
        key = (hit.detector.type, _canonical(hit.value))
        if key not in self.names:
            self.per_type[hit.detector.type] += 1
            n = self.per_type[hit.detector.type]
            self.names[key] = f"<{hit.detector.type}>" if n == 1 else f"<{hit.detector.type}_{n}>"
        return self.names[key]


def _masked(text: str, hits: list[Hit], names: _Names) -> str:
    parts, last = [], 0
    for hit in hits:
        parts += [text[last:hit.start], names.of(hit)]
        last = hit.end
    return "".join(parts) + text[last:]


class PiiStep:
    """Personal data masked (or the row dropped / flagged), every mask an edit that keeps no value."""

    name = STAGE

    def __init__(self, settings: PiiSettings) -> None:
        self.scanner = scanner_for(settings)
        # it drops rows only when some detector's action is drop: otherwise no funnel line of its own
        self.label = STAGE if any(d.action == "drop" for d in self.scanner.detectors) else ""
        self._touched: set[str] = set()  # ids of the rows the last apply() found PII in

    def rule_ids(self) -> list[str]:
        return [d.id for d in self.scanner.detectors]

    def _one(self, example: Example, ledger: Ledger) -> bool:
        """One row (or one exchange of a conversation); False when it is dropped."""
        open_ = self.scanner.open_detectors(f"{example.instruction}\n{example.input}\n{example.output}")
        if not open_:  # most rows end here
            return True
        found = {name: self.scanner.find(text, open_) for name in FIELDS if (text := getattr(example, name))}
        if not any(found.values()):
            return True
        self._touched.add(example.id)
        return self._handle(example, {k: v for k, v in found.items() if v}, ledger)

    def _conversation(self, example: Example, ledger: Ledger) -> bool:
        """Every turn (filters/turns.py: edits name the turn; a drop action drops the whole conversation), then
        the system prompt."""
        if example.history and not check_exchanges(example, self._one, ledger, STAGE, "drop"):
            return False
        if not example.system:
            return True
        view, scratch = Example(example.id, "", "", example.system, example.source, example.meta), Ledger()
        kept = self._one(view, scratch)
        example.system = view.output  # masked, even when the row is dropped: the ledger keeps no value
        if not kept:
            ledger.drop(example, STAGE, scratch.rejects[-1].rule, "personal data in the system prompt; action drop",
                        STAGE)
            return False
        for edit in scratch.edits:
            edit.field = "system"
        ledger.merge(scratch)
        return True

    def apply(self, rows: list[Example], ledger: Ledger) -> list[Example]:
        if not self.scanner.detectors:
            return rows
        self._touched = set()
        kept = [example for example in rows
                if (self._conversation(example, ledger) if example.is_conversation else self._one(example, ledger))]
        if self._touched:
            self.scrub_edits(ledger)
        return kept

    def _handle(self, example: Example, found: dict[str, list[Hit]], ledger: Ledger) -> bool:
        """Mask, drop or flag one row; False when it is dropped."""
        hits = [h for field_hits in found.values() for h in field_hits]
        example.meta["pii"] = dict(sorted(Counter(h.detector.type for h in hits).items()))
        names = _Names()
        drops = [h for h in hits if h.detector.action == "drop"]
        if drops:  # the ledger keeps the row whole: with every value masked, whatever its action
            for name, field_hits in found.items():
                setattr(example, name, _masked(getattr(example, name), field_hits, names))
            kinds = ", ".join(f"{t}×{n}" for t, n in example.meta["pii"].items())
            ledger.drop(example, STAGE, drops[0].detector.id, f"personal data found ({kinds}); action drop", STAGE)
            return False
        for name, field_hits in found.items():
            masks = [h for h in field_hits if h.detector.action == "mask"]
            if masks:
                for hit in masks:
                    ledger.edit(example, STAGE, hit.detector.id, name, self.scanner.token(hit.detector, hit.value),
                                names.of(hit), category=STAGE, action="mask", at=hit.start, chars=len(hit.value))
                setattr(example, name, _masked(getattr(example, name), masks, names))
        for rule in dict.fromkeys(h.detector.id for h in hits if h.detector.action == "flag"):
            ledger.flag(example, STAGE, rule, STAGE)
        return True

    def scrub_edits(self, ledger: Ledger) -> None:
        """Other steps' edits of the rows this step found PII in: their text must not keep a value. Run here for
        the edits made before (repair spans), and again once the chain has run (clean_batch) for those made after:
        a flagged value stays in the row, so a slop strip can cut a sentence holding it."""
        for edit in ledger.edits if self._touched else ():
            if edit.id in self._touched and edit.stage != STAGE:
                edit.removed, edit.added = self.scanner.scrub(edit.removed), self.scanner.scrub(edit.added)


def scrub_reject(reject: Reject, settings: PiiSettings) -> Reject:
    """A row quarantined before the chain ran (at ingest), with every PII value replaced by its placeholder."""
    if not settings.enabled:
        return reject
    scanner = scanner_for(settings)
    return Reject(reject.id, reject.source, reject.stage, reject.rule, scanner.scrub(reject.detail),
                  scanner.scrub_tree(reject.row))
