//! The SQLite history file: one file, WAL journal, the schema of `schema.rs` migrated
//! forward in transactions. Every run is written in ONE transaction: a process killed
//! half-way through `record` leaves only the runs that were committed before. Reading is in
//! `query.rs`.

use super::schema::{MIGRATIONS, SCHEMA_VERSION};
use super::RecordedRun;
use crate::error::{Error, Result};
use rusqlite::{params, Connection, TransactionBehavior};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

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
    pub(super) conn: Connection,
    pub(super) path: PathBuf,
}

pub(super) fn enum_str<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => panic!("not a unit enum: {other:?}"),
    }
}

pub(super) fn enum_parse<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub(super) fn outcome_parse(s: &str) -> rusqlite::Result<crate::outcome::Outcome> {
    crate::outcome::Outcome::from_name(s).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("`{s}` is not an outcome").into(),
        )
    })
}

pub(super) fn json_parse<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub(super) fn path_str(p: &Path) -> String {
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
        tx.execute(
            "UPDATE runs SET known_json = ?1 WHERE id = ?2",
            params![serde_json::to_string(&s.known).expect("serialisable"), id],
        )
        .map_err(e)?;
        {
            let mut cell_st = tx
                .prepare(
                    "INSERT INTO cells (run_id, seq, cell, arch, toolchain, config, targets_json, verdict, failed_stage,
                        reason, configure_s, build_s, total_s, config_reused, errors, warnings, dir, build_dir, image, log_tail,
                        incremental)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
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
                        c.incremental,
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
                .prepare("INSERT INTO runtime (run_id, seq, cell, test, verdict, detail, duration_s, outcome, findings_json, workarounds_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
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
                    r.outcome.as_str(),
                    serde_json::to_string(&r.findings).expect("strings serialise"),
                    serde_json::to_string(&r.workarounds).expect("strings serialise")
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
}

pub(super) fn err(path: &Path, e: rusqlite::Error) -> Error {
    Error::History(format!("{}: {e}", path.display()))
}
