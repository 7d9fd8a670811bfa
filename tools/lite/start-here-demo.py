# The kernel works: pick a scenario, and tcpcore simulates it in your browser.
import ipywidgets as w

from tcpcore import list_scenarios, run_scenario


@w.interact(scenario=[name for name, _ in list_scenarios()])
def show(scenario="handshake"):
    print(run_scenario(scenario).ladder_text())
