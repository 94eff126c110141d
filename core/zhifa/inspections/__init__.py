from zhifa.inspections.directories import *  # noqa: F403
from zhifa.inspections.publishing import *  # noqa: F403
from zhifa.inspections.records import *  # noqa: F403
from zhifa.inspections.selection import *  # noqa: F403
from zhifa.inspections.teams import *  # noqa: F403
