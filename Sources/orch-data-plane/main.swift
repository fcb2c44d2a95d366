import DataPlane

await DataPlaneCommand.runFromCommandLine()
