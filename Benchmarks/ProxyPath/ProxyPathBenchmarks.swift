import Benchmark

/// The data plane's request path in-process: the real pipeline (`ProxyServer.configure`) on
/// embedded channels, driven by ``ProxyPathScenario``. One iteration is one exchange (one request,
/// or sixteen for the pipelined batch), so every count reads "per exchange".
///
/// Heap allocation counts are the same run after run for the same build, so they are what
/// `Benchmarks/check.sh` gates on, against the p90 values checked in under
/// `Benchmarks/Thresholds/` (10 % tolerance). Wall clock is shown for information only: the
/// machine is shared (``ProxyPathBenchmarkSettings`` says what is left out, and why).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: ProxyPathBenchmarkSettings.metrics,
        warmupIterations: 10,
        scalingFactor: .one,
        maxDuration: .seconds(2),
        maxIterations: 1_000,
        thresholds: ProxyPathBenchmarkSettings.thresholds
    )

    // Names carry no spaces: `thresholds check` looks for `<target>.<name>.p90.json` as written,
    // while `thresholds update` writes spaces as underscores.
    Benchmark("GET-1KiB") { benchmark in
        try ProxyPathScenario.get1KiB.run(benchmark)
    }
    Benchmark("GET-1KiB-pool2") { benchmark in
        try ProxyPathScenario.get1KiBPool2.run(benchmark)
    }
    Benchmark("POST-16KiB") { benchmark in
        try ProxyPathScenario.post16KiB.run(benchmark)
    }
    Benchmark("404-local") { benchmark in
        try ProxyPathScenario.notFound.run(benchmark)
    }
    Benchmark("pipelined-16xGET-1KiB") { benchmark in
        try ProxyPathScenario.pipelined16.run(benchmark)
    }
    // A thousand exchanges per iteration, on a proxy that each iteration builds and sends one
    // request per endpoint before it measures (outside the measured region). Compare the two
    // with each other only: the others measure one exchange per iteration.
    let spread = Benchmark.Configuration(
        warmupIterations: 1, scalingFactor: .kilo, maxDuration: .seconds(10), maxIterations: 20)
    let routes1 = ProxyPathScenario.getSpread(over: 1)
    Benchmark("GET-1KiB-routes1", configuration: spread) { benchmark in
        try routes1.run(benchmark)
    }
    let routes10k = ProxyPathScenario.getSpread(over: 10_000)
    Benchmark("GET-1KiB-routes10k", configuration: spread) { benchmark in
        try routes10k.run(benchmark)
    }
}
