from zhifa.engine.core import *  # noqa: F403
