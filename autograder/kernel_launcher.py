"""Start an IPython kernel for grading whose forked children end at once.

A child forked from a kernel would run on with the parent's sockets and answer nbgrader in its
place. Under autograde the kernel is started as ``python -m autograder.kernel_launcher`` instead of
``ipykernel_launcher``: the same kernel, with an at-fork hook that ends any child os.fork makes.
Forks that bypass os.fork still meet the sandbox's process limit, and all die with the sandbox.
(Shell escapes such as ``!ls`` fork too, and so do not run under grading.)
"""

import os

os.register_at_fork(after_in_child=lambda: os._exit(0))

if __name__ == "__main__":
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()
