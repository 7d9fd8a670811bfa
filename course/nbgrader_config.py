"""nbgrader's configuration for the tcpcourse course (run nbgrader from this folder).

``configure`` puts two things into nbgrader's autograde pipeline (see autograder.nbgrader_plugin):
the student's kernel runs in a bubblewrap sandbox under resource limits, and every test cell's
score is computed again outside that kernel, in a separate sandboxed process, and written over
whatever the kernel printed. Plain ``nbgrader autograde`` and ``python -m autograder grade`` both
read this file.
"""

from autograder.batch import tools_on_path
from autograder.nbgrader_plugin import configure

# nbgrader runs `alembic` by name when it creates the gradebook: find it beside this Python even
# when its environment is not activated (`.venv/bin/nbgrader ...`, a JupyterLab started by make).
tools_on_path()

c = get_config()  # noqa: F821 - nbgrader defines get_config() when it loads this file
c.CourseDirectory.course_id = "tcpcourse"
configure(c)
