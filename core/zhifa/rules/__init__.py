from zhifa.rules.catalogue import *  # noqa: F403
from zhifa.rules.sampling import *  # noqa: F403
