"""System-wide nbgrader settings for the tcpcourse hub (every user's nbgrader reads this file).

hub/hubctl.py copies it to <shared env>/etc/jupyter/nbgrader_config.py, which is on Jupyter's
config path for every server, kernel and nbgrader command run from that environment. The
instructor's own ~/course/nbgrader_config.py (a copy of course/nbgrader_config.py) adds the
hardened autograding pipeline on top, when nbgrader runs from that folder.
"""

import os

c = get_config()  # noqa: F821 - nbgrader defines get_config() when it loads this file

# One course on this hub; its id names the folder inside the exchange.
c.CourseDirectory.course_id = "tcpcourse"

# The exchange: where release puts assignments, students submit and feedback is returned.
# A folder every user can write (mode 1777, the sticky bit keeps users' entries apart), as
# nbgrader's documentation describes for one machine. The hub passes TCPCOURSE_EXCHANGE to every
# server it spawns (hubctl's --exchange); on Kubernetes this is a shared (RWX) volume instead.
c.Exchange.root = os.environ.get("TCPCOURSE_EXCHANGE", "/srv/nbgrader/exchange")

# Students fetch into ~/<assignment>; one course per hub, so no course folder level is needed.
c.Exchange.path_includes_course = False

# Collection takes a submission only from the Unix user it is named for, and follows no link in
# it. nbgrader's own collect takes the newest inbound folder by its <student>+<assignment>+<time>
# name, which any student can write: a folder named for someone else replaced their work (its
# check_owner only logs a warning), and its copy followed links with the instructor's rights.
# Refused folders are named in errors and `nbgrader collect` ends with a failure status.
c.ExchangeFactory.collect = "autograder.exchange.OwnedCollect"
