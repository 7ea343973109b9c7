//! The SQLite history file's schema. One file, WAL journal, schema versioned with `PRAGMA user_version`
//! and migrated forward in transactions. Every run is written in ONE transaction: a process
//! killed half-way through `record` leaves only the runs that were committed before.
//!
//! Schema (version 4; version 2 added `outcome` to checks and runtime, version 3
//! `incremental` to cells and the runtime's `findings_json` and `workarounds_json`, JSON
//! arrays of strings; version 4 the run's `known_json`, its known issues as judged):
//!
//! ```sql
//! runs(id INTEGER PRIMARY KEY AUTOINCREMENT, matrix, matrix_origin, kcross_version,
//!      started_at, recorded_at, wall_s, jobs, out_dir,
//!      source_kind, source_origin, source_root, source_key, source_version, known_json)
//! cells(run_id -> runs, seq, cell, arch, toolchain, config, targets_json, verdict,
//!       failed_stage, reason, configure_s, build_s, total_s, config_reused, errors, warnings,
//!       dir, build_dir, image, log_tail, incremental)         PRIMARY KEY (run_id, seq)
//! diagnostics(run_id -> runs, cell_seq, seq, code, severity, tool, file, line, col, flag,
//!       message, function, source_line, notes_json, cell, fingerprint)
//!                                                   PRIMARY KEY (run_id, cell_seq, seq)
//! checks(run_id -> runs, seq, cell, helper, verdict, evidence, outcome) PRIMARY KEY (run_id, seq)
//! runtime(run_id -> runs, seq, cell, test, verdict, detail, duration_s, outcome,
//!         findings_json, workarounds_json)
//! patches(run_id -> runs, seq, patch_id, subject)
//! ```
//!
//! Enum values are stored as their serde names (`pass`, `fail`, `warning`, `compiler`, ...).
//! `outcome` is the stage-independent `crate::outcome::Outcome` every comparison counts with;
//! `verdict` is the stage's own word, kept for people.

/// The schema version this kcross writes and reads.
pub const SCHEMA_VERSION: i64 = 4;

/// Migrations: `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE runs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    matrix          TEXT NOT NULL,
    matrix_origin   TEXT NOT NULL,
    kcross_version  TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    recorded_at     TEXT NOT NULL,
    wall_s          REAL NOT NULL,
    jobs            INTEGER NOT NULL,
    out_dir         TEXT NOT NULL,
    source_kind     TEXT NOT NULL,
    source_origin   TEXT NOT NULL,
    source_root     TEXT NOT NULL,
    source_key      TEXT NOT NULL,
    source_version  TEXT NOT NULL
);
CREATE INDEX runs_by_matrix ON runs(matrix, id);
CREATE TABLE cells (
    run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    cell            TEXT NOT NULL,
    arch            TEXT NOT NULL,
    toolchain       TEXT NOT NULL,
    config          TEXT NOT NULL,
    targets_json    TEXT NOT NULL,
    verdict         TEXT NOT NULL,
    failed_stage    TEXT,
    reason          TEXT,
    configure_s     REAL NOT NULL,
    build_s         REAL NOT NULL,
    total_s         REAL NOT NULL,
    config_reused   INTEGER NOT NULL,
    errors          INTEGER NOT NULL,
    warnings        INTEGER NOT NULL,
    dir             TEXT NOT NULL,
    build_dir       TEXT NOT NULL,
    image           TEXT,
    log_tail        TEXT NOT NULL,
    PRIMARY KEY (run_id, seq),
    UNIQUE (run_id, cell)
);
CREATE TABLE diagnostics (
    run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    cell_seq        INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    code            TEXT NOT NULL,
    severity        TEXT NOT NULL,
    tool            TEXT NOT NULL,
    file            TEXT,
    line            INTEGER,
    col             INTEGER,
    flag            TEXT,
    message         TEXT NOT NULL,
    function        TEXT,
    source_line     TEXT,
    notes_json      TEXT NOT NULL,
    cell            TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    PRIMARY KEY (run_id, cell_seq, seq)
);
CREATE INDEX diagnostics_by_fingerprint ON diagnostics(fingerprint);
CREATE TABLE checks (
    run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    cell            TEXT NOT NULL,
    helper          TEXT NOT NULL,
    verdict         TEXT NOT NULL,
    evidence        TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE runtime (
    run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    cell            TEXT NOT NULL,
    test            TEXT NOT NULL,
    verdict         TEXT NOT NULL,
    detail          TEXT NOT NULL,
    duration_s      REAL,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE patches (
    run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    patch_id        TEXT NOT NULL,
    subject         TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
"#,
    // Version 2: the outcome of every check and runtime row. Rows recorded by version 1 get
    // the outcome their stage's verdict meant (the serde names version 1 wrote).
    r#"
ALTER TABLE checks ADD COLUMN outcome TEXT NOT NULL DEFAULT 'error';
UPDATE checks SET outcome = CASE
    WHEN verdict IN ('provided', 'not-required') THEN 'pass'
    WHEN verdict IN ('missing', 'unresolved') THEN 'fail'
    WHEN verdict LIKE 'skip%' THEN 'skipped'
    ELSE 'error' END;
ALTER TABLE runtime ADD COLUMN outcome TEXT NOT NULL DEFAULT 'error';
UPDATE runtime SET outcome = CASE
    WHEN verdict = 'pass' THEN 'pass'
    WHEN verdict IN ('fail', 'timeout') THEN 'fail'
    WHEN verdict LIKE 'skip%' THEN 'skipped'
    ELSE 'error' END;
"#,
    // Version 3: whether a cell's build was incremental (1) or cold (0), NULL for rows of
    // version 2, which did not know (their times are never compared as "slower"); what a
    // runtime test found out, and the workarounds kcross applied (rows recorded before had
    // none).
    r#"
ALTER TABLE cells ADD COLUMN incremental INTEGER;
ALTER TABLE runtime ADD COLUMN findings_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE runtime ADD COLUMN workarounds_json TEXT NOT NULL DEFAULT '[]';
"#,
    // Version 4: the run's `[[known]]` entries as judged on its cells (`known::KnownReport`
    // as JSON); runs recorded before had none.
    r#"
ALTER TABLE runs ADD COLUMN known_json TEXT NOT NULL DEFAULT '{}';
"#,
];
