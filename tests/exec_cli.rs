//! `meshrev exec` and `examples/kubectl_executor.rs` driven as processes: a
//! rehearsal that fails, stops and resumes from its journal; the kubectl
//! executor against a recording stand-in `kubectl` first on PATH; and its label
//! and patch commands checked with the real kubectl client in `--local` mode.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use meshrev::exec::{self, Entry, PatchKind, Request};
use meshrev::labels::Labels;
use meshrev::plan::{self, StepAction};
use meshrev::{Edit, Mesh, Snapshot, WorkloadId};

const BEFORE: &str = "fixtures/ossm-2.6-to-3.0/01-before.yaml";

/// The built examples (built once per test run).
fn example(name: &str) -> Command {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--examples"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the examples failed");
        let exe = std::env::current_exe().expect("test binary path");
        exe.parent()
            .and_then(Path::parent)
            .expect("target dir")
            .join("examples")
    });
    let mut c = Command::new(dir.join(name));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn story_mesh() -> Mesh {
    Mesh::new(Snapshot::from_path(BEFORE).unwrap())
}

/// The story's plan, saved as `plan --format json` saves it.
fn save_plan(dir: &Path) -> PathBuf {
    let plan = plan::plan(&story_mesh(), &plan::Request::to("ossm3")).unwrap();
    let path = dir.join("plan.json");
    std::fs::write(&path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
    path
}

fn events(out: &Output) -> Vec<serde_json::Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

#[test]
fn exec_rehearses_a_plan_fails_at_a_step_and_resumes_from_its_journal() {
    let dir = scratch("exec-rehearsal");
    let plan = save_plan(&dir);
    let journal = dir.join("run.jsonl");
    let args = |fail: bool| {
        let mut a = vec![
            "exec".to_owned(),
            plan.display().to_string(),
            "--snapshot".into(),
            BEFORE.into(),
            "--simulate".into(),
            "--journal".into(),
            journal.display().to_string(),
        ];
        if fail {
            a.extend(["--fail-at".into(), "6".into()]);
        }
        a
    };
    let out = example("meshrev").args(args(true)).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("simulated refusal of step 6"), "{stderr}");
    assert!(stderr.contains("--rollback --done 5"), "{stderr}");
    // Not a terminal: one JSON event per line.
    let first = events(&out);
    assert_eq!(first[0]["event"], "wave_started");
    assert_eq!(first.last().unwrap()["event"], "stopped");

    let out = example("meshrev").args(args(false)).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let second = events(&out);
    assert_eq!(second.last().unwrap()["event"], "finished");
    // The resumed run starts at step 6: steps 1 to 5 are not started again.
    let started: Vec<u64> = second
        .iter()
        .filter(|e| e["event"] == "step_started")
        .map(|e| e["step"].as_u64().unwrap())
        .collect();
    assert_eq!(started.first(), Some(&6));
    let entries = exec::journal::parse(&std::fs::read_to_string(&journal).unwrap()).unwrap();
    assert_eq!(entries.last(), Some(&Entry::Finished));
    // Run a third time: everything is done, nothing is sent.
    let out = example("meshrev").args(args(false)).output().unwrap();
    assert!(out.status.success());
    assert!(!text(&out.stdout).contains("step_started"));
}

#[test]
fn exec_refuses_a_journal_of_another_plan_and_needs_simulate() {
    let dir = scratch("exec-other-plan");
    let plan = save_plan(&dir);
    let journal = dir.join("run.jsonl");
    std::fs::write(
        &journal,
        "{\"entry\":\"begin\",\"plan\":\"0000000000000000\",\"steps\":3}\n",
    )
    .unwrap();
    let out = example("meshrev")
        .args([
            "exec",
            plan.to_str().unwrap(),
            "--snapshot",
            BEFORE,
            "--simulate",
            "--journal",
        ])
        .arg(&journal)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not to this plan"),
        "{}",
        text(&out.stderr)
    );
    let out = example("meshrev")
        .args(["exec", plan.to_str().unwrap(), "--snapshot", BEFORE])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--simulate"));
}

/// A stand-in `kubectl` that records its arguments (one call per line, fields
/// separated by U+001F), answers `get` for the core kinds with the story's
/// snapshot and with an empty list for the rest, fails calls whose arguments
/// contain `$KUBECTL_FAIL` (a klog line, then kubectl's message, as client-go
/// prints them), and succeeds otherwise.
fn stand_in(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("kubectl");
    let cluster = Path::new(env!("CARGO_MANIFEST_DIR")).join(BEFORE);
    std::fs::write(
        &script,
        format!(
            r#"#!/usr/bin/env bash
printf '%s\x1f' "$@" >> "{log}"; printf '\n' >> "{log}"
if [[ -n "${{KUBECTL_FAIL:-}}" && " $* " == *"$KUBECTL_FAIL"* ]]; then
  echo 'E1202 04:45:51.909215    5071 memcache.go:265] "Unhandled Error" err="klog noise"' >&2
  echo 'Error from server (Forbidden): denied by the stand-in' >&2; exit 1
fi
if [[ "$1" == get && "$2" == namespaces,* ]]; then cat "{cluster}"; exit 0; fi
if [[ "$1" == get ]]; then echo '{{"apiVersion":"v1","kind":"List","items":[]}}'; exit 0; fi
echo ok
"#,
            log = dir.join("calls.log").display(),
            cluster = cluster.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

fn calls(dir: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(dir.join("calls.log"))
        .unwrap_or_default()
        .lines()
        .map(|l| {
            l.split('\u{1f}')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

fn with_path(cmd: &mut Command, bin: &Path) {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin.to_path_buf()];
    paths.extend(std::env::split_paths(&path));
    cmd.env("PATH", std::env::join_paths(paths).unwrap());
}

#[test]
fn kubectl_executor_dry_runs_the_story_with_the_seed_commands() {
    let dir = scratch("kubectl-dry-run");
    let plan = save_plan(&dir);
    let bin = stand_in(&dir);
    let journal = dir.join("run.jsonl");
    let mut cmd = example("kubectl_executor");
    cmd.arg(&plan).arg("--journal").arg(&journal);
    with_path(&mut cmd, &bin);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Each restart's restartedAt value, as journaled before it was sent.
    let entries = exec::journal::parse(&std::fs::read_to_string(&journal).unwrap()).unwrap();
    let restarted_at: BTreeMap<usize, String> = entries
        .iter()
        .filter_map(|e| match e {
            Entry::Sent {
                step,
                restarted_at: Some(at),
                ..
            } => Some((*step, at.clone())),
            _ => None,
        })
        .collect();
    // The first observation reads every owner kind the plan may act on or
    // report: OpenShift's DeploymentConfigs on their own (a cluster without the
    // API group refuses the name), Jobs, CronJobs and ReplicationControllers.
    let gets: Vec<String> = calls(&dir)
        .into_iter()
        .filter(|c| c[0] == "get")
        .map(|c| c[1].clone())
        .collect();
    assert!(
        gets.iter()
            .any(|g| g.contains("replicationcontrollers,jobs,cronjobs")),
        "{gets:?}"
    );
    assert!(
        gets.iter()
            .any(|g| g == "deploymentconfigs.apps.openshift.io"),
        "{gets:?}"
    );
    let mutating: Vec<Vec<String>> = calls(&dir).into_iter().filter(|c| c[0] != "get").collect();
    // Every change is a server-side dry run.
    for c in &mutating {
        assert_eq!(
            c.last().map(String::as_str),
            Some("--dry-run=server"),
            "{c:?}"
        );
    }
    let plan_value = plan::plan(&story_mesh(), &plan::Request::to("ossm3")).unwrap();
    let mut expected = Vec::new();
    for step in plan_value.steps() {
        match &step.action {
            StepAction::LabelNamespace { namespace, .. } => expected.push(vec![
                "label".to_owned(),
                "namespace".into(),
                namespace.clone(),
                "istio.io/rev=ossm3".into(),
                "maistra.io/ignore-namespace=true".into(),
                "istio-injection-".into(),
                "--overwrite=true".into(),
                "--dry-run=server".into(),
            ]),
            // The merge patch `kubectl rollout restart` sends, with the value
            // the run chose: RFC 3339 to the second, as kubectl writes it.
            StepAction::Restart { workload } => {
                let at = &restarted_at[&step.id];
                assert_eq!(at.len(), "2026-12-02T01:00:00Z".len(), "{at}");
                assert!(at.ends_with('Z') && at.as_bytes()[10] == b'T', "{at}");
                expected.push(vec![
                    "patch".to_owned(),
                    "deployments.apps".into(),
                    workload.name.clone(),
                    "--type".into(),
                    "merge".into(),
                    "-p".into(),
                    serde_json::json!({"spec": {"template": {"metadata": {"annotations": {
                        exec::RESTARTED_AT: at}}}}})
                    .to_string(),
                    "-n".into(),
                    workload.namespace.clone(),
                    "--dry-run=server".into(),
                ])
            }
            StepAction::Delete { .. } => expected.push(vec![
                "delete".to_owned(),
                "servicemeshcontrolplanes.maistra.io".into(),
                "basic".into(),
                "--ignore-not-found".into(),
                "-n".into(),
                "istio-system".into(),
                "--dry-run=server".into(),
            ]),
            _ => {}
        }
    }
    assert_eq!(mutating, expected);
}

#[test]
fn kubectl_executor_applies_stops_unverified_and_resumes_from_its_journal() {
    let dir = scratch("kubectl-apply");
    let plan = save_plan(&dir);
    let bin = stand_in(&dir);
    let journal = dir.join("run.jsonl");
    let run = |fail: Option<&str>| {
        let mut cmd = example("kubectl_executor");
        cmd.arg(&plan)
            .args(["--apply", "--observations", "1", "--journal"])
            .arg(&journal);
        if let Some(f) = fail {
            cmd.env("KUBECTL_FAIL", f);
        }
        with_path(&mut cmd, &bin);
        cmd.output().unwrap()
    };
    // A refusal (Forbidden) stops the run at step 1; nothing is retried. The
    // reason is kubectl's message, without client-go's klog lines.
    let out = run(Some("label"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("Forbidden") && !text(&out.stderr).contains("memcache.go"),
        "{}",
        text(&out.stderr)
    );
    let labels_sent = |dir: &Path| calls(dir).iter().filter(|c| c[0] == "label").count();
    assert_eq!(labels_sent(&dir), 1);
    // The stand-in's cluster never changes: the label is sent (no dry run) and
    // its effect is missing, so the run stops unverified.
    let out = run(None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("does not show it"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(labels_sent(&dir), 2);
    let last_label = calls(&dir).into_iter().rfind(|c| c[0] == "label").unwrap();
    assert!(!last_label.iter().any(|a| a.starts_with("--dry-run")));
    // Continuing after a missing effect re-checks the step: the cluster is still
    // as before it, so the (idempotent) label is sent again.
    let out = run(None);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(labels_sent(&dir), 3);
    // A journal that ends with the change accepted (the executor died right
    // after): resuming only observes, it never sends the change again.
    let plan_value: meshrev::plan::Plan =
        serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    let lines = [
        Entry::Begin {
            plan: exec::fingerprint(&plan_value),
            steps: plan_value.len(),
            dry_run: false,
        },
        Entry::Sent {
            step: 1,
            attempt: 1,
            restarted_at: None,
            latest_version: None,
        },
        Entry::Applied { step: 1 },
    ];
    std::fs::write(
        &journal,
        lines.iter().map(|e| e.to_line() + "\n").collect::<String>(),
    )
    .unwrap();
    let out = run(None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("does not show it"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(labels_sent(&dir), 3);
}

/// Runs the real kubectl client in `--local` mode (no cluster); `None` when it
/// is not installed.
fn kubectl_local(args: &[&str]) -> Option<serde_json::Value> {
    let out = match Command::new("kubectl").args(args).output() {
        Ok(out) => out,
        Err(_) => {
            eprintln!("kubectl is not installed: skipping the --local check");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        text(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn json_labels(v: &serde_json::Value) -> Labels {
    v.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn real_kubectl_local_agrees_with_the_simulated_labels_and_patches() {
    let dir = scratch("kubectl-local");
    let mesh = story_mesh();
    let plan = plan::plan(&mesh, &plan::Request::to("ossm3")).unwrap();
    let mut checked = 0;
    for step in plan.steps() {
        let StepAction::LabelNamespace {
            namespace,
            set,
            remove,
        } = &step.action
        else {
            continue;
        };
        let ns = mesh.snapshot().namespace(namespace).unwrap();
        let file = dir.join(format!("{namespace}.json"));
        std::fs::write(
            &file,
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": namespace, "labels": ns.meta.labels}})
            .to_string(),
        )
        .unwrap();
        // The same arguments the kubectl executor sends, on a local file.
        let mut args = vec![
            "label".to_owned(),
            "--local".into(),
            "-f".into(),
            file.display().to_string(),
        ];
        args.extend(set.iter().map(|(k, v)| format!("{k}={v}")));
        args.extend(remove.iter().map(|k| format!("{k}-")));
        args.extend(["--overwrite=true".into(), "-o".into(), "json".into()]);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let Some(out) = kubectl_local(&argv) else {
            return;
        };
        let mut simulated = mesh.snapshot().clone();
        simulated
            .apply(&Edit::LabelNamespace {
                namespace: namespace.clone(),
                set: set.clone(),
                remove: remove.clone(),
            })
            .unwrap();
        assert_eq!(
            json_labels(&out["metadata"]["labels"]),
            simulated.namespace(namespace).unwrap().meta.labels,
            "{namespace}"
        );
        checked += 1;
    }
    assert_eq!(checked, 5);

    // Merge patches of a pod template (labels, and the restart annotation) as
    // the API server would merge them, against Snapshot::apply.
    let w = mesh.snapshot().workloads_in("mercury").next().unwrap();
    let id = WorkloadId::new("mercury", w.kind, w.meta.name.clone());
    let file = dir.join("deployment.json");
    std::fs::write(
        &file,
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": w.meta.name, "namespace": "mercury"},
            "spec": {"selector": {"matchLabels": {"app": "x"}},
                     "template": {"metadata": {"labels": w.template.labels}}}})
        .to_string(),
    )
    .unwrap();
    let step = StepAction::LabelTemplate {
        workload: id.clone(),
        set: Labels::from([("istio.io/rev".to_owned(), "ossm3".to_owned())]),
        remove: ["sidecar.istio.io/inject".to_owned()].into(),
    };
    let requests = exec::render(&step, mesh.snapshot()).unwrap();
    let [
        Request::Patch {
            patch: PatchKind::Merge,
            body,
            ..
        },
    ] = requests.as_slice()
    else {
        panic!("{requests:?}")
    };
    let Some(out) = kubectl_local(&[
        "patch",
        "--local",
        "-f",
        file.to_str().unwrap(),
        "--type",
        "merge",
        "-p",
        &body.to_string(),
        "-o",
        "json",
    ]) else {
        return;
    };
    let mut simulated = mesh.snapshot().clone();
    simulated
        .apply(&Edit::LabelTemplate {
            workload: id.clone(),
            set: Labels::from([("istio.io/rev".to_owned(), "ossm3".to_owned())]),
            remove: ["sidecar.istio.io/inject".to_owned()].into(),
        })
        .unwrap();
    let w2 = simulated.workload("mercury", id.kind, &id.name).unwrap();
    assert_eq!(
        json_labels(&out["spec"]["template"]["metadata"]["labels"]),
        w2.template.labels
    );

    let restart = exec::render(
        &StepAction::Restart {
            workload: id.clone(),
        },
        mesh.snapshot(),
    )
    .unwrap();
    let mut restart = restart[0].clone();
    restart.stamp("2026-12-02T01:00:00Z");
    let body = restart.body().unwrap();
    let out = kubectl_local(&[
        "patch",
        "--local",
        "-f",
        file.to_str().unwrap(),
        "--type",
        "merge",
        "-p",
        &body.to_string(),
        "-o",
        "json",
    ])
    .unwrap();
    assert_eq!(
        out["spec"]["template"]["metadata"]["annotations"][exec::RESTARTED_AT],
        "2026-12-02T01:00:00Z"
    );
}

const VAULT: &str = "tests/data/kubectl/vault.yaml";

/// The objects of a YAML file: a `List`'s items, or each document.
fn yaml_objects(path: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let v: serde_json::Value = serde::Deserialize::deserialize(doc).unwrap();
        match v["items"].as_array() {
            Some(items) if v["kind"] == "List" => out.extend(items.iter().cloned()),
            _ => out.push(v),
        }
    }
    out
}

/// A stand-in `kubectl` over the story and the `vault` namespace (its
/// DeploymentConfig `ledger` at `latestVersion` 3), as a run that already
/// relabelled `vault` and restarted its Deployment left them. It answers a
/// DeploymentConfig's `instantiate` (`create --raw`) as the API server does:
/// `latestVersion` goes up by one; the rollout it starts replaces the
/// DeploymentConfig's pod by one of `ossm3` only at the second look at the
/// namespace's pods after it. With `$KUBECTL_CRASH` set it kills its caller
/// (the executor) once the instantiate is made, before the answer.
fn dc_stand_in(dir: &Path) -> PathBuf {
    let mesh = {
        let mut b = meshrev::SnapshotBuilder::new();
        b.add_path(BEFORE).unwrap().add_path(VAULT).unwrap();
        Mesh::new(b.build())
    };
    let plan = plan::plan(&mesh, &plan::Request::to("ossm3").namespaces(["vault"])).unwrap();
    let labels = plan::simulate(&mesh, &plan)
        .unwrap()
        .snapshot()
        .namespace("vault")
        .unwrap()
        .meta
        .labels
        .clone();
    let mut objects = yaml_objects(BEFORE);
    objects.extend(yaml_objects(VAULT));
    let (dc, mut objects): (Vec<_>, Vec<_>) = objects
        .into_iter()
        .partition(|o| o["kind"] == "DeploymentConfig");
    assert_eq!(dc[0]["status"]["latestVersion"], 3);
    let on_ossm3 = |objects: &mut Vec<serde_json::Value>, pod: &str| {
        let p = objects
            .iter_mut()
            .find(|o| o["kind"] == "Pod" && o["metadata"]["name"] == pod)
            .unwrap();
        p["metadata"]["annotations"]["istio.io/rev"] = "ossm3".into();
    };
    for o in &mut objects {
        if o["kind"] == "Namespace" && o["metadata"]["name"] == "vault" {
            o["metadata"]["labels"] = serde_json::to_value(&labels).unwrap();
        }
    }
    on_ossm3(&mut objects, "api-6b8f9-k2x7d");
    let list = |items: &[serde_json::Value]| {
        serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string()
    };
    std::fs::write(dir.join("before.json"), list(&objects)).unwrap();
    on_ossm3(&mut objects, "ledger-3-x7k2p");
    std::fs::write(dir.join("after.json"), list(&objects)).unwrap();
    std::fs::write(dir.join("dc.json"), list(&dc)).unwrap();
    std::fs::write(
        dir.join("plan.json"),
        serde_json::to_string_pretty(&plan).unwrap(),
    )
    .unwrap();

    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("kubectl");
    std::fs::write(
        &script,
        format!(
            r#"#!/usr/bin/env bash
d="{dir}"
printf '%s\x1f' "$@" >> "$d/calls.log"; printf '\n' >> "$d/calls.log"
if [[ "$1" == create && "$2" == --raw ]]; then
  cat > "$d/body.json"
  echo made >> "$d/instantiated"
  if [[ -n "${{KUBECTL_CRASH:-}}" ]]; then kill -9 "$PPID"; exit 1; fi
  echo '{{}}'; exit 0
fi
n=$(cat "$d/instantiated" 2>/dev/null | wc -l)
if [[ "$1" == get && "$2" == namespaces,* ]]; then
  (( n > 0 )) && echo look >> "$d/looks"
  looks=$(cat "$d/looks" 2>/dev/null | wc -l)
  if (( looks >= 2 )); then cat "$d/after.json"; else cat "$d/before.json"; fi
  exit 0
fi
if [[ "$1" == get && "$2" == deploymentconfigs.apps.openshift.io ]]; then
  sed "s/\"latestVersion\":3/\"latestVersion\":$((3 + n))/" "$d/dc.json"; exit 0
fi
if [[ "$1" == get ]]; then echo '{{"apiVersion":"v1","kind":"List","items":[]}}'; exit 0; fi
echo ok
"#,
            dir = dir.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

#[test]
fn kubectl_executor_killed_after_an_instantiate_resumes_without_sending_it_again() {
    let dir = scratch("kubectl-dc-crash");
    let bin = dc_stand_in(&dir);
    let journal = dir.join("run.jsonl");
    let run = |crash: bool| {
        let mut cmd = example("kubectl_executor");
        cmd.arg(dir.join("plan.json"))
            .args(["--apply", "--observations", "3", "--settle-secs", "0"])
            .arg("--journal")
            .arg(&journal);
        if crash {
            cmd.env("KUBECTL_CRASH", "1");
        }
        with_path(&mut cmd, &bin);
        cmd.output().unwrap()
    };
    let instantiates = || {
        calls(&dir)
            .into_iter()
            .filter(|c| c[0] == "create")
            .collect::<Vec<_>>()
    };
    // The relabel and the Deployment's restart are found done (nothing is
    // sent for them); the DeploymentConfig's instantiate is made, and the
    // executor dies before it hears back.
    let out = run(true);
    assert_eq!(out.status.code(), None, "{}", text(&out.stderr));
    let posted = instantiates();
    assert_eq!(
        posted,
        [vec![
            "create".to_owned(),
            "--raw".into(),
            "/apis/apps.openshift.io/v1/namespaces/vault/deploymentconfigs/ledger/instantiate"
                .into(),
            "-f".into(),
            "-".into(),
        ]]
    );
    let body: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("body.json")).unwrap()).unwrap();
    assert_eq!(body, exec::instantiate_body("ledger"));
    let entries = exec::journal::parse(&std::fs::read_to_string(&journal).unwrap()).unwrap();
    let Some(Entry::Sent {
        step,
        latest_version,
        ..
    }) = entries.last().cloned()
    else {
        panic!("{:?}", entries.last())
    };
    assert_eq!(latest_version, Some(3));
    // The same command again: the DeploymentConfig shows latestVersion 4,
    // so the instantiate was made; its rollout (still under way at the first
    // look) is awaited, not requested again.
    let out = run(false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(instantiates().len(), 1);
    assert!(
        calls(&dir)
            .iter()
            .all(|c| c[0] == "get" || c[0] == "create"),
        "{:?}",
        calls(&dir)
    );
    let entries = exec::journal::parse(&std::fs::read_to_string(&journal).unwrap()).unwrap();
    assert!(entries.contains(&Entry::Applied { step }));
    assert_eq!(entries.last(), Some(&Entry::Finished));
}
