//! Harness pieces shared by the integration tests: where the fixtures are, and
//! the driver of the upstream tables in `tests/upstream/` (load a table, check its
//! keys, run every case collecting failures and skip reasons, assert the counts).
//!
//! Every file under `tests/` is its own crate and includes this module with
//! `mod common;`, but each uses only some of it; `dead_code` is allowed so that
//! what one crate leaves unused raises no warning there.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use meshrev::labels::Labels;
use serde::Deserialize;
use serde::de::DeserializeOwned;

// ------------------------------------------------------------------ fixtures

/// `fixtures/` at the root of the crate.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A path under `fixtures/`, e.g. `fixture("upstream-canary/03-restarted.yaml")`.
pub fn fixture(relative: &str) -> PathBuf {
    fixtures_dir().join(relative)
}

// ------------------------------------------------------------ upstream tables

/// `(case key, what is wrong)`: cases that fail because of a meshrev gap outside
/// the files a harness may fix. The harness asserts they still fail, so the list
/// stays honest.
pub type KnownGaps = &'static [(&'static str, &'static str)];

/// The rows of `tests/upstream/<file>`, read at compile time;
/// `upstream_table!(file, entries)` also asserts how many rows there are.
/// (`dead_code` does not cover macros and their re-export: the crates that load no
/// upstream table allow them unused here.)
#[allow(unused_macros)]
macro_rules! upstream_table {
    ($file:literal) => {
        $crate::common::parse_table($file, include_str!(concat!("upstream/", $file)))
    };
    ($file:literal, $entries:expr) => {
        $crate::common::expect_entries(
            $file,
            $crate::common::parse_table($file, include_str!(concat!("upstream/", $file))),
            $entries,
        )
    };
}
#[allow(unused_imports)]
pub(crate) use upstream_table;

/// Parses the text of `tests/upstream/<file>` (see [`upstream_table!`]).
#[track_caller]
pub fn parse_table<C: DeserializeOwned>(file: &str, yaml: &str) -> Vec<C> {
    match serde_yaml::from_str(yaml) {
        Ok(cases) => cases,
        Err(e) => panic!("tests/upstream/{file} parses: {e:?}"),
    }
}

/// Asserts `file` has `entries` rows, and hands them back.
#[track_caller]
pub fn expect_entries<C>(file: &str, cases: Vec<C>, entries: usize) -> Vec<C> {
    assert_eq!(cases.len(), entries, "entries in {file}");
    cases
}

/// A namespace of a table row: its name and labels.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceIn {
    pub name: String,
    pub labels: Labels,
}

/// Asserts that `keys`, one per case, has no repeats (`message` says which keys).
#[track_caller]
pub fn assert_unique<K: Ord>(mut keys: Vec<K>, message: &str) {
    let cases = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), cases, "{message}");
}

/// Asserts that every [`KnownGaps`] entry names a case, by `key`.
#[track_caller]
pub fn assert_gaps_name_cases<C>(known_gaps: KnownGaps, cases: &[C], key: impl Fn(&C) -> &str) {
    for (gap, _) in known_gaps {
        assert!(
            cases.iter().any(|c| key(c) == *gap),
            "KNOWN_GAPS names unknown case {gap:?}"
        );
    }
}

/// What running a table gave (see [`run_cases`]).
pub struct Tally<T> {
    /// Cases run, that is not skipped.
    pub run: usize,
    /// One line per skipped case.
    pub skipped: Vec<String>,
    /// One message per case that failed and is not a known gap, or is a known gap
    /// failing without the expected symptom.
    pub failures: Vec<String>,
    /// Known gaps that passed: `<key> (<what is wrong>)`.
    pub gaps_now_passing: Vec<String>,
    /// What each case that passed and is not a known gap returned, in order.
    pub passed: Vec<T>,
}

/// Runs every case that `skip` does not skip (it gives the line that reports the
/// skip), collecting every failure instead of stopping at the first. A case whose
/// `key` is in `known_gaps` must fail, and when `gap_symptom` is given its failure
/// must contain it.
pub fn run_cases<C, T>(
    cases: &[C],
    known_gaps: KnownGaps,
    gap_symptom: Option<&str>,
    key: impl Fn(&C) -> &str,
    skip: impl Fn(&C) -> Option<String>,
    run: impl Fn(&C) -> Result<T, String>,
) -> Tally<T> {
    let mut tally = Tally {
        run: 0,
        skipped: Vec::new(),
        failures: Vec::new(),
        gaps_now_passing: Vec::new(),
        passed: Vec::new(),
    };
    for case in cases {
        if let Some(line) = skip(case) {
            tally.skipped.push(line);
            continue;
        }
        tally.run += 1;
        let gap = known_gaps.iter().find(|(k, _)| *k == key(case));
        match (run(case), gap) {
            (Ok(got), None) => tally.passed.push(got),
            (Err(e), Some(_)) => match gap_symptom {
                Some(symptom) if !e.contains(symptom) => tally
                    .failures
                    .push(format!("known gap failing differently: {e}")),
                _ => {}
            },
            (Err(e), None) => tally.failures.push(e),
            (Ok(_), Some((k, why))) => tally.gaps_now_passing.push(format!("{k} ({why})")),
        }
    }
    tally
}

impl<T> Tally<T> {
    /// Prints the skipped cases, one a line, under the table's summary line.
    pub fn print_skipped(&self) {
        for s in &self.skipped {
            println!("  skipped {s}");
        }
    }

    /// Asserts that no case failed, no known gap passed, and that `expected_skipped`
    /// of the table's `entries` were skipped and the others run.
    #[track_caller]
    pub fn assert_all_pass(&self, entries: usize, expected_skipped: usize) {
        self.assert_counts("", entries, expected_skipped);
    }

    /// [`Tally::assert_all_pass`] for a test that drives more than one table: the
    /// messages name `table`.
    #[track_caller]
    pub fn assert_all_pass_of(&self, table: &str, entries: usize, expected_skipped: usize) {
        self.assert_counts(&format!(" of {table}"), entries, expected_skipped);
    }

    #[track_caller]
    fn assert_counts(&self, of_table: &str, entries: usize, expected_skipped: usize) {
        assert_failures(&self.failures, self.run, of_table);
        assert!(
            self.gaps_now_passing.is_empty(),
            "KNOWN_GAPS entries now pass, remove them: {:?}",
            self.gaps_now_passing
        );
        assert_eq!(
            self.skipped.len(),
            expected_skipped,
            "skipped cases{of_table}"
        );
        assert_eq!(self.run, entries - expected_skipped, "cases run{of_table}");
    }
}

/// Asserts that none of `total` cases failed, listing every failure, one a line.
#[track_caller]
pub fn assert_no_failures(failures: &[String], total: usize) {
    assert_failures(failures, total, "");
}

#[track_caller]
fn assert_failures(failures: &[String], total: usize, of_table: &str) {
    assert!(
        failures.is_empty(),
        "{} of {total} cases{of_table} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
