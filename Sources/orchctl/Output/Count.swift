/// A number with its noun in the right form: `1 endpoint`, `2 endpoints`.
enum Count {
    static func of(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(count) \(count == 1 ? singular : plural ?? singular + "s")"
    }

    static func endpoints(_ count: Int) -> String { of(count, "endpoint") }

    static func days(_ count: Int) -> String { of(count, "day") }
}
