import Foundation
import SchedctlCore

exit(await Schedctl.execute())
