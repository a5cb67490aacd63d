import Foundation
import SchedctlCore

exit(Schedctl.executeWaiting())
