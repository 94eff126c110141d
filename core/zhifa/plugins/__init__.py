from zhifa.plugins.manager import *  # noqa: F403
