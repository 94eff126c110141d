"""The supermarket on the abnormal-operation list and its 告知承诺, July–October 2026: its 2025
annual report is not published by 30 June, so it is listed (not before the cause arose); it files
the report and is removed within 5 working days; it then changes its food business permit on a
commitment, which a targeted inspection checks and finds true."""

from __future__ import annotations

from datetime import datetime

from zhifa.demo.narrator import Narrator

CHECKLIST = "K1: 经营场所与承诺一致\nK2: 冷藏设施\nK3: 食品安全管理制度"


def tell_credit_lists(s: Narrator, uscc: str) -> None:
    """List, remove, commit and check the supermarket."""
    engine, out = s.engine, s.out
    out("")
    out("Lists and commitments — the supermarket misses its annual report, then commits")
    listing = {
        "ground": "annual_report",
        "report_year": 2025,
        "facts": "截至 2026-06-30 未通过国家企业信用信息公示系统报送并公示 2025 年度报告",
    }
    s.at(datetime(2026, 6, 30, 16, 0))
    s.refused(
        "王芳 lists it on 30 June, the last day to publish the report",
        lambda: engine.open("abnormal_list", "XH-012", listing, entity=uscc),
    )
    s.at(datetime(2026, 7, 7, 10, 0))
    m = s.step(
        engine.open("abnormal_list", "XH-012", listing, entity=uscc),
        "王芳 lists it on 7 July: on the abnormal-operation list (class C while listed)",
    )
    s.at(datetime(2026, 7, 20, 9, 30))
    m = s.step(
        engine.advance(
            m, "apply_for_removal", "XH-012", {"cure": "reports_filed", "cured_on": "2026-07-17"}
        ),
        "the report was filed on 17 July: the supermarket applies for removal",
    )
    s.at(datetime(2026, 7, 24, 10, 0))
    s.step(engine.advance(m, "remove", "XH-001"), "陈建国 removes it within 5 working days")

    s.at(datetime(2026, 8, 3, 9, 0))
    promise = {
        "kind": "permit",
        "item": "食品经营许可证变更（增加冷藏冷冻食品销售）",
        "content": "承诺新增冷库符合食品经营许可审查细则，场所、设施与申报材料一致",
    }
    c = s.step(
        engine.open("commitment", "XH-012", promise, entity=uscc),
        "王芳 receives its 告知承诺 to change the food business permit",
    )
    s.at(datetime(2026, 8, 4, 10, 0))
    grant = {"check_by": "2026-11-04", "decision_no": "杭西市监许〔2026〕208号"}
    c = s.step(
        engine.advance(c, "grant", "XH-001", grant),
        "the permit is changed on the commitment, to be checked by 4 November",
    )
    s.at(datetime(2026, 9, 14, 9, 0))
    check = {"source": "targeted", "summary": "告知承诺事项核查（冷藏冷冻食品销售）"}
    i = s.step(
        engine.open("inspection", "XH-001", {**check, "checklist": CHECKLIST}, entity=uscc),
        "陈建国 plans a targeted inspection to check the commitment",
    )
    i = s.step(
        engine.advance(i, "assign", "XH-001", {"inspectors": ["XH-011", "XH-014"]}),
        "李明 and 张伟 assigned",
    )
    s.at(datetime(2026, 9, 16, 9, 30))
    i = s.step(
        engine.advance(i, "start", "XH-011", {"present": ["XH-011", "XH-014"]}),
        "both inspectors on site",
    )
    s.at(datetime(2026, 9, 16, 11, 0))
    results = "K1: pass\nK2: pass\nK3: pass"
    i = s.step(
        engine.advance(i, "record_result", "XH-014", {"results": results}),
        "nothing found: a clean inspection",
    )
    s.at(datetime(2026, 9, 18, 10, 0))
    s.step(
        engine.advance(i, "publish", "XH-011", {"text": "检查结果：未发现问题"}),
        "the result is published",
    )
    s.at(datetime(2026, 9, 18, 15, 0))
    finding = {"method": "targeted_inspection", "finding": f"第 {i.id} 号检查：与承诺一致"}
    s.step(engine.advance(c, "confirm", "XH-011", finding), "the commitment is checked and true")
