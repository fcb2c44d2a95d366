import DataPlane
import Testing

@Suite struct TLSServerNameTests {
    let names = [["default.test"], ["a.test", "www.a.test"], ["*.b.test"], ["x.b.test"]]

    @Test func anExactNameWinsOverAWildcardAndTheFirstCertificateWinsAmongEquals() {
        #expect(TLSServerName.choose("a.test", names: names) == 1)
        #expect(TLSServerName.choose("www.a.test", names: names) == 1)
        #expect(TLSServerName.choose("x.b.test", names: names) == 3)
        #expect(TLSServerName.choose("y.b.test", names: names) == 2)
        #expect(TLSServerName.choose("a.test", names: names + [["a.test"]]) == 1)
    }

    @Test func namesCompareWithoutCaseAndTrailingDot() {
        #expect(TLSServerName.choose("A.Test.", names: names) == 1)
        #expect(TLSServerName.choose("Y.B.TEST", names: names) == 2)
    }

    @Test func aWildcardCoversExactlyOneLabel() {
        #expect(TLSServerName.choose("b.test", names: names) == 0)
        #expect(TLSServerName.choose("z.y.b.test", names: names) == 0)
        #expect(TLSServerName.choose(".b.test", names: names) == 0)
    }

    @Test func noNameOrAnUnknownOneGetsTheDefault() {
        #expect(TLSServerName.choose(nil, names: names) == 0)
        #expect(TLSServerName.choose("", names: names) == 0)
        #expect(TLSServerName.choose("other.test", names: names) == 0)
        #expect(TLSServerName.choose("a.test", names: [[]]) == 0)
    }
}
