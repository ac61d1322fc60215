"""The training data, domain and config pass Rasa's own validation with no
warning at all."""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def form_questions() -> set:
    """utter_ask_<slot> of every form slot: forms ask them, which Rasa 3.6's
    validator does not see (it reports them as "not used in any story")."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {f"utter_ask_{slot}" for form in (domain.get("forms") or {}).values()
            for slot in form.get("required_slots") or []}


def test_rasa_data_validate_passes_without_warnings():
    rasa = str(Path(sys.executable).parent / "rasa")
    result = subprocess.run(
        [rasa, "data", "validate", "--fail-on-warnings"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    warnings = [line for line in result.stderr.splitlines() if "UserWarning" in line]
    known = re.compile(r"The utterance '(utter_ask_\w+)' is not used in any story or rule")
    real = [w for w in warnings if not (known.search(w) and known.search(w).group(1) in form_questions())]
    assert not real, "\n".join(real)
    assert form_questions(), "the domain's forms were not read"


def test_units_office_hours_and_area_officers_are_well_formed():
    """office_hours (Vietnam time) is machine-readable for every unit; every
    area officer names a group once and a console username."""
    from bot.core.units import check_office_hours as check

    units = yaml.safe_load((ROOT / "data" / "units.yml").read_text(encoding="utf-8"))["units"]
    for unit in units:
        assert "office_hours" in unit, f"{unit['id']}: no office_hours"
        check(unit["office_hours"])
        groups = [int(o["group"]) for o in unit.get("area_officers") or []]
        assert len(groups) == len(set(groups)), f"{unit['id']}: a residential group twice"
        for officer in unit.get("area_officers") or []:
            assert re.fullmatch(r"[a-z0-9._-]+", officer.get("username") or ""), f"{unit['id']}: {officer}"


def test_office_hours_check_refuses_what_the_assistant_cannot_read():
    import pytest

    from bot.core.units import check_office_hours as check

    for bad in ({"days": ["monday"], "open": "07:30", "close": "17:00"},
                {"days": ["mon"], "open": "17:00", "close": "07:30"},
                {"days": [], "open": "07:30", "close": "17:00"},
                {"days": ["mon"], "open": "7h30", "close": "17:00"},
                {"days": ["mon"], "open": "07:30"}):
        with pytest.raises(ValueError):
            check(bad)


def test_a_units_file_with_unreadable_office_hours_is_refused_when_loaded(tmp_path):
    import pytest

    from bot.core.units import load_units

    bad = (ROOT / "data" / "units.yml").read_text(encoding="utf-8").replace('close: "17:00"', 'close: "5 giờ chiều"', 1)
    (tmp_path / "units.yml").write_text(bad, encoding="utf-8")
    with pytest.raises(ValueError, match="unit quan-mau"):
        load_units(tmp_path / "units.yml")
