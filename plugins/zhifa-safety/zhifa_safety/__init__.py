"""zhifa-safety: the emergency management department's (应急管理) zhifa plugin.

It declares the violation catalogue of the Work Safety Law (安全生产法, as amended 2021, in force
from 1 September 2021) with the bureau's discretion benchmark, and the work-safety inspection
checklist. The hooks are in :mod:`zhifa_safety.plugin`; the data are the YAML files beside it.
"""

__version__ = "0.1.0"
