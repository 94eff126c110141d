from zhifa.store.database import *  # noqa: F403
