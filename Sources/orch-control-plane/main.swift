print("orch-control-plane")
