import CSchedctlFront
import Foundation
import SchedctlCore

// A `submit` handed to this user's schedctl server never gets here: CSchedctlFront ran it before main.
let arguments = CommandLine.arguments
if arguments.count == 3, arguments[1] == HandoffServer.command {
    exit(HandoffServer.serve(socket: arguments[2]))
}
let status = Schedctl.executeWaiting()
HandoffServer.startIfWanted()
exit(status)
