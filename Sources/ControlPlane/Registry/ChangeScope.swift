/// What a registry change may have touched, so that the next snapshot re-reads only that.
enum ChangeScope: Sendable, Equatable, ExpressibleByArrayLiteral {
    /// These endpoints (created, changed or removed); a name that did not change costs a lookup.
    case endpoints(Set<String>)
    /// Anything, global policies and limits included: the content is rebuilt from the store.
    case everything

    init(arrayLiteral names: String...) {
        self = .endpoints(Set(names))
    }
}
