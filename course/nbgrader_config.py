"""nbgrader's configuration for the tcpcourse course (run nbgrader from this folder).

``configure`` puts two things into nbgrader's autograde pipeline (see autograder.nbgrader_plugin):
the student's kernel runs in a bubblewrap sandbox under resource limits, and every test cell's
score is computed again outside that kernel, in a separate sandboxed process, and written over
whatever the kernel printed. Plain ``nbgrader autograde`` and ``python -m autograder grade`` both
read this file.
"""

from autograder.nbgrader_plugin import configure

c = get_config()  # noqa: F821 - nbgrader defines get_config() when it loads this file
c.CourseDirectory.course_id = "tcpcourse"
configure(c)
