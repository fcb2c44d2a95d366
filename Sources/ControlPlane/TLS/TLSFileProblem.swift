/// Why a certificate, key or CA file of a `tls:` section cannot be used, in words that name the file.
package struct TLSFileProblem: Error, Sendable, Equatable, CustomStringConvertible {
    package let description: String

    package init(_ description: String) {
        self.description = description
    }
}
