//! Names that could break a shell never reach a script unquoted. A plan read from
//! a file is not validated like a snapshot, so every place a name or a label
//! value enters the kubectl script is fed hostile text, and each line of the
//! script is run by bash with stand-in `kubectl`, `istioctl` and `oc` that only
//! record their arguments: no payload may run, every name must arrive as one
//! argument, byte for byte, and every command must stay on one line.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use meshrev::plan::{
    Check, EndState, NamespaceDisposition, NamespaceScope, Plan, Scope, SourceRevision, Step,
    StepAction, Strategy, Target, Wave, WaveKind, WorkloadDisposition, WorkloadScope, render,
};
use meshrev::snapshot::{TagTargetKind, WorkloadKind};
use meshrev::{ObjectRef, WorkloadId};

/// Text that breaks a shell if it is not quoted: quotes, spaces, substitutions,
/// separators, globs, newlines.
const HOSTILE: [&str; 8] = [
    "a b",
    "it's",
    "$(touch PWNED1)",
    "`touch PWNED2`",
    "x; touch PWNED3",
    "two\nlines $(touch PWNED4)",
    "\"quoted\" \\ *",
    "-n",
];

fn plan_with(evil: &str) -> Plan {
    let ns = format!("ns {evil}");
    let workload = WorkloadId::new(ns.clone(), WorkloadKind::Deployment, format!("web{evil}"));
    let sts = WorkloadId::new(ns.clone(), WorkloadKind::StatefulSet, evil);
    let labels = |v: &str| [(format!("key/{evil}"), v.to_owned())].into();
    let actions = vec![
        StepAction::LabelNamespace {
            namespace: ns.clone(),
            set: labels(evil),
            remove: BTreeSet::from([format!("gone{evil}")]),
        },
        StepAction::LabelTemplate {
            workload: workload.clone(),
            set: labels(evil),
            remove: BTreeSet::from([evil.to_owned()]),
        },
        StepAction::Restart {
            workload: workload.clone(),
        },
        StepAction::Restart {
            workload: sts.clone(),
        },
        StepAction::MoveTag {
            tag: evil.to_owned(),
            revision: format!("rev{evil}"),
        },
        StepAction::RetargetSailTag {
            tag: evil.to_owned(),
            kind: TagTargetKind::IstioRevision,
            name: evil.to_owned(),
        },
        StepAction::SetIstioVersion {
            istio: evil.to_owned(),
            version: evil.to_owned(),
        },
        StepAction::Delete {
            object: ObjectRef::new("ServiceMeshControlPlane", Some(evil), evil),
        },
        StepAction::AwaitGone {
            object: ObjectRef::new("IstioRevision", None, evil),
        },
        StepAction::Verify {
            namespace: ns.clone(),
        },
    ];
    let checks = vec![
        Check::NamespaceLabels {
            namespace: ns.clone(),
            labels: [(evil.to_owned(), Some(evil.to_owned()))].into(),
        },
        Check::WorkloadRunning {
            workload: workload.clone(),
            revision: Some(evil.to_owned()),
        },
        Check::TagTarget {
            tag: evil.to_owned(),
            revision: Some(evil.to_owned()),
        },
        Check::IstioVersion {
            istio: evil.to_owned(),
            version: Some(evil.to_owned()),
        },
        Check::RevisionIdle {
            revision: evil.to_owned(),
        },
        Check::ObjectAbsent {
            object: ObjectRef::new("ServiceMeshControlPlane", Some(evil), evil),
        },
    ];
    let steps = actions
        .into_iter()
        .enumerate()
        .map(|(i, action)| Step {
            id: i + 1,
            action,
            reason: format!("reason {evil}"),
            preconditions: Vec::new(),
            postconditions: checks.clone(),
        })
        .collect();
    Plan {
        target: Target {
            name: evil.to_owned(),
            revision: evil.to_owned(),
            version: None,
        },
        strategy: Strategy::CanaryRelabel,
        sources: vec![SourceRevision {
            name: evil.to_owned(),
            control_plane: ObjectRef::new("Deployment", Some(evil), evil),
            version: None,
        }],
        scope: Scope {
            explicit: true,
            namespaces: vec![NamespaceScope {
                name: ns.clone(),
                injector: None,
                disposition: NamespaceDisposition::Migrate,
                pods: 1,
                workloads: vec![WorkloadScope {
                    workload,
                    pods: 1,
                    running: Vec::new(),
                    disposition: WorkloadDisposition::Restart,
                    template_labels: [(evil.to_owned(), evil.to_owned())].into(),
                }],
                others: Vec::new(),
            }],
        },
        waves: vec![Wave {
            number: 1,
            kind: WaveKind::Canary,
            namespaces: vec![ns],
            steps,
        }],
        end_state: EndState::default(),
        discovery_labels: Default::default(),
        notes: vec![format!("note {evil}")],
    }
}

const RECORDER: &str = "#!/bin/sh\n{ printf '%s' \"$(basename \"$0\")\"; for a in \"$@\"; do printf '\\037%s' \"$a\"; done; printf '\\036'; } >> \"$MESHREV_LOG\"\n";

fn stand_ins(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for tool in ["kubectl", "istioctl", "oc"] {
        let path = dir.join(tool);
        std::fs::write(&path, RECORDER).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn hostile_names_reach_commands_as_single_arguments_and_never_run() {
    if Command::new("bash").arg("--version").output().is_err() {
        eprintln!("skipped: bash is not installed");
        return;
    }
    let root = std::env::temp_dir().join(format!("meshrev-shell-{}", std::process::id()));
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    stand_ins(&bin);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for (i, evil) in HOSTILE.iter().enumerate() {
        let plan = plan_with(evil);
        let script = render::kubectl(&plan);
        let work = root.join(format!("case{i}"));
        std::fs::create_dir_all(&work).unwrap();
        let log = work.join("log");
        let lines: Vec<&str> = script
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("set "))
            .collect();
        assert!(lines.len() > 10, "{script}");
        for line in &lines {
            // One line, one complete command: bash parses it alone.
            let syntax = Command::new("bash")
                .args(["-n", "-c", line])
                .output()
                .unwrap();
            assert!(syntax.status.success(), "not a complete command: {line}");
            Command::new("bash")
                .args(["-c", line])
                .current_dir(&work)
                .env("PATH", &path)
                .env("MESHREV_LOG", &log)
                .output()
                .unwrap();
        }
        let ran: Vec<_> = std::fs::read_dir(&work)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("PWNED"))
            .collect();
        assert!(
            ran.is_empty(),
            "payload ran for {evil:?}: {ran:?}\n{script}"
        );
        // Every command's arguments, as the tools received them.
        let text = std::fs::read_to_string(&log).unwrap();
        let calls: Vec<Vec<&str>> = text
            .split('\u{1e}')
            .filter(|c| !c.is_empty())
            .map(|c| c.split('\u{1f}').collect())
            .collect();
        let has = |args: &[&str]| calls.iter().any(|c| args.iter().all(|a| c.contains(a)));
        let ns = format!("ns {evil}");
        assert!(
            has(&[
                "kubectl",
                "label",
                "namespace",
                &ns,
                &format!("key/{evil}={evil}"),
                &format!("gone{evil}-")
            ]),
            "{evil:?}: {calls:?}"
        );
        // The only Deployment of the namespace: the namespace-wide restart, then its status.
        assert!(
            has(&["kubectl", "rollout", "restart", "deployment", "-n", &ns]),
            "{evil:?}"
        );
        assert!(
            has(&[
                "kubectl",
                "rollout",
                "status",
                &format!("deployment/web{evil}"),
                &ns
            ]),
            "{evil:?}"
        );
        assert!(
            has(&[
                "kubectl",
                "rollout",
                "restart",
                &format!("statefulset/{evil}")
            ]),
            "{evil:?}"
        );
        assert!(
            has(&["istioctl", "tag", "set", evil, &format!("rev{evil}")]),
            "{evil:?}"
        );
        assert!(has(&["kubectl", "delete", "smcp", evil]), "{evil:?}");
        assert!(has(&["kubectl", "patch", "istio", evil]), "{evil:?}");
        assert!(
            has(&["kubectl", "wait", &format!("istiorevision/{evil}")]),
            "{evil:?}"
        );
        assert!(
            has(&["kubectl", "get", "pods", &ns, &format!("{evil}={evil}")]),
            "{evil:?}: {calls:?}"
        );
        // The JSON a patch or an apply carries is valid and holds the name.
        let patch = calls
            .iter()
            .find(|c| c.contains(&"patch") && c.contains(&"istio"))
            .and_then(|c| c.last())
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(patch).unwrap();
        assert_eq!(v["spec"]["version"], *evil);
    }
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn a_plan_with_names_the_api_server_refuses_is_refused_before_replay() {
    let mesh = meshrev::Mesh::new(meshrev::Snapshot::default());
    for evil in HOSTILE {
        let err = meshrev::plan::simulate(&mesh, &plan_with(evil)).unwrap_err();
        assert!(
            matches!(err, meshrev::PlanError::InvalidStep { step: 1, .. }),
            "{evil:?}: {err}"
        );
    }
}
