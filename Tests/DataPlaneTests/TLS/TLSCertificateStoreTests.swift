import DataPlane
import Foundation
import Logging
import Shared
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Loading, SNI choice and reloads of real certificate files made with `openssl`; polls are
/// called by the test, so no timing is involved.
@Suite(.enabled(if: TestPKI.isAvailable)) struct TLSCertificateStoreTests {
    /// A CA and three server certificates (one of them with a common name only) in a fresh directory.
    static func withPKI(_ body: (TestPKI) throws -> Void) throws {
        let directory = try TestDirectory()
        defer { directory.remove() }
        let pki = try TestPKI(in: directory)
        try pki.issue("one.test", dnsNames: ["one.test"])
        try pki.issue("two.test", dnsNames: ["two.test", "*.two.test"])
        try pki.issue("cn.test", dnsNames: [])
        try body(pki)
    }

    static func path(_ pki: TestPKI, _ name: String) -> String { pki.directory.file(name).path }

    static func settings(_ pki: TestPKI, extra: [String] = []) -> TLSSettings {
        TLSSettings(
            certFile: path(pki, "one.test.pem"), keyFile: path(pki, "one.test.key"),
            certificates: extra.map {
                TLSSettings.Certificate(certFile: path(pki, "\($0).pem"), keyFile: path(pki, "\($0).key"))
            })
    }

    static func store() -> TLSCertificateStore { TLSCertificateStore(logger: Logger(label: "test")) }

    /// Replaces the content of `path` in place (same inode).
    static func rewrite(_ path: String, with source: String) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: bytes)
        try handle.close()
    }

    /// Writes `source`'s content to a temporary file and renames it over `path` (a new inode).
    static func renameOver(_ path: String, with source: String) throws {
        let temporary = path + ".new"
        try Data(contentsOf: URL(fileURLWithPath: source)).write(to: URL(fileURLWithPath: temporary))
        #expect(rename(temporary, path) == 0)
    }

    /// Polls twice: a change loads once two polls agree.
    static func pollTwice(_ store: TLSCertificateStore) {
        store.poll()
        store.poll()
    }

    @Test func theSectionLoadsWithTheNamesOfEachCertificateAndSNIPicksAmongThem() throws {
        try Self.withPKI { pki in
            let store = Self.store()
            #expect(store.contexts == nil)
            store.snapshotInstalled(Self.settings(pki, extra: ["two.test", "cn.test"]))
            let contexts = try #require(store.contexts)
            #expect(contexts.names == [["one.test"], ["two.test", "*.two.test"], ["cn.test"]])
            #expect(contexts.context(forServerName: "x.two.test") === contexts.contexts[1])
            #expect(contexts.context(forServerName: "CN.test") === contexts.contexts[2])
            #expect(contexts.context(forServerName: "elsewhere.test") === contexts.contexts[0])
            #expect(contexts.context(forServerName: nil) === contexts.contexts[0])
        }
    }

    @Test func aCertificateRewrittenInPlaceIsLoadedAndSoIsOneRenamedOver() throws {
        try Self.withPKI { pki in
            let store = Self.store()
            store.snapshotInstalled(Self.settings(pki))
            let first = try #require(store.contexts)
            try pki.issue("three.test", dnsNames: ["three.test"])
            try Self.rewrite(Self.path(pki, "one.test.pem"), with: Self.path(pki, "three.test.pem"))
            try Self.rewrite(Self.path(pki, "one.test.key"), with: Self.path(pki, "three.test.key"))
            Self.pollTwice(store)
            let second = try #require(store.contexts)
            #expect(second !== first)
            #expect(second.names == [["three.test"]])

            try Self.renameOver(Self.path(pki, "one.test.key"), with: Self.path(pki, "two.test.key"))
            try Self.renameOver(Self.path(pki, "one.test.pem"), with: Self.path(pki, "two.test.pem"))
            Self.pollTwice(store)
            #expect(store.contexts?.names == [["two.test", "*.two.test"]])
            // Nothing changed since: nothing is loaded again.
            let third = store.contexts
            Self.pollTwice(store)
            #expect(store.contexts === third)
        }
    }

    @Test func aFileThatFailsToLoadKeepsThePreviousCertificatesUntilItIsFixed() throws {
        try Self.withPKI { pki in
            let store = Self.store()
            store.snapshotInstalled(Self.settings(pki))
            let good = try #require(store.contexts)
            let certificate = Self.path(pki, "one.test.pem")
            try "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n".write(
                toFile: certificate, atomically: false, encoding: .utf8)
            Self.pollTwice(store)
            #expect(store.contexts === good)
            // A key that belongs to another certificate fails too.
            try Self.rewrite(certificate, with: Self.path(pki, "two.test.pem"))
            Self.pollTwice(store)
            #expect(store.contexts === good)
            try Self.rewrite(Self.path(pki, "one.test.key"), with: Self.path(pki, "two.test.key"))
            Self.pollTwice(store)
            #expect(store.contexts?.names == [["two.test", "*.two.test"]])
        }
    }

    @Test func aMissingFileAtTheStartLoadsNothingAndASnapshotWithoutTLSDropsTheCertificates() throws {
        try Self.withPKI { pki in
            let store = Self.store()
            var settings = Self.settings(pki)
            settings.keyFile = Self.path(pki, "missing.key")
            store.snapshotInstalled(settings)
            #expect(store.contexts == nil)
            #expect(store.shouldLogRefusal())
            #expect(!store.shouldLogRefusal())
            store.snapshotInstalled(Self.settings(pki))
            #expect(store.contexts != nil)
            store.snapshotInstalled(nil)
            #expect(store.contexts == nil)
        }
    }

    @Test func loadErrorsNameTheFile() throws {
        try Self.withPKI { pki in
            var settings = Self.settings(pki)
            settings.clientCAFile = Self.path(pki, "nowhere.pem")
            #expect(throws: TLSLoadError.self) { try TLSContexts.load(settings) }
            do {
                _ = try TLSContexts.load(settings)
            } catch let error as TLSLoadError {
                #expect(error.file == Self.path(pki, "nowhere.pem"))
            }
            settings.clientCAFile = pki.caFile
            #expect(try TLSContexts.load(settings).contexts.count == 1)
        }
    }
}
