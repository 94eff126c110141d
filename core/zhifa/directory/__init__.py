from zhifa.directory.export import *  # noqa: F403
from zhifa.directory.refdata import *  # noqa: F403
