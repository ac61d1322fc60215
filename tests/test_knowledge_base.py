"""The knowledge base covers the catalogue, and the validation command reports
each kind of problem with its file and line."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.core.paths import DATA, ROOT
from bot.knowledge.store import load
from bot.knowledge.validate import check, load_checked
from bot.nlu.text import canonical, fold

SHARED_CATALOGUE = ROOT.parent / "shared" / "procedure_catalogue.yml"


def validate(data_dir: Path):
    result = subprocess.run(
        [sys.executable, "-m", "bot.knowledge.validate", "--data", str(data_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    return result.returncode, result.stdout


@pytest.fixture
def data_copy(tmp_path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    return copy


def test_the_knowledge_base_is_valid():
    code, out = validate(DATA)
    assert code == 0, out
    catalogue = yaml.safe_load((DATA / "procedure_catalogue.yml").read_text())["procedures"]
    assert f"{len(catalogue)} procedures" in out and " 0 errors" in out


def test_every_catalogue_id_has_a_complete_entry():
    kb = load_checked()
    assert set(kb.procedures) == set(kb.catalogue)
    for procedure in kb.procedures.values():
        assert procedure.documents and procedure.where["office"] and procedure.fee["amount"]
        assert procedure.legal_basis and len(procedure.examples) >= 10


@pytest.mark.skipif(not SHARED_CATALOGUE.exists(), reason="shared/ not beside the repository")
def test_catalogue_copy_matches_the_shared_contract():
    assert (DATA / "procedure_catalogue.yml").read_text() == SHARED_CATALOGUE.read_text()


def test_no_answer_sends_citizens_to_district_police():
    # abolished on 01/3/2025; mentioning what it used to do is fine, sending people there is not
    for procedure in load_checked().procedures.values():
        office = procedure.where["office"]
        assert "huyện" not in office and "quận" not in office, procedure.id


def test_missing_procedure_file_is_reported(data_copy):
    (data_copy / "procedures" / "residence" / "stay_notice.yml").unlink()
    code, out = validate(data_copy)
    assert code == 1
    assert "procedure_catalogue.yml:1: error: catalogue id 'residence.stay_notice' has no file" in out


def test_unknown_id_is_reported_with_its_line(data_copy):
    path = data_copy / "procedures" / "residence" / "confirmation.yml"
    path.write_text(path.read_text().replace("id: residence.confirmation", "id: residence.confirmaton"))
    code, out = validate(data_copy)
    assert code == 1
    assert "residence/confirmation.yml:1: error: unknown catalogue id 'residence.confirmaton'" in out


def test_missing_field_is_reported_with_its_line(data_copy):
    path = data_copy / "procedures" / "vehicle" / "deregistration.yml"
    lines = path.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("processing_time:"))
    lines[index] = "processing_time: ''"
    path.write_text("\n".join(lines) + "\n")
    code, out = validate(data_copy)
    assert code == 1
    assert f"vehicle/deregistration.yml:{index + 1}: error: missing field 'processing_time'" in out


def test_unknown_form_and_missing_form_file_are_reported(data_copy):
    path = data_copy / "procedures" / "id_card" / "renewal.yml"
    path.write_text(path.read_text().replace("forms: [DC02]", "forms: [DC99]"))
    forms = data_copy / "forms" / "forms.yml"
    forms.write_text(forms.read_text().replace("  - code: CT03\n", "  - code: CT03\n    file: files/CT03.pdf\n"))
    code, out = validate(data_copy)
    assert code == 1
    assert "id_card/renewal.yml" in out and "form 'DC99' is not defined" in out
    assert "form 'CT03': file 'files/CT03.pdf' does not exist" in out


def test_duplicate_examples_are_reported_with_both_places(data_copy):
    path = data_copy / "procedures" / "security" / "seal_registration.yml"
    path.write_text(path.read_text().rstrip("\n") + "\n  - lam can cuoc lan dau can giay to gi\n")
    code, out = validate(data_copy)
    assert code == 1
    line = len(path.read_text().splitlines())
    assert f"security/seal_registration.yml:{line}: error: duplicate example" in out
    assert "id_card/first_issue.yml:" in out


def test_stale_review_is_a_warning_not_an_error(data_copy):
    path = data_copy / "procedures" / "fire" / "design_approval.yml"
    path.write_text(path.read_text().replace("reviewed: 2026-11-24", "reviewed: 2025-01-01"))
    problems = check(load(data_copy), data_copy, today=dt.date(2026, 11, 24))
    stale = [p for p in problems if "last reviewed" in p.message]
    assert len(stale) == 1 and stale[0].severity == "warning" and stale[0].line == 3
    assert not [p for p in problems if p.severity == "error"]


def test_broken_yaml_is_reported_not_fatal(data_copy):
    path = data_copy / "procedures" / "fire" / "acceptance_check.yml"
    path.write_text("id: fire.acceptance_check\nname: [unclosed\n")
    code, out = validate(data_copy)
    assert code == 1
    assert "fire/acceptance_check.yml" in out and "cannot read this file" in out
    catalogue = yaml.safe_load((DATA / "procedure_catalogue.yml").read_text())["procedures"]
    assert f"{len(catalogue) - 1} procedures" in out  # the others still loaded and were checked


def test_heldout_messages_are_not_training_examples():
    from bot.knowledge.referrals import Referrals
    from bot.knowledge.store import located_examples
    from devtools.evaluation import load_sets

    kb = load_checked()
    training = {fold(canonical(text)) for text, *_ in located_examples(kb)}
    training |= {fold(canonical(text)) for r in Referrals.load().referrals for text in r.examples}  # out_of_scope
    messages = [item.text for s in load_sets(final=True) for item in s.items]
    assert len(messages) > 1000
    assert not [m for m in messages if fold(canonical(m)) in training]
    heldout = yaml.safe_load((ROOT / "tests" / "heldout" / "nlu_heldout.yml").read_text())
    assert set(heldout["procedures"]) == set(kb.catalogue)  # every procedure, at the same density
    for procedure_id, texts in heldout["procedures"].items():
        assert len(texts) >= 10
        assert sum(fold(t) == t.lower() for t in texts) >= len(texts) / 3, procedure_id


def test_a_broken_referral_or_a_case_naming_two_options_is_reported(data_copy):
    referrals = data_copy / "referrals.yml"
    referrals.write_text(referrals.read_text().replace("  - id: land\n", "  - id: civil_status\n", 1)
                         .replace("    answer: >-\n      Việc thuế", "    answers: >-\n      Việc thuế", 1)
                         .replace("outranks: [civil_status, notarization, land]", "outranks: [civil_status, notary, land]", 1)
                         .replace("      to: [passport_abroad]", "      to: [passport_overseas]", 1)
                         .replace("procedures: [immigration.passport, immigration.passport_loss_report]",
                                  "procedures: [immigration.passports, immigration.passport_loss_report]", 1))
    topics = data_copy / "procedures" / "topics.yml"
    topics.write_text(topics.read_text().replace("cases: [hết hạn, sắp hết hạn, đổi thẻ,", "cases: [bị mất, đổi thẻ,", 1))
    messages = [p.message for p in check(load(data_copy), data_copy)]
    assert "referral id 'civil_status' twice" in messages
    assert "referral without 'answer'" in messages
    assert "referral outranks 'notary', which is no other referral" in messages
    assert "referral yields to 'passport_overseas', which is no other referral" in messages
    assert "referral 'doubt' names 'immigration.passports', which is no procedure" in messages
    assert any("case 'bị mất' names both" in m for m in messages)
