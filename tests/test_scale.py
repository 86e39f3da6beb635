"""``nhsim scale FILE --population N``: a new place from a shipped one.

- the written file extends FILE, states its rule at the top, sets the population and
  every capacity scaled (rounded, at least 1 where the original had at least 1) and
  leaves rates and lengths of stay alone; it validates and runs;
- a roster is scaled hour by hour; initial occupancy never exceeds the beds;
- bad input (a missing file, N <= 0, an existing --out without --force) is a plain
  message, exit code 2, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO_ROOT

from sim.cli.main import main
from sim.scenario import load_scenario
from sim.scenario.scale import scale_count

NEIGHBOURHOOD = REPO_ROOT / "configs" / "neighbourhood_50k.toml"
TEACHING = REPO_ROOT / "configs" / "teaching.toml"


@pytest.mark.parametrize(
    ("value", "factor", "expected"),
    [(0, 5.0, 0), (1, 0.1, 1), (3, 0.5, 2), (2, 0.25, 1), (10, 3.6, 36), (92, 3.6, 331)],
)
def test_the_rounding_rule(value: int, factor: float, expected: int) -> None:
    assert scale_count(value, factor) == expected


def test_scale_the_neighbourhood_to_180000(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "place_180k.toml"
    args = ["scale", str(NEIGHBOURHOOD), "--population", "180000", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "services.ucr.staff: 1 -> 4" in printed and f"Scenario written to {out}" in printed
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# neighbourhood_50k scaled to a population of 180,000")
    assert "at least 1 where the original had at least 1" in text
    assert "rates per 1,000 people stay as they are" in text and "lengths of stay" in text
    original, scaled = load_scenario(NEIGHBOURHOOD), load_scenario(out)
    assert scaled.population.size == 180_000
    assert scaled.services["ucr"].staff == 4 and scaled.services["hub"].staff == 4
    assert scaled.services["virtual_ward"].beds == 36
    assert scaled.services["acute"].beds == 331
    assert scaled.services["acute"].initial_occupancy == 288
    for name, source in original.demand.items():  # rates per 1,000 are not scaled
        assert scaled.demand[name].rate_per_1000 == source.rate_per_1000
    assert scaled.services["acute"].los_days == original.services["acute"].los_days
    # it runs
    run_out = tmp_path / "run"
    run = ["run", str(out), "-n", "1", "--set", "run.days=20", "--set", "run.warmup_days=2"]
    assert main([*run, "--out", str(run_out), "-q", "--no-plots"]) == 0
    assert (run_out / "summary.csv").is_file()


def test_a_roster_is_scaled_hour_by_hour_and_beds_bound_the_start(tmp_path: Path) -> None:
    roster = ([0] * 8 + [2] * 12 + [1] * 4) * 7
    text = TEACHING.read_text(encoding="utf-8")
    ucr = text.index("[services.ucr]")
    staff = text.index("staff = 1", ucr)
    text = text[:staff] + f"roster = {roster}" + text[text.index("\n", staff) :]
    pool = text.index("beds = 2", text.index("[services.virtual_ward]"))
    text = text[:pool] + "beds = 4\ninitial_occupancy = 4" + text[pool + len("beds = 2") :]
    base = tmp_path / "rostered.toml"
    base.write_text(text, encoding="utf-8")
    size = load_scenario(TEACHING).population.size
    out = tmp_path / "small.toml"
    code = main(["scale", str(base), "--population", str(size // 4), "--out", str(out), "-q"])
    assert code == 0
    small = load_scenario(out)
    # 2 x 0.25 = 0.5 -> 1 (at least 1), 1 x 0.25 -> 1, 0 stays 0
    assert small.services["ucr"].roster == ([0] * 8 + [1] * 12 + [1] * 4) * 7
    assert small.services["virtual_ward"].beds == 1
    assert small.services["virtual_ward"].initial_occupancy == 1


def test_bad_input_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "new.toml"
    missing = tmp_path / "nope.toml"
    assert main(["scale", str(missing), "--population", "1000", "--out", str(out)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert not out.exists()
    with pytest.raises(SystemExit) as stop:
        main(["scale", str(NEIGHBOURHOOD), "--population", "0", "--out", str(out)])
    assert stop.value.code == 2 and not out.exists()
    assert "--population: must be >= 1" in capsys.readouterr().err
    out.write_text("keep me\n", encoding="utf-8")
    assert main(["scale", str(NEIGHBOURHOOD), "--population", "1000", "--out", str(out)]) == 2
    assert "already exists; use --force" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "keep me\n"
    args = ["scale", str(NEIGHBOURHOOD), "--population", "1000", "--out", str(out), "--force"]
    assert main([*args, "-q"]) == 0
    assert load_scenario(out).population.size == 1000
    assert not list(tmp_path.glob(".*tmp*"))
