import ArgumentParser
import Foundation
import Shared
import TestSupport
import Testing

@testable import ControlPlane

/// Whether the files of a `tls:` section load (NIOSSL, as the replicas load them), and what a
/// control plane started with `--proxy-tls-address` says when they do not.
@Suite(.endToEnd) struct TLSFileCheckTests {
    /// A directory with a CA, a good pair `site`, a second pair `other` and junk files.
    struct Files {
        let directory: TestDirectory
        let authority: TestCertificateAuthority
        let site: TestCertificateAuthority.Issued
        let other: TestCertificateAuthority.Issued
        let caFile: String

        init() throws {
            directory = try TestDirectory()
            authority = try TestCertificateAuthority()
            site = try authority.issue("site", in: directory, commonName: "gateway.test", dnsNames: ["gateway.test"])
            other = try authority.issue("other", in: directory, commonName: "other.test", dnsNames: ["other.test"])
            caFile = try authority.write(to: directory)
            try directory.write("not a certificate\n", to: "junk.pem")
        }

        func file(_ name: String) -> String { directory.file(name).path }
    }

    @Test func aGoodSectionHasNoIssues() throws {
        let files = try Files()
        defer { files.directory.remove() }
        let settings = TLSSettings(
            certFile: files.site.certFile, keyFile: files.site.keyFile,
            certificates: [.init(certFile: files.other.certFile, keyFile: files.other.keyFile)],
            clientCAFile: files.caFile)
        #expect(TLSFileCheck.issues(settings).isEmpty)
    }

    @Test func eachUnusableFileIsNamedWithItsField() throws {
        let files = try Files()
        defer { files.directory.remove() }
        let missing = files.file("missing.pem")
        let settings = TLSSettings(
            certFile: missing, keyFile: files.site.keyFile,
            certificates: [
                .init(certFile: files.site.certFile, keyFile: files.other.keyFile),
                .init(certFile: files.file("junk.pem"), keyFile: files.site.certFile),
            ],
            clientCAFile: files.site.keyFile)
        let issues = Dictionary(
            TLSFileCheck.issues(settings).map { ($0.field ?? "", $0.message) }, uniquingKeysWith: { $0 + "; " + $1 })
        #expect(issues["tls.cert_file"] == "cannot read certificate file \(missing): No such file or directory")
        #expect(issues["tls.key_file"] == nil, "\(issues)")
        #expect(
            issues["tls.certificates[0].key_file"]
                == "the private key in \(files.other.keyFile) does not match the certificate in \(files.site.certFile)")
        #expect(
            issues["tls.certificates[1].cert_file"]
                == "certificate file \(files.file("junk.pem")) holds no readable PEM certificate")
        #expect(
            issues["tls.certificates[1].key_file"]
                == "key file \(files.site.certFile) is not an unencrypted PEM private key")
        #expect(
            issues["tls.client_ca_file"] == "client CA file \(files.site.keyFile) holds no readable PEM certificate",
            "\(issues)")
        #expect(issues.count == 5, "\(issues)")
    }

    @Test func aDirectoryIsNotACertificateFile() throws {
        let files = try Files()
        defer { files.directory.remove() }
        let settings = TLSSettings(certFile: files.directory.path, keyFile: files.site.keyFile)
        #expect(
            TLSFileCheck.issues(settings).map(\.message) == [
                "certificate file \(files.directory.path) is not a regular file"
            ])
    }

    @Test func validationPutsTheLineOfTheFieldOnEachIssue() throws {
        let files = try Files()
        defer { files.directory.remove() }
        let document = """
            endpoints: []
            tls:
              cert_file: \(files.site.certFile)
              key_file: \(files.site.keyFile)
              certificates:
                - cert_file: \(files.other.certFile)
                  key_file: \(files.file("gone.key"))
            """
        let config = try GatewayConfig.parse(yaml: document)
        do {
            try TLSFileCheck.validate(config.tls, document: document)
            Issue.record("a missing key file was accepted")
        } catch {
            #expect(error.issues.count == 1, "\(error)")
            #expect(error.issues.first?.field == "tls.certificates[0].key_file")
            #expect(error.issues.first?.line == 7)
            #expect(error.issues.first?.message.contains(files.file("gone.key")) == true)
        }
        #expect(throws: Shared.ValidationError.self) { try TLSFileCheck.validate(nil, document: "endpoints: []\n") }
        try TLSFileCheck.validate(
            TLSSettings(certFile: files.site.certFile, keyFile: files.site.keyFile), document: nil)
    }

    @Test func linesOfFieldsAreFoundByTheirPath() throws {
        let root = try #require(
            try ConfigNode.parseYAML("a:\n  b:\n    - x: 1\n    - x: 2\n      y:\n        z: 3\n"))
        #expect(root.line(ofField: "a.b[0].x") == 3)
        #expect(root.line(ofField: "a.b[1].x") == 4)
        #expect(root.line(ofField: "a.b[1].y.z") == 6)
        #expect(root.line(ofField: "a.b[2].x") == nil)
        #expect(root.line(ofField: "a.c") == nil)
    }

    /// `TLSStartupCheck.check`'s message, or `nil` when it passes.
    static func startupRefusal(_ config: String?, in directory: TestDirectory) -> String? {
        let path = directory.file("config.yaml").path
        if let config { try? directory.write(config, to: "config.yaml") }
        do {
            try TLSStartupCheck.check(configPath: path)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func startupRefusalsNameTheConfigFileOrTheCertificateFile() throws {
        let files = try Files()
        defer { files.directory.remove() }
        let path = files.file("config.yaml")
        #expect(
            Self.startupRefusal(nil, in: files.directory)
                == "--proxy-tls-address needs a tls: section (cert_file, key_file) in the config file \(path), which does not exist"
        )
        #expect(
            Self.startupRefusal("endpoints: []\n", in: files.directory)
                == "--proxy-tls-address needs a tls: section (cert_file, key_file) in the config file \(path), which has none"
        )
        let invalid = Self.startupRefusal("tls:\n  cert_file: x\n", in: files.directory)
        #expect(invalid?.hasPrefix("--proxy-tls-address needs a valid config file, and \(path) is not: ") == true)
        #expect(invalid?.contains("tls.key_file") == true, "\(invalid ?? "")")
        #expect(invalid?.contains("is required") == true, "\(invalid ?? "")")

        let mismatched = Self.startupRefusal(
            "tls:\n  cert_file: \(files.site.certFile)\n  key_file: \(files.other.keyFile)\n", in: files.directory)
        #expect(
            mismatched
                == "--proxy-tls-address: the tls: section of \(path) cannot be served: tls.key_file (line 3): the private key in \(files.other.keyFile) does not match the certificate in \(files.site.certFile)"
        )
        let missing = Self.startupRefusal(
            "tls:\n  cert_file: \(files.file("nope.pem"))\n  key_file: \(files.site.keyFile)\n", in: files.directory)
        #expect(missing?.contains("cannot read certificate file \(files.file("nope.pem"))") == true, "\(missing ?? "")")

        #expect(
            Self.startupRefusal(
                "tls:\n  cert_file: \(files.site.certFile)\n  key_file: \(files.site.keyFile)\n", in: files.directory)
                == nil)
    }

    @Test func aControlPlaneWithATLSAddressButNoTLSSectionDoesNotStart() throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        try directory.write("endpoints: []\n", to: "config.yaml")
        let process = try ChildProcess(
            TestBinaries.url("orch-control-plane"),
            arguments: [
                "--data-dir", directory.file("data").path, "--config", directory.file("config.yaml").path,
                "--admin-address", "127.0.0.1:0", "--proxy-address", "127.0.0.1:0",
                "--proxy-tls-address", "127.0.0.1:0", "--replicas", "0",
            ],
            directory: directory.url, name: "control-plane")
        defer { process.stop() }
        #expect(process.waitForExit(timeout: 60) == 1, "\(process.logTail)")
        #expect(
            process.errorOutput.contains(
                "orch-control-plane: --proxy-tls-address needs a tls: section (cert_file, key_file) in the config file \(directory.file("config.yaml").path), which has none"
            ), "\(process.logTail)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("data/runtime.json").path))
    }

    @Test func theFlagIsCheckedLikeTheOtherAddresses() throws {
        #expect(throws: (any Error).self) {
            try ControlPlaneCommand.parse(["--proxy-tls-address", "nowhere"])
        }
        #expect(throws: (any Error).self) {
            try ControlPlaneCommand.parse([
                "--proxy-address", "127.0.0.1:8000", "--proxy-tls-address", "127.0.0.1:8000",
            ])
        }
        let command = try ControlPlaneCommand.parse(["--proxy-tls-address", "127.0.0.1:8443"])
        #expect(command.proxyTLSAddress == "127.0.0.1:8443")
    }
}
