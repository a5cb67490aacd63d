import SchedctlCore

Schedctl.main()
