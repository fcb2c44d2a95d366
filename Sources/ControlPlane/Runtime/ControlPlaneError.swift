/// A start-up or runtime failure of the control plane, with a message for the operator.
package struct ControlPlaneError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
