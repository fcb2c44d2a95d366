import Shared
import Testing

/// The exported endpoint document reads back as the endpoints it was written from.
@Suite struct EndpointExportTests {
    @Test(
        arguments: zip(
            ["0", "true", "null", "False", "1e3", "0x1F", "orders"], ["0", "1.2", "1", "v1", "2.0.1", "1", "1.0"]))
    func valuesThatLookLikeOtherTypesReadBackAsTheSameStrings(name: String, version: String) throws {
        let endpoint = EndpointConfig(name: name, url: "http://127.0.0.1:9/", version: version)
        let document = try EndpointConfig.yamlDocument([endpoint])
        let parsed = try GatewayConfig.parse(yaml: document)
        #expect(parsed.endpoints.map(\.name) == [name], "\(document)")
        #expect(parsed.endpoints.map(\.version) == [version], "\(document)")
    }

    @Test func anEmptyListIsAnEmptyDocument() throws {
        let parsed = try GatewayConfig.parse(yaml: try EndpointConfig.yamlDocument([]))
        #expect(parsed.endpoints.isEmpty)
    }
}
