from zhifa.demo.story import *  # noqa: F403
