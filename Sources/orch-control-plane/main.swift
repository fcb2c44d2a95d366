import ControlPlane

await ControlPlaneCommand.start()
