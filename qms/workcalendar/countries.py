"""The country's production calendar from the `holidays` package, without the others.

`holidays.country_holidays("RU")` imports `holidays.countries`, whose __init__ imports all
of the package's ~250 countries: about 0.1 s of CPU in every `qms` command that checks a
due date (`qms overdue` from cron). Loaded here first under its own name, the one country's
module is where holidays' registry then finds it, so the package's own lookup, arguments and
results are unchanged. A country that is not where expected (another version's layout) is
left to that lookup as before.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import holidays
from holidays.registry import COUNTRIES


def country_holidays(code: str, **kwargs) -> holidays.HolidayBase:
    """holidays.country_holidays(code, **kwargs), importing only that country."""
    _load_only(code)
    return holidays.country_holidays(code, **kwargs)


def _load_only(code: str) -> None:
    module_name = next((m for m, (_, *codes) in COUNTRIES.items() if code in codes), None)
    if module_name is None:
        return  # holidays says what is wrong with the code
    name = f"holidays.countries.{module_name}"
    path = Path(holidays.__file__).parent / "countries" / f"{module_name}.py"
    if name in sys.modules or not path.is_file():
        return
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
