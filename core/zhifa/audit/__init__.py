from zhifa.audit.chains import *  # noqa: F403
