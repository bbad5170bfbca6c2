import gzip
import json
import sqlite3

import pytest

from formats.example import Example, Reject
from formats.readers import read_source
from formats.readers.csv_reader import CsvSource
from formats.readers.html_reader import HtmlSource
from formats.readers.jsonl_reader import JsonlSource
from formats.readers.sql_reader import SqlSource, check_read_only
from formats.sources import Columns
from tests.conftest import SAMPLE, write


def split(records):
    records = list(records)
    return [r for r in records if isinstance(r, Example)], [r for r in records if isinstance(r, Reject)]


def test_csv_quarantines_bad_rows_with_line_and_keeps_the_rest(tmp_path):
    write(tmp_path / "t.csv", 'q,a\n"multi\nline question","answer one"\nbad,row,extra\n"q3","a3"\n')
    spec = CsvSource(name="t", kind="csv", path="t.csv", columns=Columns(instruction="q", output="a"))
    good, bad = split(read_source(spec, tmp_path))
    assert [e.instruction for e in good] == ["multi\nline question", "q3"]
    assert good[0].meta["locator"] == "t.csv:2" and good[1].meta["locator"] == "t.csv:5"
    assert len(bad) == 1 and bad[0].rule == "bad-csv-row" and "line 4: 3 fields, header has 2" in bad[0].detail


def test_csv_detects_gb18030_and_strips_bom(tmp_path):
    text = "问题,回答\n" + "".join(f"头痛怎么办{i}？,多休息，多喝水，必要时就医。第{i}条\n" for i in range(50))
    write(tmp_path / "zh.csv", text, "gb18030")
    write(tmp_path / "bom.csv", "\ufeffq;a\nhello;world\n")
    zh = CsvSource(name="zh", kind="csv", path="zh.csv", columns=Columns(instruction="问题", output="回答"))
    good, bad = split(read_source(zh, tmp_path))
    assert len(good) == 50 and not bad and good[3].instruction == "头痛怎么办3？"
    bom = CsvSource(name="b", kind="csv", path="bom.csv", columns=Columns(instruction="q", output="a"))
    good, _ = split(read_source(bom, tmp_path))
    assert (good[0].instruction, good[0].output) == ("hello", "world")


def test_csv_missing_column_fails_the_source(tmp_path):
    write(tmp_path / "t.csv", "q,a\nx,y\n")
    spec = CsvSource(name="t", kind="csv", path="t.csv", columns=Columns(instruction="question", output="a"))
    with pytest.raises(ValueError, match=r"column\(s\) \['question'\] not found"):
        list(read_source(spec, tmp_path))


def test_csv_columns_combine_and_take_constants(tmp_path):
    write(tmp_path / "t.csv", "q,ctx,notes,a\nWhy?,c1,n1,Because.\n")
    spec = CsvSource(name="t", kind="csv", path="t.csv",
                     columns=Columns(instruction={"const": "Answer the ticket."}, input=["q", "ctx", "notes"],
                                     output="a"))
    good, _ = split(read_source(spec, tmp_path))
    assert good[0].instruction == "Answer the ticket." and good[0].input == "Why?\n\nc1\n\nn1"


def test_jsonl_bad_line_is_quarantined_and_mapping_applies(tmp_path):
    write(tmp_path / "d.jsonl",
          '{"instruction": "i1", "response": "r1"}\n{broken\n{"instruction": "i2", "response": "r2"}\n')
    spec = JsonlSource(name="d", kind="jsonl", path="d.jsonl", columns=Columns(output="response"))
    good, bad = split(read_source(spec, tmp_path))
    assert [(e.instruction, e.output) for e in good] == [("i1", "r1"), ("i2", "r2")]
    assert bad[0].rule == "bad-json" and bad[0].detail.startswith("line 2:")


def test_json_array_and_chat_rows(tmp_path):
    write(tmp_path / "a.json", '[{"instruction": "a", "input": "b", "output": "c"}]')
    write(tmp_path / "m.jsonl", '{"messages": [{"role": "system", "content": "be brief"}, '
          '{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'
          '{"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]}\n')
    good, _ = split(read_source(JsonlSource(name="a", kind="jsonl", path="a.json"), tmp_path))
    assert (good[0].instruction, good[0].input, good[0].output) == ("a", "b", "c")
    good, _ = split(read_source(JsonlSource(name="m", kind="jsonl", path="m.jsonl"), tmp_path))
    assert [(e.system, e.instruction, e.input, e.output) for e in good] == [("be brief", "hi", "", "hello"),
                                                                            ("", "q", "", "a")]


def test_sqlite_script_source_uses_key_locator():
    spec = SqlSource(name="kb", kind="sql", url="sqlite://", script="kb.sql", key="id",
                     query="SELECT id, title, body, answer FROM articles ORDER BY id",
                     columns=Columns(instruction="title", input="body", output="answer"))
    good, bad = split(read_source(spec, SAMPLE))
    assert len(good) == 11 and not bad
    assert good[0].meta["locator"] == "row id=1" and good[0].instruction == "How do I invite a teammate?"


def test_sqlite_is_opened_read_only(tmp_path):
    db = tmp_path / "x.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (instruction TEXT, output TEXT)")
        conn.execute("INSERT INTO t VALUES ('q', 'a')")
    spec = SqlSource(name="x", kind="sql", url="sqlite:///x.sqlite", query="SELECT instruction, output FROM t")
    good, _ = split(read_source(spec, tmp_path))
    assert good[0].output == "a"
    # A statement that slipped past the query check would still meet a read-only connection.
    from sqlalchemy import text

    from formats.readers.sql_reader import _engine
    with _engine(spec, tmp_path) as engine, engine.connect() as conn, pytest.raises(Exception, match="readonly"):
        conn.execute(text("INSERT INTO t VALUES ('x', 'y')"))


@pytest.mark.parametrize("query", ["DELETE FROM t", "SELECT 1; DROP TABLE t",
                                   "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "ATTACH DATABASE 'y' AS y"])
def test_write_queries_are_refused(query):
    with pytest.raises(ValueError):
        check_read_only(query)


@pytest.mark.parametrize("query", ["SELECT replace(title, 'a', 'b') AS t FROM x",
                                   "with a as (select 1) select * from a", "SELECT 'delete me; please' AS s"])
def test_read_queries_pass(query):
    check_read_only(query)


def test_html_faq_preset_and_gbk_page():
    spec = HtmlSource(name="faq", kind="html", paths="html/*-faq.html", selectors="faq")
    good, bad = split(read_source(spec, SAMPLE))
    assert not bad
    by_q = {e.instruction: e for e in good}
    assert "如何重置登录密码？" in by_q  # the page is GBK-encoded and declares it in a meta tag
    rotate = by_q["How can I rotate an API key?"].output
    assert "```bash\nacme keys create --name ci-2026\nacme keys revoke --name ci-2025\n```" in rotate
    card = by_q["Can I change the card I pay with?"].output
    assert "1. Go to Settings → Billing → Payment methods.\n2. Click Add card" in card
    assert by_q["Why was I charged twice this month?"].output.count("€1") == 1  # entity decoded


def test_html_gzip_page_and_unparseable_page_is_quarantined(tmp_path):
    (tmp_path / "p.html.gz").write_bytes(gzip.compress(
        b"<html><body><div class=faq-item><p class=question>Q?</p><p class=answer>A.</p></div></body></html>"))
    (tmp_path / "broken.html.gz").write_bytes(b"\x1f\x8b not really gzip")
    spec = HtmlSource(name="p", kind="html", paths="*.html.gz", selectors="faq")
    good, bad = split(read_source(spec, tmp_path))
    assert [(e.instruction, e.output) for e in good] == [("Q?", "A.")]
    assert bad[0].rule == "bad-page" and "broken.html.gz" in bad[0].detail


def test_toyhom_gb18030_csv_is_detected_and_read_whole(devdata):
    spec = CsvSource(name="toyhom", kind="csv", path="csv/toyhom_internal_medicine_gb18030.csv",
                     columns=Columns(instruction="title", input="ask", output="answer"))
    good, bad = split(read_source(spec, devdata))
    assert len(good) + len(bad) == 7644
    assert not bad
    assert all("\ufffd" not in e.instruction + e.output for e in good)
    assert good[0].instruction == "高血压患者能吃党参吗？"
    assert good[0].meta["locator"] == "csv/toyhom_internal_medicine_gb18030.csv:2"


def test_gpteacher_response_column_maps_to_output(devdata):
    spec = JsonlSource(name="gpt", kind="jsonl", path="alpaca/gpteacher_codegen.json",
                       columns=Columns(output="response"))
    good, bad = split(read_source(spec, devdata))
    assert len(good) == 4535 and not bad
    assert all(e.output for e in good)


def test_stackoverflow_preset_on_real_pages(devdata):
    spec = HtmlSource(name="so", kind="html", paths="stackoverflow/*.html.gz", selectors="stackoverflow")
    good, bad = split(read_source(spec, devdata / "html"))
    assert len(good) == 12 and not bad
    by_title = {e.instruction: e for e in good}
    git = by_title["How do I delete a Git branch locally and remotely?"]
    assert git.input.startswith("I want to delete a branch both locally and remotely.")
    # the accepted answer, with its code block kept as a fence and line breaks intact
    assert git.output.startswith("Executive Summary\n\n```\n$ git push -d <remote_name> <branch_name>\n"
                                 "$ git branch -d <branch_name>\n```")
    date = by_title["YYYY-MM-DD format date in shell script"]
    assert date.input.startswith("I tried using `$(date)` in my bash shell script")
    assert date.output.startswith("In bash (>=4.2) it is preferable to use printf's built-in date formatter")
    pt = by_title["Abrir arquivo em Python só funciona com pastas do Windows em inglês"]  # entities decoded
    assert pt.output.startswith("O problema é que os nomes corretos")
    regex = by_title["RegEx match open tags except XHTML self-contained tags"]
    assert not regex.input.startswith("Locked.") and not regex.output.startswith("Locked.")


def test_text_mode_keeps_the_article_and_drops_the_chrome(tmp_path):
    body = " ".join(f"Sentence {i} of the article explains how invoices are numbered and stored." for i in range(30))
    write(tmp_path / "a.html", f"<html><head><title>Invoices</title></head><body><nav>Home | Pricing | Login</nav>"
          f"<article><h1>How invoices work</h1><p>{body}</p></article>"
          "<footer>© Acme · Privacy · Terms</footer></body></html>")
    spec = HtmlSource(name="t", kind="html", paths="*.html", extract="text", instruction="Explain {h1} ({title})")
    good, _ = split(read_source(spec, tmp_path))
    assert good[0].instruction == "Explain How invoices work (Invoices)"
    assert "Sentence 29 of the article" in good[0].output
    assert "Pricing" not in good[0].output and "Privacy" not in good[0].output


def test_text_mode_on_real_pages_matches_the_reference(devdata):
    import re
    from collections import Counter

    from bs4 import BeautifulSoup

    from formats.main_text import main_text

    def bag(text):
        return Counter(re.findall(r"\w+", text.casefold()))

    for name in ("bbc-1", "lwn-1"):
        page = devdata / "html" / "readability" / name
        got = bag(main_text((page / "source.html").read_text(encoding="utf-8", errors="replace")))
        want = bag(BeautifulSoup((page / "expected.html").read_text(encoding="utf-8"), "lxml").get_text(" "))
        overlap = sum((got & want).values())
        f1 = 2 * overlap / (sum(got.values()) + sum(want.values()))
        assert f1 > 0.9, (name, f1)


PAGE = "<html><head>{meta}<title>t</title></head><body><div class=faq-item><p class=question>{q}</p>" \
       "<p class=answer>{a}</p></div></body></html>"


@pytest.mark.parametrize("encoding,declared,q,a", [
    ("big5", True, "如何變更密碼？", "請到設定頁面點選「變更密碼」。"),
    ("shift_jis", True, "パスワードを変更するには？", "設定ページで「パスワード変更」を選んでください。"),
    ("cp1252", True, "Where’s my café receipt?", "Open Billing — then “Receipts”."),
    ("gb2312", True, "如何重置密码？", "在登录页点击“忘记密码”。"),
    ("gb18030", False, "发票怎么开？开具增值税专用发票需要哪些信息？",
     "请提供公司名称、税号、开户行及账号，我们会在三个工作日内开具。"),
    ("utf-8-sig", False, "BOM page?", "Yes — the byte-order mark is stripped."),
    ("utf-16", False, "UTF-16 page?", "Decoded from its byte-order mark."),
])
def test_html_charsets_declared_bom_and_undeclared(tmp_path, encoding, declared, q, a):
    meta = f'<meta charset="{encoding}">' if declared else ""
    (tmp_path / "p.html").write_bytes(PAGE.format(meta=meta, q=q, a=a).encode(encoding))
    good, bad = split(read_source(HtmlSource(name="p", kind="html", paths="*.html", selectors="faq"), tmp_path))
    assert not bad and (good[0].instruction, good[0].output) == (q, a)


def test_undecodable_page_is_quarantined_with_the_reason(tmp_path):
    (tmp_path / "bad.html").write_bytes(b"<html><body>\xff\xfe\x00broken")
    spec = HtmlSource(name="p", kind="html", paths="*.html", selectors="faq", encoding="utf-8")
    good, bad = split(read_source(spec, tmp_path))
    assert not good and bad[0].rule == "bad-page" and "utf-8" in bad[0].detail


def test_csv_row_with_undecodable_bytes_is_quarantined_and_the_rest_goes_on(tmp_path):
    (tmp_path / "t.csv").write_bytes(b"q,a\nfine,row\nbad \xff byte,row\nalso,fine\n")
    spec = CsvSource(name="t", kind="csv", path="t.csv", encoding="utf-8",
                     columns=Columns(instruction="q", output="a"))
    good, bad = split(read_source(spec, tmp_path))
    assert [e.instruction for e in good] == ["fine", "also"]
    assert bad[0].rule == "undecodable-bytes" and bad[0].detail == "line 3: bytes not valid in utf-8"
    assert bad[0].row["raw"]["q"] == "bad \ufffd byte"


def test_multi_turn_chats_keep_their_structure(tmp_path):
    rows = [
        {"id": "c1", "conversations": [
            {"from": "system", "value": "You are a support agent."}, {"from": "human", "value": "Hi"},
            {"from": "gpt", "value": "Hello, how can I help?"}, {"from": "human", "value": "What is your SLA?"},
            {"from": "gpt", "value": "99.95% monthly uptime."}, {"from": "human", "value": "Thanks, bye"}]},
        {"messages": [{"role": "user", "content": "Part one."}, {"role": "user", "content": "Part two."},
                      {"role": "assistant", "content": "Both parts read."}]},
        {"conversations": [{"from": "gpt", "value": "Hello!"}, {"from": "human", "value": "Hi"}]},
        {"messages": [{"role": "user", "content": "Weather?"}, {"role": "tool", "content": "{}"},
                      {"role": "assistant", "content": "Sunny."}]},
        {"instruction": "And in French?", "input": "", "output": "Bonjour.", "system": "Be brief.",
         "history": [["Say hello.", "Hello."]]},
    ]
    (tmp_path / "c.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    good, bad = split(read_source(JsonlSource(name="c", kind="jsonl", path="c.jsonl"), tmp_path))
    first = good[0]
    assert first.system == "You are a support agent."
    assert first.history == [["Hi", "Hello, how can I help?"]]
    assert (first.instruction, first.input, first.output) == ("What is your SLA?", "", "99.95% monthly uptime.")
    assert first.meta["unanswered_turn_cut"] is True
    assert not any(label in text for label in ("human:", "gpt:", "system:") for ex in good
                   for _, text in ex.turns())
    assert (good[1].instruction, good[1].meta["joined_turns"]) == ("Part one.\n\nPart two.", 1)
    assert (good[2].system, good[2].history, good[2].output) == ("Be brief.", [["Say hello.", "Hello."]], "Bonjour.")
    reasons = [r.detail for r in bad]
    assert len(bad) == 2 and "starts with an assistant turn" in reasons[0] and "tool" in reasons[1]
