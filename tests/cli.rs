//! The command-line example driven as a process, the way scripts run it: exit
//! codes, standard input, several files and directories, a closed pipe.
//! Snapshots come from `tests/data/kubectl/` (made by kubectl, see `make.sh`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The built `meshrev` example (built once per test run).
fn meshrev() -> Command {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    let bin = BIN.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", "meshrev"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the meshrev example failed");
        // tests/.. -> target/debug/deps/cli-*; the example is in target/debug/examples.
        let exe = std::env::current_exe().expect("test binary path");
        let dir = exe.parent().and_then(Path::parent).expect("target dir");
        dir.join("examples").join("meshrev")
    });
    let mut c = Command::new(bin);
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn data(name: &str) -> String {
    format!("tests/data/kubectl/{name}")
}

fn run(args: &[&str]) -> Output {
    meshrev().args(args).output().expect("meshrev runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = meshrev()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("meshrev runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("meshrev ends")
}

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn copy(name: &str, to: &Path) {
    std::fs::copy(data(name), to).expect("copy test data");
}

// ------------------------------------------------------------- exit codes

#[test]
fn version_names_the_crate_version() {
    let out = run(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout).trim(),
        format!("meshrev {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_documents_every_exit_code() {
    let out = run(&["--help"]);
    let help = text(&out.stdout);
    for line in [
        "  0  success",
        "  1  `analyze --fail-on`",
        "  2  the answer could not",
    ] {
        assert!(help.contains(line), "{line:?} missing from:\n{help}");
    }
}

#[test]
fn analyze_fail_on_exits_1_only_at_or_above_the_severity() {
    // dangling-rev: error findings (MR0002, namespaces pointing at no revision).
    let f = "fixtures/edge-cases/dangling-rev.yaml";
    assert_eq!(run(&["analyze", f]).status.code(), Some(0));
    assert_eq!(
        run(&["analyze", "--fail-on", "error", f]).status.code(),
        Some(1)
    );
    assert_eq!(
        run(&["analyze", "--fail-on", "warning", f]).status.code(),
        Some(1)
    );
    // The first stage of the story has no finding at all.
    let clean = "fixtures/ossm-2.6-to-3.0/01-before.yaml";
    assert_eq!(
        run(&["analyze", "--fail-on", "warning", clean])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn analyze_fail_on_error_passes_warnings() {
    // 02: mercury relabelled, not restarted: warnings (needs restart), no error.
    let f = "fixtures/ossm-2.6-to-3.0/02-mercury-relabelled.yaml";
    let json = run(&["analyze", "--format", "json", f]);
    let findings: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let severities: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert!(severities.contains(&"warning") && !severities.contains(&"error"));
    assert_eq!(
        run(&["analyze", "--fail-on", "error", f]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(&["analyze", "--fail-on", "warning", f]).status.code(),
        Some(1)
    );
}

#[test]
fn unreadable_input_and_usage_errors_exit_2_with_one_line() {
    let missing = run(&["status", "no/such/file.yaml"]);
    assert_eq!(missing.status.code(), Some(2));
    let err = text(&missing.stderr);
    assert!(
        err.starts_with("error: no/such/file.yaml: cannot read"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let no_input = run(&["status"]);
    assert_eq!(no_input.status.code(), Some(2));
    assert!(text(&no_input.stderr).contains("no snapshot given"));

    assert_eq!(
        run(&["status", "--no-such-flag", "x"]).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&["analyze", "--fail-on", "info", "x"]).status.code(),
        Some(2)
    );
}

// ------------------------------------------------------------ closed pipe

#[test]
fn a_closed_pipe_ends_quietly_with_exit_0() {
    // The snapshot comes on stdin, so the reader of stdout is gone for sure
    // before meshrev writes: `meshrev status - | head -0`, deterministically.
    let mut child = meshrev()
        .args(["status", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("meshrev runs");
    drop(child.stdout.take());
    let snapshot = std::fs::read("fixtures/ossm-2.6-to-3.0/02-mercury-relabelled.yaml").unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&snapshot).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err, "");
    assert_eq!(out.status.code(), Some(0));
}

// ------------------------------------------------ stdin, files, directories

#[test]
fn stdin_is_read_for_a_dash_yaml_or_json() {
    let json = std::fs::read(data("shop-deployment.json")).unwrap();
    let out = run_stdin(&["inspect", "-"], &json);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Deployment                     1"));
    // stdin with files, in one snapshot.
    let out = run_stdin(&["inspect", &data("shop-namespace.yaml"), "-"], &json);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Deployment                     1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Namespace                      1"),
        "{stdout}"
    );
    assert!(!stdout.contains("not in the snapshot"), "{stdout}");
}

#[test]
fn stdin_twice_is_a_usage_error() {
    let out = run_stdin(&["inspect", "-", "-"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("`-` (standard input) given twice"));
}

#[test]
fn a_directory_tree_is_read_and_other_files_are_counted() {
    // The shape of an `oc adm must-gather` tree: lists, single objects in folders
    // of their own (the same pod twice), and files that are not snapshots.
    let dir = scratch("must-gather");
    let ns = dir.join("namespaces/shop");
    std::fs::create_dir_all(ns.join("core")).unwrap();
    std::fs::create_dir_all(ns.join("pods/web-7d4b9-a")).unwrap();
    std::fs::create_dir_all(ns.join("apps")).unwrap();
    copy("shop-namespace.yaml", &ns.join("shop.yaml"));
    copy("shop-pods-list.yaml", &ns.join("core/pods.yaml"));
    copy(
        "shop-pod-a.yaml",
        &ns.join("pods/web-7d4b9-a/web-7d4b9-a.yaml"),
    );
    copy("shop-deployment.json", &ns.join("apps/deployments.json"));
    std::fs::write(ns.join("pods/web-7d4b9-a/app.log"), "log line\n").unwrap();
    std::fs::write(dir.join("timestamp"), "2026-12-02\n").unwrap();
    std::fs::write(dir.join("event-filter.html"), "<html/>").unwrap();

    let out = run(&["inspect", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Pod                            2"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Deployment                     1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Namespace                      1"),
        "{stdout}"
    );
    assert_eq!(
        text(&out.stderr),
        "meshrev: read 4 files; passed over 3 other files (not *.yaml, *.yml or *.json)\n"
    );
}

#[test]
fn two_versions_of_one_object_fail_naming_both_places_unless_newest() {
    let list = data("shop-pods-list.yaml");
    let newer = data("shop-pod-a-newer.yaml");
    let out = run(&["inspect", &list, &newer]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "Pod shop/web-7d4b9-a appears twice: at {list}: document 1, item 1 and at \
             {newer}: document 1 (resourceVersion 300 and 305"
        )),
        "{err}"
    );
    // Either order: the newer resourceVersion wins.
    for args in [[&list, &newer], [&newer, &list]] {
        let out = run(&["status", "--format", "json", "--newest", args[0], args[1]]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
}

#[test]
fn gzip_input_is_read_and_utf16_is_named() {
    use flate2::{Compression, write::GzEncoder};
    let dir = scratch("encodings");
    let plain = std::fs::read(data("shop-namespace.yaml")).unwrap();
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    std::fs::write(dir.join("ns.yaml.gz"), &gz).unwrap();
    let out = run(&["inspect", dir.join("ns.yaml.gz").to_str().unwrap()]);
    assert!(text(&out.stdout).contains("Namespace                      1"));
    // gzip on standard input too (`kubectl get ... | gzip | meshrev status -`).
    let out = run_stdin(&["inspect", "-"], &gz);
    assert!(text(&out.stdout).contains("Namespace                      1"));

    // What PowerShell's `kubectl get ns -o yaml > ns.yaml` writes.
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(
            String::from_utf8(plain)
                .unwrap()
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    let out = run_stdin(&["inspect", "-"], &utf16);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: <stdin>: UTF-16 (little-endian) text") && err.contains("iconv"),
        "{err}"
    );
}

#[test]
fn an_empty_snapshot_fails_a_pipeline_that_asks_for_errors() {
    // `kubectl get ... -o yaml > f` from a command that failed leaves an empty file.
    let out = run_stdin(&["analyze", "--fail-on", "error", "-"], b"");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("error[MR0027 empty-snapshot]"), "{stdout}");
    assert!(
        stdout.ends_with("1 finding: 1 error, 0 warnings, 0 info\n"),
        "{stdout}"
    );
}

#[test]
fn a_pod_whose_statefulset_was_not_collected_gets_the_statefulset_restart() {
    let story = "fixtures/ossm-2.6-to-3.0/01-before.yaml";
    let out = run(&[
        "status",
        story,
        &data("ledger-namespace.yaml"),
        &data("ledger-redis-pod.yaml"),
    ]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("ledger/StatefulSet redis (not in snapshot)  basic    ossm3"),
        "{stdout}"
    );
    let out = run(&[
        "analyze",
        "--fail-on",
        "warning",
        story,
        &data("ledger-namespace.yaml"),
        &data("ledger-redis-pod.yaml"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("warning[MR0025 workload-missing] StatefulSet ledger/redis"));
    assert!(!stdout.contains("Pod ledger/redis-0"), "{stdout}");
}

// ------------------------------------------------ filters, explain, JSON

const STORY_02: &str = "fixtures/ossm-2.6-to-3.0/02-mercury-relabelled.yaml";

#[test]
fn namespace_filters_narrow_status_analyze_and_graph() {
    let out = run(&[
        "status", "--format", "json", "-n", "mercury", "-n", "venus", STORY_02,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = status["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["mercury", "venus"]);
    assert!(
        status["pods"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["namespace"] == "mercury" || p["namespace"] == "venus")
    );

    // A label selector over namespaces: the one relabelled to ossm3.
    let out = run(&[
        "status",
        "--format",
        "json",
        "-l",
        "istio.io/rev in (ossm3)",
        STORY_02,
    ]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = status["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["mercury"]);
    // Progress counts the selected namespaces' pods only: all still on basic.
    let basic = status["progress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["revision"] == "basic")
        .unwrap();
    assert_eq!(basic["share"], 1.0);

    let out = run(&["analyze", "--format", "json", "-n", "venus", STORY_02]);
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(findings.as_array().unwrap().len(), 0, "{findings}");
    assert!(
        text(&out.stderr).contains("about other namespaces or cluster-scoped objects not shown")
    );

    let out = run(&["graph", "--format", "mermaid", "-n", "mercury", STORY_02]);
    let graph = text(&out.stdout);
    assert!(graph.contains("namespace_3Amercury") && !graph.contains("namespace_3Avenus"));

    let out = run(&["status", "-n", "nowhere", STORY_02]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("namespace nowhere is not in the snapshot"));
    let out = run(&["status", "-l", "a in b", STORY_02]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn explain_picks_among_same_named_workloads_by_kind() {
    let dir = scratch("same-names");
    let sts = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web, namespace: shop}\n\
               spec:\n  template:\n    metadata: {labels: {app: web-db}}\n";
    std::fs::write(dir.join("sts.yaml"), sts).unwrap();
    let files = [
        data("shop-namespace.yaml"),
        data("shop-deployment.yaml"),
        dir.join("sts.yaml").display().to_string(),
    ];
    let with = |target: &str, extra: &[&str]| {
        let mut args = vec!["explain", target];
        args.extend_from_slice(extra);
        args.extend(files.iter().map(String::as_str));
        run(&args)
    };
    let out = with("shop/web", &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "shop/web names 2 objects: pick one with shop/Deployment/web or shop/StatefulSet/web"
        ),
        "{err}"
    );
    for (target, extra, heading) in [
        ("shop/Deployment/web", &[][..], "Deployment shop/web"),
        ("shop/sts/web", &[], "StatefulSet shop/web"),
        ("statefulsets/web", &["-n", "shop"], "StatefulSet shop/web"),
    ] {
        let out = with(target, extra);
        assert!(out.status.success(), "{target}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains(heading), "{target}");
    }
    let out = with("shop/Gizmo/web", &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown kind \"Gizmo\""));
}

#[test]
fn explain_and_inspect_speak_json() {
    let out = run(&["explain", "--format", "json", "mercury/web", STORY_02]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["namespace"]["injector"], "ossm3");
    assert_eq!(doc["namespace"]["in_snapshot"], true);
    assert_eq!(doc["workload"]["kind"], "Deployment");
    assert_eq!(doc["workload"]["injector"], "ossm3");
    assert_eq!(doc["workload"]["status"]["needs_restart"], true);
    assert_eq!(doc["workload"]["status"]["running"][0], "basic");

    let out = run(&["inspect", "--format", "json", STORY_02]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["objects"]["ServiceMeshControlPlane"], 1);
    assert!(
        doc["control_planes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "Istio" && c["name"] == "ossm3")
    );
}

#[test]
fn explain_of_a_namespace_not_in_the_snapshot_says_so() {
    let out = run(&["explain", "mercuri", STORY_02]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("namespace mercuri is not in the snapshot"));
    // A pods-only namespace is explained, with the gap named first.
    let out = run(&["explain", "shop/web-7d4b9-a", &data("shop-pods-list.yaml")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("namespace shop is not in the snapshot"));
}

// ------------------------------------------------------------- --after-plan

/// Issue 11 item 8: `status` and `graph` show the mesh a saved plan leaves. For
/// the story it is the mesh of `04-all-migrated.yaml` after the SMCP delete:
/// every planet on ossm3, basic gone.
#[test]
fn status_and_graph_after_a_saved_plan_show_the_mesh_it_leaves() {
    let dir = scratch("after-plan");
    let plan = dir.join("plan.json");
    let before = "fixtures/ossm-2.6-to-3.0/01-before.yaml";
    let out = run(&["plan", "--to", "ossm3", "--format", "json", before]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(&plan, &out.stdout).expect("write plan");
    let plan = plan.to_str().expect("utf-8 path");

    let out = run(&["status", "--format", "json", "--after-plan", plan, before]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status JSON");
    let revisions: Vec<&str> = status["revisions"]
        .as_array()
        .expect("revisions")
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    assert_eq!(revisions, ["ossm3"], "basic is deleted by the plan");
    for ns in ["earth", "jupiter", "mars", "mercury", "venus"] {
        let entry = status["namespaces"]
            .as_array()
            .expect("namespaces")
            .iter()
            .find(|n| n["name"] == ns)
            .unwrap_or_else(|| panic!("{ns} in {status}"));
        assert_eq!(entry["injector"], "ossm3", "{entry}");
        for w in entry["workloads"].as_array().expect("workloads") {
            assert_eq!(w["needs_restart"], false, "{w}");
            assert_eq!(w["running"], serde_json::json!(["ossm3"]), "{w}");
        }
    }

    let out = run(&["graph", "--format", "json", "--after-plan", plan, before]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let graph = text(&out.stdout);
    let before_graph = text(&run(&["graph", "--format", "json", before]).stdout);
    assert!(before_graph.contains("basic"), "{before_graph}");
    assert!(graph.contains("ossm3"), "{graph}");
    assert!(
        !graph.contains("basic"),
        "basic is deleted by the plan: {graph}"
    );

    // A plan for another snapshot is refused at the step that does not fit.
    let out = run(&[
        "status",
        "--after-plan",
        plan,
        "fixtures/upstream-canary/01-before-tag-move.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains("does not apply to this snapshot") && err.contains("step 1"),
        "{err}"
    );
}

/// After an InPlace `spec.version` change the revision is the same on both
/// sides, so the table says which proxy is behind; `explain` names both versions
/// and `analyze --explain` teaches MR0030.
#[test]
fn outdated_proxies_are_named_in_status_explain_and_analyze() {
    let patched = "fixtures/sail-in-place/02-version-patched.yaml";
    let out = run(&["status", patched]);
    assert!(out.status.success());
    let shown = text(&out.stdout);
    assert!(shown.contains("default (proxy 1.24.3 < 1.25.1)"), "{shown}");
    let out = run(&["explain", "shop/cart", patched]);
    let shown = text(&out.stdout);
    assert!(
        shown.contains("with proxy 1.24.3, but the revision is now at 1.25.1"),
        "{shown}"
    );
    let out = run(&["analyze", "fixtures/sail-in-place/03-second-step.yaml"]);
    let shown = text(&out.stdout);
    assert!(shown.contains("MR0030 proxy-version-skew"), "{shown}");
    let out = run(&["analyze", "--explain", "MR0030"]);
    let shown = text(&out.stdout);
    assert!(shown.contains("update-strategy.adoc"), "{shown}");
}
