from zhifa.procedure.case.rules import *  # noqa: F403
