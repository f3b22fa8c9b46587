"""The duty conversion rule (docs/METHODOLOGY.md §13): per jurisdiction, each figure with
the source it comes from; nothing unsourced, nothing unusable taken as a rate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from webapp.services.planting.duty import (
    DEFAULT_HOURS_SOURCE,
    DEFAULT_YUAN_SOURCE,
    rule_for,
)


def test_without_a_local_rule_each_default_names_its_own_source():
    rule = rule_for({}, "CLS-JN")
    assert rule.yuan_per_tree == Decimal("20") and rule.source == DEFAULT_YUAN_SOURCE
    assert rule.trees_per_hour == Decimal("3") and rule.hours_source == DEFAULT_HOURS_SOURCE
    assert "全民义务植树网" in DEFAULT_YUAN_SOURCE and "杭州市" in DEFAULT_HOURS_SOURCE


def test_a_jurisdiction_rule_applies_to_its_site_only_with_its_source():
    config = {
        "DUTY_CONVERSION": {
            "CLS-JN": {"yuan_per_tree": "30", "trees_per_hour": "2", "source": "泰安市绿化委员会"},
            "default": {"yuan_per_tree": "25", "source": "某省绿化委员会"},
        }
    }
    local = rule_for(config, "CLS-JN")
    assert (local.yuan_per_tree, local.trees_per_hour) == (Decimal("30"), Decimal("2"))
    assert local.source == local.hours_source == "泰安市绿化委员会"
    other = rule_for(config, "GD-01")
    assert other.yuan_per_tree == Decimal("25") and other.source == "某省绿化委员会"
    # The default entry sets no labour rate: the published one stands, with its source.
    assert other.trees_per_hour == Decimal("3") and other.hours_source == DEFAULT_HOURS_SOURCE


@pytest.mark.parametrize("bad", ["0", "-1", "NaN", "Infinity", "abc", ""])
def test_an_unusable_rate_falls_back_to_the_sourced_default(bad):
    config = {"DUTY_CONVERSION": {"default": {"yuan_per_tree": bad, "trees_per_hour": bad}}}
    rule = rule_for(config, "X")
    assert rule.yuan_per_tree == Decimal("20") and rule.source == DEFAULT_YUAN_SOURCE
    assert rule.trees_per_hour == Decimal("3") and rule.hours_source == DEFAULT_HOURS_SOURCE
