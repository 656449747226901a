"""Select options in the form WTForms 3.3+ asks for."""

from __future__ import annotations

from collections.abc import Mapping

from wtforms import SelectChoice


def options(mapping: Mapping) -> list[SelectChoice]:
    """{value: label} as SelectChoice objects (labels may be lazy translations)."""
    return [SelectChoice(value=value, label=label) for value, label in mapping.items()]
