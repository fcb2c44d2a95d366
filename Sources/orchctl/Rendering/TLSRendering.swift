import AdminAPI

/// The TLS part of `orchctl status`: the listener in the summary, then each certificate with its
/// subject, names and expiry, and a warning line for each one that expires soon or cannot be read.
enum TLSRendering {
    /// The summary's `TLS` value: `127.0.0.1:8443, TLS 1.2 or later`, or `off`.
    static func summary(_ tls: TLSStatus) -> (text: String, style: Style) {
        guard let listener = tls.listener else {
            return tls.certificates.isEmpty
                ? ("off", .dim)
                : ("no listener (--proxy-tls-address not set); the config's tls: section is published", .dim)
        }
        var text = listener
        if let version = tls.minVersion { text += ", TLS \(version) or later" }
        if tls.clientCAFile != nil { text += ", client certificates required" }
        return (text, tls.certificates.isEmpty ? .bad : .plain)
    }

    /// The `Certificates` section, or `nil` when there are none.
    static func certificates(_ tls: TLSStatus, _ terminal: Terminal) -> String? {
        guard !tls.certificates.isEmpty else { return nil }
        var lines = [terminal.paint("Certificates", .bold) + "  \(tls.certificates.count)"]
        var table = Table(["FILE", "SUBJECT", "NAMES", "EXPIRES"], indent: "  ")
        var warnings: [String] = []
        for certificate in tls.certificates {
            let names = certificate.dnsNames + certificate.ipAddresses
            table.add([
                Table.Cell(certificate.certFile + (certificate.isDefault ? " (default)" : "")),
                Table.Cell(certificate.subject ?? "-"), Table.Cell(names.isEmpty ? "-" : names.joined(separator: ", ")),
                expiry(certificate),
            ])
            if let warning = warning(certificate) {
                warnings.append("  " + terminal.paint(warning.text, warning.style))
            }
        }
        lines.append(table.render(terminal))
        return (lines + warnings).joined(separator: "\n")
    }

    /// `2027-03-01T00:00:00Z (89 days)`, coloured by how soon.
    static func expiry(_ certificate: TLSStatus.CertificateStatus) -> Table.Cell {
        guard let notAfter = certificate.notAfter else { return Table.Cell("-", .bad) }
        guard let days = certificate.daysLeft else { return Table.Cell(notAfter) }
        if certificate.expired { return Table.Cell("\(notAfter) (expired)", .bad) }
        return Table.Cell(
            "\(notAfter) (\(Count.days(days)))", certificate.expiresSoon ? .warning : .good)
    }

    /// The warning under the table for a certificate that expires soon, has expired or cannot be read.
    static func warning(_ certificate: TLSStatus.CertificateStatus) -> (text: String, style: Style)? {
        if let error = certificate.error { return ("ERROR: \(error)", .bad) }
        guard let notAfter = certificate.notAfter, let days = certificate.daysLeft else { return nil }
        if certificate.expired {
            return ("ERROR: \(certificate.certFile) expired at \(notAfter); clients refuse it", .bad)
        }
        guard certificate.expiresSoon else { return nil }
        return ("WARNING: \(certificate.certFile) expires in \(Count.days(days)) (\(notAfter)); renew it", .warning)
    }
}
