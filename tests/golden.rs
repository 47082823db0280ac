//! Golden files: `status --format json` and `analyze --format json` of every
//! fixture, byte for byte.
//!
//! The status JSON is a contract other tools parse (design notes, "status --format
//! json"). Refactors of the status and finding types (enums instead of strings, data
//! instead of sentences) and of discovery and resolution must leave both outputs
//! unchanged; this test proves they do. The text is made exactly as the example CLI
//! makes it: `serde_json::to_string_pretty` and a newline.
//!
//! A change of the output that is meant (a fixed rule, a new fixture) is recorded by
//! running `MESHREV_BLESS=1 cargo test --test golden` and committing the diff of
//! `tests/golden/`; the diff is then what a reviewer reads.

use std::fs;
use std::path::{Path, PathBuf};

use meshrev::{Mesh, Snapshot, Status};

mod common;

/// Every snapshot under `fixtures/<family>/` (not the `.expected.yaml` files).
fn snapshots() -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    let mut families: Vec<_> = fs::read_dir(common::fixtures_dir())
        .expect("fixtures/ is readable")
        .map(|e| e.expect("fixtures/ entry").path())
        .filter(|p| p.is_dir())
        .collect();
    families.sort();
    for family in families {
        let mut files: Vec<_> = fs::read_dir(&family)
            .expect("fixture family is readable")
            .map(|e| e.expect("fixture entry").path())
            .filter(|p| p.is_file() && is_snapshot(p))
            .collect();
        files.sort();
        for file in files {
            let name = format!(
                "{}/{}",
                family.file_name().expect("family name").to_string_lossy(),
                file.file_name().expect("file name").to_string_lossy()
            );
            found.push((name, file));
        }
    }
    found
}

fn is_snapshot(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let name = name.as_deref().unwrap_or("");
    (name.ends_with(".yaml") || name.ends_with(".json")) && !name.ends_with(".expected.yaml")
}

/// What `meshrev status --format json FILE` and `meshrev analyze --format json
/// FILE` print, with the suffix of their golden files.
fn outputs(path: &Path) -> [(&'static str, String); 2] {
    let snapshot =
        Snapshot::from_path(path).unwrap_or_else(|e| panic!("{} parses: {e}", path.display()));
    let mesh = Mesh::new(snapshot);
    let pretty = |value: serde_json::Result<String>| {
        let mut text = value.expect("serializes");
        text.push('\n');
        text
    };
    [
        (
            "status.json",
            pretty(serde_json::to_string_pretty(&Status::of(&mesh))),
        ),
        (
            "analyze.json",
            pretty(serde_json::to_string_pretty(&meshrev::analyze(&mesh))),
        ),
    ]
}

fn golden_path(name: &str, suffix: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.{suffix}"))
}

#[test]
fn status_and_analyze_json_of_every_fixture_match_their_golden_files() {
    let bless = std::env::var_os("MESHREV_BLESS").is_some();
    let fixtures = snapshots();
    assert!(
        fixtures
            .iter()
            .any(|(n, _)| n.starts_with("ossm-2.6-to-3.0/")),
        "the story's stages are among the fixtures"
    );
    let mut failures = Vec::new();
    for (name, path) in &fixtures {
        for (suffix, actual) in outputs(path) {
            let golden = golden_path(name, suffix);
            if bless {
                fs::create_dir_all(golden.parent().expect("golden dir")).expect("mkdir golden");
                fs::write(&golden, &actual).expect("write golden file");
                continue;
            }
            match fs::read_to_string(&golden) {
                Ok(expected) if expected == actual => {}
                Ok(expected) => {
                    let line = expected
                        .lines()
                        .zip(actual.lines())
                        .position(|(e, a)| e != a)
                        .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
                    failures.push(format!(
                        "{name}: differs from {} at line {}:\n  golden: {}\n  now:    {}",
                        golden.display(),
                        line + 1,
                        expected.lines().nth(line).unwrap_or("<end>"),
                        actual.lines().nth(line).unwrap_or("<end>"),
                    ));
                }
                Err(_) => failures.push(format!("{name}: no golden file {}", golden.display())),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} outputs of {} fixtures differ from their golden JSON \
         (if the change is meant: MESHREV_BLESS=1 cargo test --test golden, \
         then review and commit the diff of tests/golden/):\n{}",
        failures.len(),
        fixtures.len(),
        failures.join("\n")
    );
}

/// No golden file is left over from a fixture that was renamed or removed.
#[test]
fn every_golden_file_has_its_fixture() {
    let names: Vec<String> = snapshots().into_iter().map(|(n, _)| n).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut orphans = Vec::new();
    for family in fs::read_dir(&root).expect("tests/golden/ exists") {
        let family = family.expect("golden entry").path();
        if !family.is_dir() {
            continue;
        }
        for file in fs::read_dir(&family).expect("golden family") {
            let file = file.expect("golden file").path();
            let name = format!(
                "{}/{}",
                family.file_name().expect("name").to_string_lossy(),
                file.file_name().expect("name").to_string_lossy()
            );
            let fixture = name
                .strip_suffix(".status.json")
                .or_else(|| name.strip_suffix(".analyze.json"));
            match fixture {
                Some(fixture) if names.iter().any(|n| n == fixture) => {}
                _ => orphans.push(name),
            }
        }
    }
    assert!(
        orphans.is_empty(),
        "golden files without a fixture: {orphans:?}"
    );
}
