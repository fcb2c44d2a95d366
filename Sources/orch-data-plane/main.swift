print("orch-data-plane")
