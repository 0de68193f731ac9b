"""docs/SECURITY.md keeps its promise: every requirement line that applies names a test id that
some test of the suite carries, and the summary at the top counts what the tables say."""

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
STATUSES = {"Met", "Departs by default", "Not yet met", "N/A"}
# The Level 1 and 2 requirements of ASVS 5.0.0's V6, V7, V8 and V16, by section.
EXPECTED = {
    "6": {"1": 3, "2": 12, "3": 4, "4": 4, "5": 5, "6": 3, "8": 4},
    "7": {"1": 3, "2": 4, "3": 2, "4": 5, "5": 2, "6": 2},
    "8": {"1": 2, "2": 3, "3": 1, "4": 1},
    "16": {"1": 1, "2": 5, "3": 4, "4": 3, "5": 3},
}


def rows(security_md):
    """(id, status, tests cell) of every ASVS requirement row."""
    found = []
    for line in security_md.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if re.fullmatch(r"\d+\.\d+\.\d+", cells[0]):
            found.append((cells[0], cells[2], cells[4]))
    return found


def names_of_every_test():
    names = []
    for module in TESTS.rglob("test_*.py"):
        names += re.findall(r"^def (test_\w+)", module.read_text(encoding="utf-8"), re.M)
    return names


def test_every_level_1_and_2_requirement_is_listed_once(security_md):
    ids = [requirement for requirement, _, _ in rows(security_md)]
    assert len(ids) == len(set(ids))
    counted: dict = {}
    for requirement in ids:
        chapter, section, _ = requirement.split(".")
        counted.setdefault(chapter, {}).setdefault(section, 0)
        counted[chapter][section] += 1
    assert counted == EXPECTED


def test_every_line_that_applies_names_a_test_the_suite_has(security_md):
    names = names_of_every_test()
    for requirement, status, tests in rows(security_md):
        assert status in STATUSES, requirement
        if status == "N/A":
            continue
        own = "v" + requirement.replace(".", "_") + "_"
        assert f"`{own}`" in tests, requirement
        assert any(own in name for name in names), requirement


def test_the_summary_counts_what_the_tables_say(security_md):
    statuses = [status for _, status, _ in rows(security_md)]
    summary = " ".join(security_md.split("At a glance:", 1)[1].split("\n\n", 1)[0].split())
    applies = len(statuses) - statuses.count("N/A")
    assert f"of the {len(statuses)} Level 1 and 2 requirements" in summary
    assert f"{applies} apply" in summary
    assert f"{statuses.count('Met')} are met" in summary
    assert f"{statuses.count('Departs by default')} depart by default" in summary
    assert f"{statuses.count('Not yet met')} are not yet met" in summary
    for requirement, status, _ in rows(security_md):
        if status in ("Not yet met", "Departs by default"):
            assert f"V{requirement}" in summary, requirement


def test_every_hipaa_paragraph_names_a_test_the_suite_has(security_md):
    names = names_of_every_test()
    hipaa = security_md.split("## HIPAA Security Rule", 1)[1].split("\n## ", 1)[0]
    ids = re.findall(r"`(hipaa_164_312_\w+_)`", hipaa)
    assert {"hipaa_164_312_a_2_i_", "hipaa_164_312_a_2_ii_", "hipaa_164_312_b_"} <= set(ids)
    assert len(ids) == 5
    for own in ids:
        assert any(own in name for name in names), own
