/// `GET /registry/endpoints`: one page of endpoints and the counts over all of them.
package struct EndpointList: Codable, Sendable, Equatable {
    package var endpoints: [EndpointDetails]
    package var totalCount: Int
    package var activeCount: Int
    package var unhealthyCount: Int
    package var disabledCount: Int
    /// Pass as `cursor` for the next page; `null` on the last one.
    @NullEncoded package var nextCursor: String?

    package init(
        endpoints: [EndpointDetails], totalCount: Int, activeCount: Int, unhealthyCount: Int, disabledCount: Int,
        nextCursor: String? = nil
    ) {
        self.endpoints = endpoints
        self.totalCount = totalCount
        self.activeCount = activeCount
        self.unhealthyCount = unhealthyCount
        self.disabledCount = disabledCount
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case endpoints
        case totalCount = "total_count"
        case activeCount = "active_count"
        case unhealthyCount = "unhealthy_count"
        case disabledCount = "disabled_count"
        case nextCursor = "next_cursor"
    }
}
