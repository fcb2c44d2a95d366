await CommandRunner.main(Array(CommandLine.arguments.dropFirst()))
