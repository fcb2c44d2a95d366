// swift-tools-version:6.1
import PackageDescription

/// Settings every target shares: Swift 6 language mode plus the upcoming features
/// the Swift server ecosystem has adopted.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// The control plane's settings: the same, less `MemberImportVisibility`. With it, a release
/// (whole-module) build of the control plane attributes the members of C structs such as `stat`
/// and `timeval` to `CDispatch` (pulled in through UnixSignals) and refuses them in every file that
/// imports Glibc but not that internal module, whatever the file imports.
let controlPlaneSwiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Orchestrator",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "orch-control-plane", targets: ["orch-control-plane"]),
        .executable(name: "orch-data-plane", targets: ["orch-data-plane"]),
        .executable(name: "orchctl", targets: ["orchctl"]),
        .executable(name: "orch-load", targets: ["orch-load"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .target(
            name: "Shared",
            dependencies: [
                .product(name: "Yams", package: "Yams")
            ],
            swiftSettings: swiftSettings
        ),
        // The admin API's request and response bodies: encoded by the control plane's routes,
        // decoded by orchctl and the tests, and checked against Resources/openapi.json.
        .target(
            name: "AdminAPI",
            dependencies: ["Shared"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ControlPlane",
            dependencies: [
                "AdminAPI", "Shared",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            // The OpenAPI document and the pages are compiled into the binary, so an installed
            // control plane needs no resource bundle beside it.
            resources: [
                .embedInCode("Resources/openapi.json"),
                .embedInCode("Resources/docs.html"),
                .embedInCode("Resources/status.html"),
                .embedInCode("Resources/status-login.html"),
            ],
            swiftSettings: controlPlaneSwiftSettings
        ),
        .target(
            name: "DataPlane",
            dependencies: [
                "Shared",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "orch-control-plane",
            // The data plane is a dependency so that `swift run orch-control-plane` builds the
            // replica executable it starts, next to itself.
            dependencies: [
                "ControlPlane", "orch-data-plane",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "orch-data-plane",
            dependencies: ["DataPlane"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "orchctl",
            dependencies: [
                "AdminAPI", "Shared",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LoadGenerator",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "orch-load",
            dependencies: [
                "LoadGenerator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "Shared", "LoadGenerator",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DataPlaneTesting",
            dependencies: [
                "DataPlane", "Shared",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/DataPlaneTesting",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SharedTests",
            dependencies: ["Shared"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ControlPlaneTests",
            dependencies: [
                "AdminAPI", "ControlPlane", "Shared", "TestSupport", "LoadGenerator", "orch-control-plane",
                "orch-data-plane", "orchctl",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DataPlaneTests",
            dependencies: [
                "AdminAPI", "DataPlane", "DataPlaneTesting", "Shared", "TestSupport", "LoadGenerator",
                "orch-control-plane", "orch-data-plane",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OrchctlTests",
            dependencies: [
                "AdminAPI", "Shared", "TestSupport", "orch-control-plane", "orch-data-plane", "orchctl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)

// libFuzzer targets for the data plane's connections and for the JSON the gateway reads
// (Fuzz/run.sh), kept out of the normal build: `ORCH_FUZZ=1 swift build -c release --scratch-path
// .build-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library --product orch-fuzz-client`.
if Context.environment["ORCH_FUZZ"] != nil {
    package.targets += [
        .target(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .target(
            name: "ProxyFuzzSupport",
            dependencies: [
                "CLibFuzzer", "DataPlane", "DataPlaneTesting", "Shared",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Fuzz/ProxyFuzzSupport",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ProxyClientFuzz",
            dependencies: [
                "DataPlane", "DataPlaneTesting", "ProxyFuzzSupport", "Shared",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Fuzz/ProxyClientFuzz",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ProxyUpstreamFuzz",
            dependencies: [
                "DataPlane", "DataPlaneTesting", "ProxyFuzzSupport", "Shared",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Fuzz/ProxyUpstreamFuzz",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "JSONFuzz",
            dependencies: ["ProxyFuzzSupport", "Shared"],
            path: "Fuzz/JSONFuzz",
            swiftSettings: swiftSettings
        ),
    ]
    package.products += [
        .executable(name: "orch-fuzz-client", targets: ["ProxyClientFuzz"]),
        .executable(name: "orch-fuzz-upstream", targets: ["ProxyUpstreamFuzz"]),
        .executable(name: "orch-fuzz-json", targets: ["JSONFuzz"]),
    ]
}

// The request-path benchmarks (ordo-one's benchmark, Benchmarks/ProxyPath) are kept out of the
// normal build: they pull in the benchmark package and its malloc interposer, and build in release.
// `Benchmarks/check.sh` runs them against the checked-in thresholds; see
// docs/developer-guide/benchmarks.md. Only the `MallocInterposer` trait: the package's default
// `RuntimeInterposer` needs ordo-one/swift-runtime-interposer, which our machines do not serve, and
// without it the package's ARC counters crash on Swift 6.3, so retains and releases go unmeasured.
if Context.environment["ORCH_BENCHMARKS"] != nil {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"])
    )
    package.targets.append(
        .executableTarget(
            name: "ProxyPathBenchmarks",
            dependencies: [
                "DataPlane", "DataPlaneTesting",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Benchmarks/ProxyPath",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
}
