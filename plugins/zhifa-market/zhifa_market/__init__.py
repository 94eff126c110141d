"""zhifa-market: the market-regulation (市场监管) department plugin for zhifa.

It adds the bureau's food-safety violation catalogue with its discretion benchmarks (裁量基准,
``violations.yaml``) and its food production, sales and catering inspection items (检查事项,
``checklists.yaml``). zhifa finds it through the ``market`` entry point in the ``zhifa`` group;
the hooks are in :mod:`zhifa_market.plugin`.
"""

from __future__ import annotations

__version__ = "0.1.0"
