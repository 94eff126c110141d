"""Loading plugins: the national baseline, installed departments' plugins and their configuration.

- :mod:`~zhifa.plugins.manager`: :class:`Plugins`, the pluggy manager that registers the baseline,
  loads entry points in the ``zhifa`` group and calls each hook so that a failure names its plugin,
  and disables a broken plugin for the departments that use it;
- :mod:`~zhifa.plugins.config`: which plugins each department uses and their time limits
  (``zhifa.toml``);
- :mod:`~zhifa.plugins.isolation`: plugin code within its time limit (worker threads) and, for
  guards and the hooks before a step, refused any write;
- :mod:`~zhifa.plugins.baseline`: the national baseline procedure as a plugin like any other
  (workflows, guards, the 双公示 publicity sink);
- :mod:`~zhifa.plugins.scaffold`: ``zhifa plugin new``, a department plugin whose tests pass at once.

It sits above ``procedure`` and ``reporting`` because the baseline plugin gathers their rules and
sinks; the contract plugins implement (``zhifa.hooks``) sits below them.
"""

from zhifa.plugins.manager import ALWAYS, AUTOLOAD_ENV, BASELINE, PluginInfo, Plugins

__all__ = ["ALWAYS", "AUTOLOAD_ENV", "BASELINE", "PluginInfo", "Plugins"]
