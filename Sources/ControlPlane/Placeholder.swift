import Shared
enum ControlPlanePlaceholder {}
