"""zhifa-ecology: the ecology and environment (生态环境) department plugin for zhifa.

It adds the violation catalogue and discretion benchmark drawn from the Environmental Protection
Law (环境保护法, 2014 revision, in force 2015-01-01) and the checklist of environmental inspection
items. The hooks live in :mod:`zhifa_ecology.plugin`; the data in the YAML files beside it.
"""

from __future__ import annotations

__version__ = "0.1.0"
DEPARTMENT = "zhifa-ecology"
