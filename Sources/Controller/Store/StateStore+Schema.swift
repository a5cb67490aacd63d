import GRDB

extension StateStore {
    /// The schema, one migration per change; never edit a migration that has shipped, add one.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: jobs, node states, tokens") { db in
            try db.execute(
                sql: """
                    CREATE TABLE jobs (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL,
                        user TEXT NOT NULL,
                        account TEXT NOT NULL,
                        partition TEXT NOT NULL,
                        request TEXT NOT NULL,          -- ResourceRequest as JSON
                        time_limit INTEGER NOT NULL,    -- seconds
                        state TEXT NOT NULL CHECK (state IN
                            ('pending', 'running', 'completed', 'failed', 'cancelled', 'timeout')),
                        submit_time INTEGER NOT NULL,   -- seconds since the epoch
                        start_time INTEGER,
                        end_time INTEGER,
                        exit_code INTEGER,
                        signal INTEGER,
                        allocation TEXT,                -- AllocationView as JSON
                        pending_reason TEXT,
                        end_reason TEXT,
                        stop_request TEXT,              -- JobStopRequest as JSON
                        requeue_count INTEGER NOT NULL DEFAULT 0,
                        no_requeue INTEGER NOT NULL DEFAULT 0,
                        command TEXT NOT NULL,          -- [String] as JSON
                        workdir TEXT NOT NULL,
                        output TEXT
                    );
                    CREATE INDEX jobs_by_state ON jobs(state, id);
                    CREATE INDEX jobs_by_user ON jobs(user, id);

                    CREATE TABLE node_states (
                        node TEXT PRIMARY KEY NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('up', 'drain', 'down')),
                        reason TEXT,
                        actor TEXT NOT NULL,
                        since INTEGER NOT NULL
                    );

                    CREATE TABLE tokens (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        user TEXT NOT NULL,
                        role TEXT NOT NULL CHECK (role IN ('user', 'admin', 'agent')),
                        node TEXT CHECK ((role = 'agent') = (node IS NOT NULL)),
                        secret_sha256 TEXT NOT NULL UNIQUE,   -- hex; the secret itself is never stored
                        created INTEGER NOT NULL
                    );
                    """)
        }
        m.registerMigration("v2: job arrays and dependencies") { db in
            try db.execute(
                sql: """
                    ALTER TABLE jobs ADD COLUMN array_job_id INTEGER;   -- the array's id (its first task's id)
                    ALTER TABLE jobs ADD COLUMN array_task_id INTEGER;  -- the task's index
                    ALTER TABLE jobs ADD COLUMN array TEXT;             -- ArrayTask as JSON
                    ALTER TABLE jobs ADD COLUMN dependency TEXT;        -- JobDependency as JSON
                    CREATE UNIQUE INDEX jobs_by_array ON jobs(array_job_id, array_task_id)
                        WHERE array_job_id IS NOT NULL;
                    """)
        }
        m.registerMigration("v3: reservations") { db in
            try db.execute(
                sql: """
                    CREATE TABLE reservations (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        name TEXT NOT NULL UNIQUE,
                        nodes TEXT NOT NULL,            -- [String] as JSON: node names
                        start_time INTEGER NOT NULL,    -- seconds since the epoch
                        end_time INTEGER NOT NULL CHECK (end_time > start_time),
                        accounts TEXT NOT NULL,         -- [String] as JSON; [] for maintenance
                        reason TEXT NOT NULL,
                        created_by TEXT NOT NULL,
                        created INTEGER NOT NULL
                    );
                    CREATE INDEX reservations_by_end ON reservations(end_time);
                    """)
        }
        m.registerMigration("v4: job environments") { db in
            try db.execute(
                sql: """
                    -- One row per submission, written once: a job's, or an array's shared by all its tasks.
                    CREATE TABLE job_environments (
                        job_id INTEGER PRIMARY KEY,     -- the job's id, or the array's (its first task's id)
                        variables TEXT NOT NULL         -- [String: String] as JSON
                    );
                    """)
        }
        m.registerMigration("v5: what a job's run used") { db in
            try db.execute(
                sql: """
                    -- From the run's cgroup, reported by its agent when it ends (null: not confined).
                    ALTER TABLE jobs ADD COLUMN cpu_seconds REAL;
                    ALTER TABLE jobs ADD COLUMN peak_memory_bytes INTEGER;
                    """)
        }
        m.registerMigration("v6: token expiry, last use and revocation") { db in
            try db.execute(
                sql: """
                    ALTER TABLE tokens ADD COLUMN expires INTEGER;     -- seconds since the epoch; null: never
                    ALTER TABLE tokens ADD COLUMN last_used INTEGER;   -- last authenticated, to the minute
                    ALTER TABLE tokens ADD COLUMN revoked INTEGER;     -- when an admin revoked it; null: in force
                    """)
        }
        m.registerMigration("v7: the audit log") { db in
            try db.execute(
                sql: """
                    -- One row per admin action, refused ones included; never updated.
                    CREATE TABLE audit (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        time INTEGER NOT NULL,          -- seconds since the epoch
                        user TEXT NOT NULL,             -- the actor
                        token_id INTEGER,               -- the actor's token; null for the controller itself
                        action TEXT NOT NULL,           -- AuditAction: node.drain, token.revoke, ...
                        target TEXT NOT NULL,           -- what it acted on: a node, a token, a job, ...
                        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'refused', 'failed')),
                        detail TEXT                     -- the reason given, or the refusal's sentence
                    );
                    CREATE INDEX audit_by_time ON audit(time, id);
                    CREATE INDEX audit_by_user ON audit(user, id);
                    """)
        }
        m.registerMigration("v8: job times to the millisecond") { db in
            try db.execute(
                sql: """
                    -- Milliseconds since the epoch, read as the job's times; the seconds columns are their floors.
                    ALTER TABLE jobs ADD COLUMN submit_ms INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE jobs ADD COLUMN start_ms INTEGER;
                    ALTER TABLE jobs ADD COLUMN end_ms INTEGER;
                    -- When the controller gave the last run's allocation back; null: holds one, or never held one.
                    ALTER TABLE jobs ADD COLUMN released_ms INTEGER;
                    UPDATE jobs SET submit_ms = submit_time * 1000, start_ms = start_time * 1000,
                        end_ms = end_time * 1000;
                    """)
        }
        m.registerMigration("v9: job controls") { db in
            try db.execute(
                sql: """
                    -- JobControls as JSON: a hold, a begin time, a nice value, a warning signal, a kill grace,
                    -- the stderr file and output open mode, the submit directory. Null: the defaults.
                    ALTER TABLE jobs ADD COLUMN controls TEXT;
                    """)
        }
        m.registerMigration("v10: job runs, for accounting") { db in
            try db.execute(
                sql: """
                    -- One row per run of a job, written when the run ends (its job's row in the same commit).
                    CREATE TABLE job_runs (
                        job_id INTEGER NOT NULL,
                        run INTEGER NOT NULL,           -- 0, then 1 after a requeue (run "42.1")
                        user TEXT NOT NULL,
                        account TEXT NOT NULL,
                        partition TEXT NOT NULL,
                        gpus INTEGER NOT NULL,
                        gpu_model TEXT,
                        nodes TEXT NOT NULL,            -- ",dgx01,dgx02,"
                        submit_ms INTEGER NOT NULL,     -- the job's
                        start_ms INTEGER NOT NULL,
                        end_ms INTEGER NOT NULL,
                        released_ms INTEGER,
                        outcome TEXT NOT NULL CHECK (outcome IN
                            ('completed', 'failed', 'cancelled', 'timeout', 'requeued')),
                        exit_code INTEGER,
                        signal INTEGER,
                        reason TEXT,
                        cpu_seconds REAL,
                        peak_memory_bytes INTEGER,
                        PRIMARY KEY (job_id, run)
                    ) WITHOUT ROWID;
                    CREATE INDEX job_runs_by_end ON job_runs(end_ms);
                    CREATE INDEX jobs_by_end ON jobs(end_ms);
                    """)
            // Jobs that ended before: their last run, from their rows (earlier runs were not recorded).
            let rows = try Row.fetchCursor(
                db, sql: JobRow.selectPlain + " WHERE start_ms IS NOT NULL AND end_ms IS NOT NULL")
            while let row = try rows.next() {
                guard let run = JobRunRow.lastRun(of: try JobRow.job(row)) else { continue }
                try db.cachedStatement(sql: JobRunRow.insertSQLv10).execute(arguments: JobRunRow.argumentsv10(run))
            }
        }
        m.registerMigration("v11: job runs' GPU usage") { db in
            try db.execute(
                sql: """
                    -- [GPUUsage] as JSON: each GPU's mean and last utilisation, peak memory, power; null: not read.
                    ALTER TABLE job_runs ADD COLUMN gpu_usage TEXT;
                    """)
        }
        return m
    }
}
