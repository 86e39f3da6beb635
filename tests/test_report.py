"""The board paper: ``nhsim report`` on real results folders, read back from its files.

The headline figures are read back from the HTML and from the PDF's text and checked
against ``comparison.csv`` (and ``summary.csv`` for a run): each printed number is the
CSV's value rounded, written the report's way. The page must load nothing from the
network, and a folder that is not a results folder is refused with exit code 2,
having written nothing.
"""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sim import load_scenario
from sim.cli.main import main
from sim.output.report_data import Row
from sim.output.report_format import headline_cells, number, summary_cells, value
from sim.runs.compare import AVOIDED_METRICS, compare

pytest.importorskip("weasyprint", reason="the PDF needs the app extra: pip install -e '.[app]'")
pypdf = pytest.importorskip("pypdf", reason="reading the PDF back needs pypdf (dev extra)")

OVERRIDES = ["run.days=60", "run.warmup_days=20", "services.reablement.beds=8"]
"""Short runs; reablement made scarce so that a service is nearly always full."""


class _Tables(HTMLParser):
    """Rows of every table (cells as text), with each row's data-metric, by section."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[tuple[str | None, list[str]]]] = {}
        self.images: list[str] = []
        self._section = ""
        self._row: list[str] | None = None
        self._metric: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self._section = a.get("id") or ""
        elif tag == "tr":
            self._row, self._metric = [], a.get("data-metric")
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "img":
            self.images.append(a.get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.setdefault(self._section, []).append((self._metric, self._row))
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _tables(html: str) -> _Tables:
    parser = _Tables()
    parser.feed(html)
    return parser


def _csv_rows(path: Path) -> dict[str, dict[str, float]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return {
            r["metric"]: {k: float(v) if v else math.nan for k, v in r.items() if k != "metric"}
            for r in csv.DictReader(fh)
        }


def _parse(text: str) -> float:
    """A printed number back to a float ("−1,234" → -1234)."""
    return float(text.replace("\u2212", "-").replace(",", "").replace("£", "").rstrip("%"))


def _pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(str(path))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def _visible_text(html: str) -> str:
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    html = re.sub(r'src="data:[^"]*"', "", html)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A paired comparison of the neighbourhood and its investment (with costs), written
    the way ``nhsim compare`` writes it, figures included."""
    from sim.output.figures import comparison_figures
    from sim.output.results import write_comparison

    out = tmp_path_factory.mktemp("compare") / "nb"
    cf = load_scenario("configs/neighbourhood_50k.toml", OVERRIDES)
    sc = load_scenario("configs/neighbourhood_50k_invest.toml", OVERRIDES)
    comparison = compare(cf, sc, 3, 2024, workers=1)
    write_comparison(out, comparison, ["nhsim", "compare", "(test)"], datetime.now(UTC))
    comparison_figures(comparison, out)
    assert main(["report", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def page(compared: Path) -> str:
    return (compared / "report.html").read_text(encoding="utf-8")


def test_headline_figures_are_comparison_csv_values(compared: Path, page: str) -> None:
    csv_rows = _csv_rows(compared / "comparison.csv")
    shown = {m: cells for m, cells in _tables(page).rows["headline"] if m}
    expected = [m for m in AVOIDED_METRICS if m in csv_rows]
    assert list(shown) == expected and len(expected) == 7
    for metric in expected:
        r = csv_rows[metric]
        row = Row(metric, r["difference"], r["ci_low"], r["ci_high"], r["counterfactual_mean"],
                  r["scenario_mean"])  # fmt: skip
        assert shown[metric] == list(headline_cells(row))
        # and each printed figure is the CSV's value, rounded
        _, cf, sc, avoided, ci = shown[metric]
        lo, hi = ci.split(" to ")
        for text, exact in (
            (cf, r["counterfactual_mean"]),
            (sc, r["scenario_mean"]),
            (avoided, -r["difference"]),
            (lo, -r["ci_high"]),
            (hi, -r["ci_low"]),
        ):
            decimals = len(text.split(".")[1]) if "." in text else 0
            assert abs(_parse(text) - exact) <= 0.5 * 10**-decimals + 1e-9, (metric, text, exact)


def test_pdf_has_the_same_headline_figures(compared: Path) -> None:
    text = _pdf_text(compared / "report.pdf")
    csv_rows = _csv_rows(compared / "comparison.csv")
    for metric in AVOIDED_METRICS:
        r = csv_rows[metric]
        row = Row(metric, r["difference"], r["ci_low"], r["ci_high"], r["counterfactual_mean"],
                  r["scenario_mean"])  # fmt: skip
        figures = " ".join(headline_cells(row)[1:])
        assert figures in text, (metric, figures)
    assert "STRESS-DES" in text and "Page 1 of" in text


def test_costs_and_cost_per_admission(compared: Path, page: str) -> None:
    csv_rows = _csv_rows(compared / "comparison.csv")
    costs = {m: cells for m, cells in _tables(page).rows["costs"] if m}
    assert set(costs) == {m for m in csv_rows if m.startswith("cost.")}
    total = csv_rows["cost.total"]
    assert costs["cost.total"][3] == value("cost.total", total["difference"], 0, sign=True)
    avoided = -csv_rows["admissions.total"]["difference"]
    if avoided > 0:
        per = value("cost.total", total["difference"] / avoided, 0, sign=True)
        assert f"= {per}" in re.sub(r"\s+", " ", _visible_text(page))


def test_page_is_self_contained(compared: Path, page: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert not re.search(r"@import|@font-face|url\(", page)
    images = _tables(page).images
    assert len(images) == len(list((compared / "plots").glob("*.png"))) == 3  # with investment.png
    assert all(src.startswith("data:image/png;base64,") for src in images)


def test_no_minus_zero_and_thousands_separators(page: str) -> None:
    text = _visible_text(page)
    assert not re.search(r"[\u2212-]£?0(?:\.0+)?(?![\d.,])", text)
    assert re.search(r"\d,\d{3}", text)  # e.g. the population, 50,000
    assert number(-0.4) == "0" and number(-0.04, 1) == "0.0" and number(-0.0) == "0"
    assert number(1234567.4) == "1,234,567" and number(-1234.6) == "\u22121,235"
    assert value("ucr.seen_within_target", 0.77941, 1) == "77.9%"
    assert value("cost.total", -16742.3, 0, sign=True) == "\u2212£16,742"


def test_stress_checklist_is_filled_from_the_manifest(compared: Path, page: str) -> None:
    manifest = json.loads((compared / "manifest.json").read_text(encoding="utf-8"))
    run = json.loads((compared / "scenario" / "scenario.json").read_text(encoding="utf-8"))["run"]
    items = {cells[0]: cells[1] for _, cells in _tables(page).rows["stress"][1:]}
    assert len(items) == 20
    assert f"Seed {manifest['seed']}" in items["5.2 Random sampling"]
    assert "demand.calls_999.arrivals" in items["5.2 Random sampling"]
    assert (
        f"{manifest['replications']} independent replications" in items["4.3 Estimation approach"]
    )
    assert f"{number(run['warmup_days'])} days' warm-up" in items["4.1 Initialisation"]
    assert f"{number(run['days'])} days measured" in items["4.2 Run length"]
    software = items["5.1 Software or programming language"]
    assert f"Python {manifest['versions']['python']}" in software
    assert f"SimPy {manifest['versions']['simpy']}" in software
    started = datetime.fromisoformat(manifest["started"]).isoformat(sep=" ")
    assert started in items["5.4 System specification"]
    assert "services.ucr.staff: 1 → 3" in items["2.3 Scenario logic"]


def test_warnings_from_the_folder_or_saturation(compared: Path, page: str, tmp_path: Path) -> None:
    summary = _csv_rows(compared / "scenario" / "summary.csv")
    full = [m.split(".")[0] for m, r in summary.items()
            if m.endswith((".occupancy", ".utilisation")) and r["mean"] >= 0.95]  # fmt: skip
    notes = [cells for _, cells in _tables(page).rows.get("warnings", [])]
    text = _visible_text(page.split('id="warnings"')[1].split("</section>")[0])
    assert full and not notes  # a list, not a table
    for service in full:
        assert re.search(rf"{re.escape(service.replace('_', ' '))} is at \d", text, re.I)
    copy = tmp_path / "copy"
    shutil.copytree(compared, copy)
    (copy / "warnings.json").write_text(json.dumps(["acute beds run out in January"]))
    assert main(["report", str(copy), "--out", str(tmp_path / "elsewhere")]) == 0
    other = (tmp_path / "elsewhere" / "report.html").read_text(encoding="utf-8")
    assert "acute beds run out in January" in other
    assert sorted(p.name for p in (tmp_path / "elsewhere").iterdir()) == [
        "report.html",
        "report.pdf",
    ]


def test_run_folder_without_plots(tmp_path: Path) -> None:
    out = tmp_path / "run"
    argv = ["run", "configs/teaching.toml", "--set", "run.days=30", "-n", "2", "-w", "1"]
    assert main([*argv, "--no-plots", "--quiet", "--out", str(out)]) == 0
    before = sorted(p.name for p in out.iterdir())
    assert main(["report", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([*before, "report.html", "report.pdf"])
    html = (out / "report.html").read_text(encoding="utf-8")
    tables = _tables(html)
    assert tables.images  # the figures were drawn for the report, not written to the folder
    summary = _csv_rows(out / "summary.csv")
    shown = {m: cells for m, cells in tables.rows["headline"] if m}
    assert "ucr.seen_within_target" in shown and "admissions.total" in shown
    for metric, cells in shown.items():
        s = summary[metric]
        assert cells == list(summary_cells(Row(metric, s["mean"], s["ci_low"], s["ci_high"])))
    text = _pdf_text(out / "report.pdf")
    assert " ".join(summary_cells(Row("admissions.total", **{
        k: summary["admissions.total"][k] for k in ("mean", "ci_low", "ci_high")}))[1:]) in text  # fmt: skip


@pytest.mark.parametrize("case", ["missing", "empty", "no_tables", "a_file"])
def test_bad_folder_exits_2_and_writes_nothing(case: str, tmp_path: Path, capsys) -> None:
    target = tmp_path / "results"
    if case == "empty":
        target.mkdir()
        (target / "notes.txt").write_text("not results")
    elif case == "no_tables":
        target.mkdir()
        (target / "manifest.json").write_text("{}")
    elif case == "a_file":
        target.write_text("not a folder")
    before = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    out = tmp_path / "out"
    assert main(["report", str(target), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert str(target) in err and "Traceback" not in err
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before
    assert main(["report", str(target)]) == 2
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == before
