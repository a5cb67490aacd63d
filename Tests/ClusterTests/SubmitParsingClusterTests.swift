import Testing

extension ClusterTests {
    /// The built schedctl parses `submit` on its own, not through its command tree (`Schedctl.execute`):
    /// its help, its usage errors and their exit status are still those of the subcommand the tree names.
    @Test func submitParsedOnItsOwnKeepsItsHelpAndUsageErrors() throws {
        let help = try LocalCluster.tool("schedctl", ["submit", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: schedctl submit [<job options>]"), "\(help.stdout)")
        #expect(help.stdout.contains("--gpus-per-node <value>"))
        let throughTree = try LocalCluster.tool("schedctl", ["help", "submit"])
        #expect(throughTree.status == 0)
        #expect(throughTree.stdout == help.stdout)
        let missing = try LocalCluster.tool("schedctl", ["submit", "--controller"])
        #expect(missing.status == 2)
        #expect(
            missing.stderr
                == "schedctl: error: Missing value for '--controller <controller>'\nTry 'schedctl --help' for usage.\n")
        #expect(missing.stdout.isEmpty)
    }
}
