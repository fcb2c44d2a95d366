import AdminAPI
import Foundation
import Shared

extension TLSStatus {
    /// The status of `settings`, reading each certificate file through `summarise`.
    package init(
        listener: String?, settings: TLSSettings?, now: Date = Date(),
        summarise: (String) -> Result<CertificateSummary, TLSFileProblem> = TLSStatus.summarise
    ) {
        self.init(
            listener: listener, minVersion: settings?.minVersion.rawValue, clientCAFile: settings?.clientCAFile,
            certificates: (settings?.allCertificates ?? []).enumerated().map { index, pair in
                CertificateStatus(pair, isDefault: index == 0, summary: summarise(pair.certFile), now: now)
            })
    }

    /// Reads a certificate file from disk.
    package static func summarise(_ file: String) -> Result<CertificateSummary, TLSFileProblem> {
        Result(catching: { () throws(TLSFileProblem) -> CertificateSummary in try CertificateSummary(file: file) })
    }
}

extension TLSStatus.CertificateStatus {
    /// What the control plane reads in `pair`'s certificate file (`summary`) at `now`.
    package init(
        _ pair: TLSSettings.Certificate, isDefault: Bool, summary: Result<CertificateSummary, TLSFileProblem>, now: Date
    ) {
        switch summary {
        case .success(let summary):
            self.init(
                certFile: pair.certFile, keyFile: pair.keyFile, isDefault: isDefault, subject: summary.subject,
                dnsNames: summary.dnsNames, ipAddresses: summary.ipAddresses,
                notBefore: Timestamp.string(summary.notBefore), notAfter: Timestamp.string(summary.notAfter),
                daysLeft: summary.daysLeft(at: now), expired: summary.notAfter <= now,
                expiresSoon: summary.expires(within: TLSStatus.warningDays, of: now))
        case .failure(let problem):
            self.init(
                certFile: pair.certFile, keyFile: pair.keyFile, isDefault: isDefault, dnsNames: [], ipAddresses: [],
                expired: false, expiresSoon: false, error: problem.description)
        }
    }
}
