//! Bisections in the history: one row per `kcross bisect` run (what was chased, between
//! which commits, the culprit and whether it was verified), with the whole result as JSON.
//! The table is created when first needed; runs of the other stages are untouched by it.

use super::store::{enum_str, path_str, History};
use crate::bisect::{BisectResult, CommitInfo, Status};
use crate::error::{Error, Result};
use crate::outcome::HasOutcome;
use rusqlite::params;
use serde::{Deserialize, Serialize};

/// A recorded bisection.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BisectRow {
    pub id: i64,
    pub recorded_at: String,
    pub repo: String,
    pub cell: String,
    pub chase: String,
    pub good: String,
    pub bad: String,
    pub status: String,
    pub culprit: Option<String>,
    pub verified: bool,
    pub outcome: String,
}

/// What a nightly's bisection of one regression found, shown beside the regression.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Culprit {
    /// `found`, `ambiguous`, `incomplete` (a bisection ran), or `not-bisected`.
    pub status: String,
    /// The first bad commit (status `found`).
    pub commit: Option<CommitInfo>,
    /// Re-checked from clean build dirs (and, for a runtime test, by a revert).
    pub verified: bool,
    /// The line to paste (`first bad commit: <sha> <subject> (...)`), or why there is none.
    pub line: String,
    /// The bisection's row in the history.
    pub bisect_id: Option<i64>,
    /// The bisection's results directory.
    pub run_dir: Option<std::path::PathBuf>,
}

impl Culprit {
    /// A finished bisection, recorded as `bisect_id`.
    pub fn of(r: &BisectResult, line: String, bisect_id: i64) -> Culprit {
        Culprit {
            status: enum_str(&r.status),
            commit: r.culprit.clone().filter(|_| r.status == Status::Found),
            verified: r.verified(),
            line,
            bisect_id: Some(bisect_id),
            run_dir: Some(r.run_dir.clone()),
        }
    }

    /// No bisection ran, for `why`.
    pub fn not_bisected(why: impl Into<String>) -> Culprit {
        Culprit {
            status: "not-bisected".into(),
            commit: None,
            verified: false,
            line: why.into(),
            bisect_id: None,
            run_dir: None,
        }
    }
}

const TABLE: &str = "CREATE TABLE IF NOT EXISTS bisects (
    id INTEGER PRIMARY KEY,
    recorded_at TEXT NOT NULL,
    repo TEXT NOT NULL,
    cell TEXT NOT NULL,
    chase TEXT NOT NULL,
    good TEXT NOT NULL,
    bad TEXT NOT NULL,
    status TEXT NOT NULL,
    culprit TEXT,
    verified INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    result_json TEXT NOT NULL
)";

fn err(h: &History, e: impl std::fmt::Display) -> Error {
    Error::History(format!("{}: {e}", h.path().display()))
}

impl History {
    /// Record a bisection; returns its row id.
    pub fn record_bisect(&mut self, r: &BisectResult) -> Result<i64> {
        self.conn.execute(TABLE, []).map_err(|e| err(self, e))?;
        let json = serde_json::to_string(r).map_err(|e| err(self, e))?;
        let status = enum_str(&r.status);
        self.conn
            .execute(
                "INSERT INTO bisects (recorded_at, repo, cell, chase, good, bad, status, culprit,
                 verified, outcome, result_json) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
                params![
                    chrono::Local::now().to_rfc3339(),
                    path_str(&r.repo),
                    r.cell,
                    r.chase.describe(),
                    r.good.sha,
                    r.bad.sha,
                    status,
                    r.culprit.as_ref().map(|c| c.sha.clone()),
                    r.verified(),
                    r.outcome().as_str(),
                    json
                ],
            )
            .map_err(|e| err(self, e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every recorded bisection, oldest first.
    pub fn bisects(&self) -> Result<Vec<BisectRow>> {
        self.conn.execute(TABLE, []).map_err(|e| err(self, e))?;
        let mut st = self
            .conn
            .prepare(
                "SELECT id, recorded_at, repo, cell, chase, good, bad, status, culprit, verified,
                 outcome FROM bisects ORDER BY id",
            )
            .map_err(|e| err(self, e))?;
        let rows = st
            .query_map([], |r| {
                Ok(BisectRow {
                    id: r.get(0)?,
                    recorded_at: r.get(1)?,
                    repo: r.get(2)?,
                    cell: r.get(3)?,
                    chase: r.get(4)?,
                    good: r.get(5)?,
                    bad: r.get(6)?,
                    status: r.get(7)?,
                    culprit: r.get(8)?,
                    verified: r.get(9)?,
                    outcome: r.get(10)?,
                })
            })
            .map_err(|e| err(self, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| err(self, e))
    }

    /// The full result of a recorded bisection.
    pub fn bisect_result(&self, id: i64) -> Result<BisectResult> {
        self.conn.execute(TABLE, []).map_err(|e| err(self, e))?;
        let json: String = self
            .conn
            .query_row("SELECT result_json FROM bisects WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .map_err(|e| err(self, e))?;
        serde_json::from_str(&json).map_err(|e| err(self, e))
    }
}
