"""Option kinds, one module each: how an option's inputs are resolved and laid out for the kernel.

Each module exposes ``resolve(table, name, option, scenario, plans, warnings)`` (fill the parameter
table from the scenario, catalogs and defaults) and ``fill(rows, j, get, workload)`` (write the
option's typed row of kernel inputs from per-path values). ``REGISTRY`` maps the schema's ``kind``
to its module; nothing else branches on an option's kind outside its module and the kernel.
"""

from __future__ import annotations

from types import ModuleType

from tco.options import api, self_hosted

REGISTRY: dict[str, ModuleType] = {"api": api, "self_hosted": self_hosted}
