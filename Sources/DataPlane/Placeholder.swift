import Shared
enum DataPlanePlaceholder {}
