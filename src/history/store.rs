//! The SQLite history file. One file, WAL journal, schema versioned with `PRAGMA user_version`
//! and migrated forward in transactions. Every run is written in ONE transaction: a process
//! killed half-way through `record` leaves only the runs that were committed before.
//!
//! Schema (version 2; version 2 added `outcome` to checks and runtime):
//!
//! ```sql
//! runs(id INTEGER PRIMARY KEY AUTOINCREMENT, matrix, matrix_origin, kcross_version,
//!      started_at, recorded_at, wall_s, jobs, out_dir,
//!      source_kind, source_origin, source_root, source_key, source_version)
//! cells(run_id -> runs, seq, cell, arch, toolchain, config, targets_json, verdict,
//!       failed_stage, reason, configure_s, build_s, total_s, config_reused, errors, warnings,
//!       dir, build_dir, image, log_tail)                      PRIMARY KEY (run_id, seq)
//! diagnostics(run_id -> runs, cell_seq, seq, code, severity, tool, file, line, col, flag,
//!       message, function, source_line, notes_json, cell, fingerprint)
//!                                                   PRIMARY KEY (run_id, cell_seq, seq)
//! checks(run_id -> runs, seq, cell, helper, verdict, evidence, outcome) PRIMARY KEY (run_id, seq)
//! runtime(run_id -> runs, seq, cell, test, verdict, detail, duration_s, outcome)
//! patches(run_id -> runs, seq, patch_id, subject)
//! ```
//!
//! Enum values are stored as their serde names (`pass`, `fail`, `warning`, `compiler`, ...).
//! `outcome` is the stage-independent `crate::outcome::Outcome` every comparison counts with;
//! `verdict` is the stage's own word, kept for people.

use super::{HelperVerdictRow, PatchRow, RecordedRun, RuntimeRow, TrendCell, TrendPoint};
use crate::build::{CellResult, RunSummary, Timings, Verdict};
use crate::diag::Diagnostic;
use crate::error::{Error, Result};
use crate::source::SourceTree;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The schema version this kcross writes and reads.
pub const SCHEMA_VERSION: i64 = 2;

/// Migrations: `MIGRATIONS[i]` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
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
    WHEN verdict IN ('fail', 'boot-failure', 'timeout') THEN 'fail'
    WHEN verdict LIKE 'skip%' THEN 'skipped'
    ELSE 'error' END;
"#,
];

/// A line of `kcross report --list`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunInfo {
    pub id: i64,
    pub matrix: String,
    pub started_at: String,
    pub recorded_at: String,
    pub source_version: String,
    pub source_key: String,
    pub cells: usize,
    pub failed: usize,
    pub warnings: usize,
}

/// An open history file.
pub struct History {
    conn: Connection,
    path: PathBuf,
}

fn enum_str<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("not a unit enum: {other:?}"),
    }
}

fn enum_parse<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn outcome_parse(s: &str) -> rusqlite::Result<crate::outcome::Outcome> {
    crate::outcome::Outcome::from_name(s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("`{s}` is not an outcome").into(),
        )
    })
}

fn json_parse<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

impl History {
    /// Open (creating if needed) a history file: WAL journal, schema migrated to the current
    /// version. A file written by a newer kcross (higher schema version) is refused.
    pub fn open(path: &Path) -> Result<History> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        }
        let conn = Connection::open(path).map_err(|e| err(path, e))?;
        let mut h = History {
            conn,
            path: path.to_path_buf(),
        };
        h.setup()?;
        Ok(h)
    }

    /// Open a history file that must already exist (for reading: `kcross report`).
    pub fn open_existing(path: &Path) -> Result<History> {
        if !path.is_file() {
            return Err(Error::History(format!(
                "{}: no such history file (run `kcross nightly` first, or give --history PATH)",
                path.display()
            )));
        }
        History::open(path)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn setup(&mut self) -> Result<()> {
        let path = self.path.clone();
        let e = |x| err(&path, x);
        self.conn
            .busy_timeout(std::time::Duration::from_secs(30))
            .map_err(e)?;
        let mode: String = self
            .conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(e)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::History(format!(
                "{}: cannot use WAL journal (got {mode})",
                path.display()
            )));
        }
        self.conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(e)?;
        loop {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(e)?;
            let v: i64 = tx
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(e)?;
            if v > SCHEMA_VERSION {
                return Err(Error::History(format!(
                    "{}: schema version {v} was written by a newer kcross (this one knows up to {SCHEMA_VERSION}); upgrade kcross",
                    path.display()
                )));
            }
            if v == SCHEMA_VERSION {
                return Ok(());
            }
            tx.execute_batch(MIGRATIONS[v as usize]).map_err(e)?;
            tx.pragma_update(None, "user_version", v + 1).map_err(e)?;
            tx.commit().map_err(e)?;
        }
    }

    /// The schema version of the open file.
    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|x| err(&self.path, x))
    }

    /// Record a run; returns its id. One transaction: all of it or nothing.
    pub fn record(&mut self, run: &RecordedRun) -> Result<i64> {
        self.record_with_progress(run, &mut |_, _| {})
    }

    /// `record`, calling `progress(cells_written, cells_total)` after each cell (inside the
    /// transaction).
    pub fn record_with_progress(
        &mut self,
        run: &RecordedRun,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<i64> {
        let path = self.path.clone();
        let e = |x| err(&path, x);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(e)?;
        let s = &run.summary;
        tx.execute(
            "INSERT INTO runs (matrix, matrix_origin, kcross_version, started_at, recorded_at, wall_s, jobs, out_dir,
                               source_kind, source_origin, source_root, source_key, source_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            params![
                s.matrix,
                s.matrix_origin,
                s.kcross_version,
                s.started_at,
                chrono::Local::now().to_rfc3339(),
                s.wall_s,
                s.jobs as i64,
                path_str(&s.out_dir),
                enum_str(&s.source.kind),
                s.source.origin,
                path_str(&s.source.root),
                s.source.key,
                s.source.version,
            ],
        )
        .map_err(e)?;
        let id = tx.last_insert_rowid();
        {
            let mut cell_st = tx
                .prepare(
                    "INSERT INTO cells (run_id, seq, cell, arch, toolchain, config, targets_json, verdict, failed_stage,
                        reason, configure_s, build_s, total_s, config_reused, errors, warnings, dir, build_dir, image, log_tail)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
                )
                .map_err(e)?;
            let mut diag_st = tx
                .prepare(
                    "INSERT INTO diagnostics (run_id, cell_seq, seq, code, severity, tool, file, line, col, flag, message,
                        function, source_line, notes_json, cell, fingerprint)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                )
                .map_err(e)?;
            let total = s.cells.len();
            for (i, c) in s.cells.iter().enumerate() {
                cell_st
                    .execute(params![
                        id,
                        i as i64,
                        c.cell,
                        c.arch,
                        c.toolchain,
                        c.config,
                        serde_json::to_string(&c.targets).expect("serialisable"),
                        enum_str(&c.verdict),
                        c.failed_stage.as_ref().map(enum_str),
                        c.reason,
                        c.timings.configure_s,
                        c.timings.build_s,
                        c.timings.total_s,
                        c.config_reused,
                        c.errors as i64,
                        c.warnings as i64,
                        path_str(&c.dir),
                        path_str(&c.build_dir),
                        c.image.as_deref().map(path_str),
                        run.log_tails.get(&c.cell).map(String::as_str).unwrap_or(""),
                    ])
                    .map_err(e)?;
                for (j, d) in c.diagnostics.iter().enumerate() {
                    diag_st
                        .execute(params![
                            id,
                            i as i64,
                            j as i64,
                            d.code,
                            enum_str(&d.severity),
                            enum_str(&d.tool),
                            d.file,
                            d.line,
                            d.column,
                            d.flag,
                            d.message,
                            d.function,
                            d.source_line,
                            serde_json::to_string(&d.notes).expect("serialisable"),
                            d.cell,
                            d.fingerprint,
                        ])
                        .map_err(e)?;
                }
                progress(i + 1, total);
            }
            let mut st = tx
                .prepare("INSERT INTO checks (run_id, seq, cell, helper, verdict, evidence, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                .map_err(e)?;
            for (i, r) in run.check.iter().enumerate() {
                st.execute(params![
                    id,
                    i as i64,
                    r.cell,
                    r.helper,
                    r.verdict,
                    r.evidence,
                    r.outcome.as_str()
                ])
                .map_err(e)?;
            }
            let mut st = tx
                .prepare("INSERT INTO runtime (run_id, seq, cell, test, verdict, detail, duration_s, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
                .map_err(e)?;
            for (i, r) in run.runtime.iter().enumerate() {
                st.execute(params![
                    id,
                    i as i64,
                    r.cell,
                    r.test,
                    r.verdict,
                    r.detail,
                    r.duration_s,
                    r.outcome.as_str()
                ])
                .map_err(e)?;
            }
            let mut st = tx
                .prepare(
                    "INSERT INTO patches (run_id, seq, patch_id, subject) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(e)?;
            for (i, r) in run.patches.iter().enumerate() {
                st.execute(params![id, i as i64, r.id, r.subject])
                    .map_err(e)?;
            }
        }
        tx.commit().map_err(e)?;
        Ok(id)
    }

    /// Every run (of `matrix`, or of all matrices), oldest first.
    pub fn runs(&self, matrix: Option<&str>) -> Result<Vec<RunInfo>> {
        let e = |x| err(&self.path, x);
        let mut st = self
            .conn
            .prepare(
                "SELECT r.id, r.matrix, r.started_at, r.recorded_at, r.source_version, r.source_key,
                        COUNT(c.seq), COALESCE(SUM(c.verdict = 'fail'), 0), COALESCE(SUM(c.warnings), 0)
                 FROM runs r LEFT JOIN cells c ON c.run_id = r.id
                 WHERE ?1 IS NULL OR r.matrix = ?1
                 GROUP BY r.id ORDER BY r.id",
            )
            .map_err(e)?;
        let rows = st
            .query_map(params![matrix], |r| {
                Ok(RunInfo {
                    id: r.get(0)?,
                    matrix: r.get(1)?,
                    started_at: r.get(2)?,
                    recorded_at: r.get(3)?,
                    source_version: r.get(4)?,
                    source_key: r.get(5)?,
                    cells: r.get::<_, i64>(6)? as usize,
                    failed: r.get::<_, i64>(7)? as usize,
                    warnings: r.get::<_, i64>(8)? as usize,
                })
            })
            .map_err(e)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(e)
    }

    /// One run's listing line.
    pub fn info(&self, run_id: i64) -> Result<Option<RunInfo>> {
        let matrix: Option<String> = self
            .conn
            .query_row("SELECT matrix FROM runs WHERE id = ?1", [run_id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|x| err(&self.path, x))?;
        let Some(m) = matrix else { return Ok(None) };
        Ok(self.runs(Some(&m))?.into_iter().find(|r| r.id == run_id))
    }

    /// The latest run (of `matrix`, or of any matrix).
    pub fn latest(&self, matrix: Option<&str>) -> Result<Option<i64>> {
        self.conn
            .query_row(
                "SELECT MAX(id) FROM runs WHERE ?1 IS NULL OR matrix = ?1",
                params![matrix],
                |r| r.get(0),
            )
            .map_err(|x| err(&self.path, x))
    }

    /// The run of `matrix` recorded just before `before_run_id`.
    pub fn previous(&self, matrix: &str, before_run_id: i64) -> Result<Option<i64>> {
        self.conn
            .query_row(
                "SELECT MAX(id) FROM runs WHERE matrix = ?1 AND id < ?2",
                params![matrix, before_run_id],
                |r| r.get(0),
            )
            .map_err(|x| err(&self.path, x))
    }

    /// Read a run back, exactly as recorded.
    pub fn load(&self, run_id: i64) -> Result<RecordedRun> {
        let e = |x| err(&self.path, x);
        let summary = self
            .conn
            .query_row(
                "SELECT matrix, matrix_origin, kcross_version, started_at, wall_s, jobs, out_dir,
                        source_kind, source_origin, source_root, source_key, source_version
                 FROM runs WHERE id = ?1",
                [run_id],
                |r| {
                    Ok(RunSummary {
                        matrix: r.get(0)?,
                        matrix_origin: r.get(1)?,
                        kcross_version: r.get(2)?,
                        started_at: r.get(3)?,
                        wall_s: r.get(4)?,
                        jobs: r.get::<_, i64>(5)? as usize,
                        out_dir: PathBuf::from(r.get::<_, String>(6)?),
                        source: SourceTree {
                            kind: enum_parse(&r.get::<_, String>(7)?)?,
                            origin: r.get(8)?,
                            root: PathBuf::from(r.get::<_, String>(9)?),
                            key: r.get(10)?,
                            version: r.get(11)?,
                        },
                        cells: Vec::new(),
                    })
                },
            )
            .optional()
            .map_err(e)?;
        let Some(mut summary) = summary else {
            return Err(Error::History(format!(
                "{}: no run {run_id}",
                self.path.display()
            )));
        };
        let mut log_tails = std::collections::BTreeMap::new();
        {
            let mut st = self
                .conn
                .prepare(
                    "SELECT cell, arch, toolchain, config, targets_json, verdict, failed_stage, reason, configure_s,
                            build_s, total_s, config_reused, errors, warnings, dir, build_dir, image, log_tail
                     FROM cells WHERE run_id = ?1 ORDER BY seq",
                )
                .map_err(e)?;
            let rows = st
                .query_map([run_id], |r| {
                    let failed_stage: Option<String> = r.get(6)?;
                    let image: Option<String> = r.get(16)?;
                    let cell = CellResult {
                        cell: r.get(0)?,
                        arch: r.get(1)?,
                        toolchain: r.get(2)?,
                        config: r.get(3)?,
                        targets: json_parse(&r.get::<_, String>(4)?)?,
                        verdict: enum_parse(&r.get::<_, String>(5)?)?,
                        failed_stage: failed_stage.as_deref().map(enum_parse).transpose()?,
                        reason: r.get(7)?,
                        timings: Timings {
                            configure_s: r.get(8)?,
                            build_s: r.get(9)?,
                            total_s: r.get(10)?,
                        },
                        config_reused: r.get(11)?,
                        errors: r.get::<_, i64>(12)? as usize,
                        warnings: r.get::<_, i64>(13)? as usize,
                        diagnostics: Vec::new(),
                        dir: PathBuf::from(r.get::<_, String>(14)?),
                        build_dir: PathBuf::from(r.get::<_, String>(15)?),
                        image: image.map(PathBuf::from),
                    };
                    Ok((cell, r.get::<_, String>(17)?))
                })
                .map_err(e)?;
            for row in rows {
                let (cell, tail) = row.map_err(e)?;
                log_tails.insert(cell.cell.clone(), tail);
                summary.cells.push(cell);
            }
        }
        {
            let mut st = self
                .conn
                .prepare(
                    "SELECT cell_seq, code, severity, tool, file, line, col, flag, message, function, source_line,
                            notes_json, cell, fingerprint
                     FROM diagnostics WHERE run_id = ?1 ORDER BY cell_seq, seq",
                )
                .map_err(e)?;
            let rows = st
                .query_map([run_id], |r| {
                    Ok((
                        r.get::<_, i64>(0)? as usize,
                        Diagnostic {
                            code: r.get(1)?,
                            severity: enum_parse(&r.get::<_, String>(2)?)?,
                            tool: enum_parse(&r.get::<_, String>(3)?)?,
                            file: r.get(4)?,
                            line: r.get(5)?,
                            column: r.get(6)?,
                            flag: r.get(7)?,
                            message: r.get(8)?,
                            function: r.get(9)?,
                            source_line: r.get(10)?,
                            notes: json_parse(&r.get::<_, String>(11)?)?,
                            cell: r.get(12)?,
                            fingerprint: r.get(13)?,
                        },
                    ))
                })
                .map_err(e)?;
            for row in rows {
                let (seq, d) = row.map_err(e)?;
                match summary.cells.get_mut(seq) {
                    Some(c) => c.diagnostics.push(d),
                    None => {
                        return Err(Error::History(format!(
                        "{}: run {run_id} has a diagnostic for cell #{seq}, which it does not have",
                        self.path.display()
                    )))
                    }
                }
            }
        }
        let check = self.rows(
            "SELECT cell, helper, verdict, evidence, outcome FROM checks WHERE run_id = ?1 ORDER BY seq",
            run_id,
            |r| {
                Ok(HelperVerdictRow {
                    cell: r.get(0)?,
                    helper: r.get(1)?,
                    verdict: r.get(2)?,
                    evidence: r.get(3)?,
                    outcome: outcome_parse(&r.get::<_, String>(4)?)?,
                })
            },
        )?;
        let runtime = self.rows(
            "SELECT cell, test, verdict, detail, duration_s, outcome FROM runtime WHERE run_id = ?1 ORDER BY seq",
            run_id,
            |r| {
                Ok(RuntimeRow {
                    cell: r.get(0)?,
                    test: r.get(1)?,
                    verdict: r.get(2)?,
                    detail: r.get(3)?,
                    duration_s: r.get(4)?,
                    outcome: outcome_parse(&r.get::<_, String>(5)?)?,
                })
            },
        )?;
        let patches = self.rows(
            "SELECT patch_id, subject FROM patches WHERE run_id = ?1 ORDER BY seq",
            run_id,
            |r| {
                Ok(PatchRow {
                    id: r.get(0)?,
                    subject: r.get(1)?,
                })
            },
        )?;
        Ok(RecordedRun {
            summary,
            check,
            runtime,
            patches,
            log_tails,
        })
    }

    fn rows<T>(
        &self,
        sql: &str,
        run_id: i64,
        f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let e = |x| err(&self.path, x);
        let mut st = self.conn.prepare(sql).map_err(e)?;
        let rows = st.query_map([run_id], f).map_err(e)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(e)
    }

    /// The last `n` runs of `matrix` up to and including `upto_run_id`, oldest first, with
    /// each cell's verdict, warnings and build time.
    pub fn trend(&self, matrix: &str, upto_run_id: i64, n: usize) -> Result<Vec<TrendPoint>> {
        let e = |x| err(&self.path, x);
        let mut st = self
            .conn
            .prepare("SELECT id, started_at FROM runs WHERE matrix = ?1 AND id <= ?2 ORDER BY id DESC LIMIT ?3")
            .map_err(e)?;
        let mut points = st
            .query_map(params![matrix, upto_run_id, n as i64], |r| {
                Ok(TrendPoint {
                    run_id: r.get(0)?,
                    started_at: r.get(1)?,
                    cells: Vec::new(),
                })
            })
            .map_err(e)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(e)?;
        points.reverse();
        let mut st = self
            .conn
            .prepare("SELECT cell, verdict, errors, warnings, build_s FROM cells WHERE run_id = ?1 ORDER BY seq")
            .map_err(e)?;
        for p in &mut points {
            p.cells = st
                .query_map([p.run_id], |r| {
                    Ok(TrendCell {
                        cell: r.get(0)?,
                        verdict: enum_parse::<Verdict>(&r.get::<_, String>(1)?)?,
                        errors: r.get::<_, i64>(2)? as usize,
                        warnings: r.get::<_, i64>(3)? as usize,
                        build_s: r.get(4)?,
                    })
                })
                .map_err(e)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(e)?;
        }
        Ok(points)
    }

    /// Everything a report of `run_id` needs: the run, its comparison with the previous run of
    /// the same matrix, and the trend over the last `trend_runs` runs.
    pub fn report(
        &self,
        run_id: i64,
        slower_pct: f64,
        trend_runs: usize,
    ) -> Result<super::RunReport> {
        let run = self.load(run_id)?;
        let prev = match self.previous(run.matrix(), run_id)? {
            Some(p) => Some((
                self.info(p)?.ok_or_else(|| {
                    Error::History(format!("{}: run {p} vanished", self.path.display()))
                })?,
                self.load(p)?,
            )),
            None => None,
        };
        let trend = self.trend(run.matrix(), run_id, trend_runs.max(1))?;
        Ok(super::RunReport::new(
            run_id,
            run,
            prev.as_ref().map(|(i, r)| (i.clone(), r)),
            trend,
            slower_pct,
        ))
    }

    /// `PRAGMA integrity_check`: `ok` when the file is sound.
    pub fn integrity_check(&self) -> Result<String> {
        self.conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|x| err(&self.path, x))
    }
}

fn err(path: &Path, e: rusqlite::Error) -> Error {
    Error::History(format!("{}: {e}", path.display()))
}
