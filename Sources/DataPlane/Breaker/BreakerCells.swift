/// The breaker cells of a replica by endpoint name, and the same cells by route slot
/// (``RouteTable/Route/slot``) as last seen: a request finds its endpoint's cell with one array
/// read instead of hashing the name into a table of every endpoint. Kept under the registry's lock.
struct BreakerCells {
    private(set) var byName: [String: BreakerRegistry.Cell] = [:]
    /// Filled as requests come; a cell that was forgotten, or a slot that a newer snapshot gave to
    /// another endpoint, is noticed (by the flag, by name) and looked up by name again.
    private var bySlot: [BreakerRegistry.Cell?] = []

    var keys: Dictionary<String, BreakerRegistry.Cell>.Keys { byName.keys }

    subscript(name: String) -> BreakerRegistry.Cell? {
        get { byName[name] }
        set {
            if let old = byName[name], old !== newValue { old.forgotten = true }
            byName[name] = newValue
        }
    }

    /// The cell of `name`, found by `slot` when the slot still holds it; `nil` when it has none.
    mutating func cell(_ name: String, slot: Int?) -> BreakerRegistry.Cell? {
        guard let slot, slot >= 0 else { return byName[name] }
        if slot < bySlot.count, let cell = bySlot[slot], !cell.forgotten, cell.name == name { return cell }
        guard let cell = byName[name] else { return nil }
        remember(cell, at: slot)
        return cell
    }

    /// Adds `cell`, which `slot` (when known) will find.
    mutating func add(_ cell: BreakerRegistry.Cell, slot: Int?) {
        self[cell.name] = cell
        if let slot, slot >= 0 { remember(cell, at: slot) }
    }

    private mutating func remember(_ cell: BreakerRegistry.Cell, at slot: Int) {
        // Slots are below the snapshot's endpoint count, so the array is bounded by it.
        if slot >= bySlot.count { bySlot.append(contentsOf: repeatElement(nil, count: slot + 1 - bySlot.count)) }
        bySlot[slot] = cell
    }
}
