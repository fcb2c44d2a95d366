import Shared
import Testing

@Suite("Process layout flags")
struct ProcessLayoutTests {
    @Test("auto, in any case and with spaces, is the automatic count")
    func autoIsTheAutomaticCount() {
        #expect(ProcessLayout.count("auto", automatic: 3, in: 1...8) == 3)
        #expect(ProcessLayout.count(" AUTO ", automatic: 3, in: 1...8) == 3)
    }

    @Test("a number inside the range is taken as given")
    func numbersInRange() {
        #expect(ProcessLayout.count("0", automatic: 1, in: 0...64) == 0)
        #expect(ProcessLayout.count("64", automatic: 1, in: 0...64) == 64)
    }

    @Test("numbers outside the range and other words are refused")
    func refusals() {
        #expect(ProcessLayout.count("65", automatic: 1, in: 0...64) == nil)
        #expect(ProcessLayout.count("0", automatic: 1, in: 1...1024) == nil)
        #expect(ProcessLayout.count("-1", automatic: 1, in: 0...64) == nil)
        #expect(ProcessLayout.count("two", automatic: 1, in: 0...64) == nil)
        #expect(ProcessLayout.count("", automatic: 1, in: 0...64) == nil)
    }

    @Test("auto is one replica with one event loop per core, never fewer than one loop")
    func automaticLayout() {
        #expect(ProcessLayout.automaticReplicas == 1)
        #expect(ProcessLayout.automaticEventLoops(cores: 2) == 2)
        #expect(ProcessLayout.automaticEventLoops(cores: 0) == 1)
    }

    @Test("supervised replicas share the cores: rounded up, at least one loop each")
    func replicasShareTheCores() {
        #expect(ProcessLayout.eventLoops(cores: 2, sharedBy: 1) == 2)
        #expect(ProcessLayout.eventLoops(cores: 2, sharedBy: 2) == 1)
        #expect(ProcessLayout.eventLoops(cores: 8, sharedBy: 2) == 4)
        #expect(ProcessLayout.eventLoops(cores: 4, sharedBy: 3) == 2)
        #expect(ProcessLayout.eventLoops(cores: 2, sharedBy: 4) == 1)
        #expect(ProcessLayout.eventLoops(cores: 0, sharedBy: 2) == 1)
        #expect(ProcessLayout.eventLoops(cores: 4, sharedBy: 0) == 4)
    }
}
