"""The taxonomy is data: the default file and an analyst's extension."""

from __future__ import annotations

from pathlib import Path

import pytest

from signals.taxonomy import TaxonomyError, load_taxonomy, parse_taxonomy

REQUIRED = {
    "leader_absence",
    "defection",
    "policy_dispute",
    "public_denial",
    "purge_or_arrest",
    "killing",
    "resource_dispute",
    "rival_appointment",
    "public_criticism",
    "reconciliation",
    "joint_action",
}


def test_default_taxonomy_has_the_required_types_with_rationales() -> None:
    tax = load_taxonomy()
    assert set(tax.keys) >= REQUIRED
    assert tax.version.startswith("2025.3+")
    assert [t.key for t in tax.types if t.state] == ["leader_absence"]
    for t in tax.types:
        assert t.prior_sd > 0 and t.half_life_days > 0 and len(t.rationale) > 20
    assert tax.get("reconciliation").prior_mean < 0  # type: ignore[union-attr]
    assert tax.get("joint_action").prior_mean < 0  # type: ignore[union-attr]
    assert tax.get("killing").prior_mean > 0  # type: ignore[union-attr]
    assert tax.event_weight("A", 1, 1.0) == 1.0
    assert tax.event_weight("E", 5, 1.0) < tax.event_weight("B", 2, 1.0)


def test_an_analyst_can_extend_it(tmp_path: Path) -> None:
    text = Path(__file__).parents[2].joinpath("signals/data/taxonomy.toml").read_text()
    text += (
        '\n[types.hostage_taking]\nlabel = "Hostage taking"\nprior_mean = 1.1\n'
        'prior_sd = 0.5\nhalf_life_days = 90\nrationale = "Coercion between factions."\n'
    )
    path = tmp_path / "mine.toml"
    path.write_text(text)
    tax = load_taxonomy(path)
    assert "hostage_taking" in tax.keys and tax.version != load_taxonomy().version


@pytest.mark.parametrize(
    "text",
    ["not toml [", 'version = "1"\n[grading]\n', 'version="1"\n[types.x]\nlabel="x"\n'],
)
def test_broken_taxonomy_is_a_clear_error(text: str) -> None:
    with pytest.raises(TaxonomyError):
        parse_taxonomy(text)


def test_the_activity_column_is_a_model_column_not_a_type() -> None:
    """Every event also counts in the activity column; an analyst cannot log it."""
    tax = load_taxonomy()
    assert tax.activity is not None and tax.activity.key == "activity"
    assert tax.columns == (*tax.types, tax.activity)
    assert tax.column_keys[-1] == "activity" and "activity" not in tax.keys
    assert tax.get("activity") is None
    assert tax.activity.prior_mean == 0.0  # no direction assumed: the fit decides


def test_a_type_may_not_take_the_activity_column_s_key(tmp_path: Path) -> None:
    text = Path(__file__).parents[2].joinpath("signals/data/taxonomy.toml").read_text()
    text += (
        '\n[types.activity]\nlabel = "Activity"\nprior_mean = 1.0\n'
        'prior_sd = 0.5\nhalf_life_days = 90\nrationale = "Clash."\n'
    )
    with pytest.raises(TaxonomyError, match="activity"):
        parse_taxonomy(text)


def test_a_taxonomy_without_an_activity_table_has_only_its_types() -> None:
    text = Path(__file__).parents[2].joinpath("signals/data/taxonomy.toml").read_text()
    start = text.index("\n[activity]\n")
    text = text[:start] + text[text.index("[grading]") :]
    tax = parse_taxonomy(text)
    assert tax.activity is None and tax.columns == tax.types
