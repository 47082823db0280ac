//! Reading a snapshot from what users have: several files, directories, one
//! object seen twice. Snapshots from `tests/data/kubectl/` (made by kubectl).

use meshrev::{Error, Snapshot, SnapshotBuilder};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/kubectl");

fn data(name: &str) -> String {
    format!("{DATA}/{name}")
}

#[test]
fn the_same_version_read_twice_is_one_object() {
    // must-gather stores each pod in its namespace's list and again on its own.
    let mut b = SnapshotBuilder::new();
    b.add_path(data("shop-pods-list.yaml")).unwrap();
    b.add_path(data("shop-pod-a.yaml")).unwrap();
    let s = b.build();
    assert_eq!(s.pods().count(), 2);
    assert_eq!(
        s.pod("shop", "web-7d4b9-a")
            .unwrap()
            .meta
            .resource_version
            .as_deref(),
        Some("300")
    );
}

#[test]
fn two_versions_are_refused_with_both_places_and_versions() {
    let mut b = SnapshotBuilder::new();
    b.add_path(data("shop-pods-list.yaml")).unwrap();
    let err = b.add_path(data("shop-pod-a-newer.yaml")).unwrap_err();
    let Error::Duplicate {
        object,
        first,
        second,
        first_version,
        second_version,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(object.to_string(), "Pod shop/web-7d4b9-a");
    assert_eq!((first.document, first.item), (1, Some(1)));
    assert!(second.source.ends_with("shop-pod-a-newer.yaml"));
    assert_eq!(
        (first_version.as_deref(), second_version.as_deref()),
        (Some("300"), Some("305"))
    );
    assert!(err.to_string().contains("keep the newer"), "{err}");
}

#[test]
fn keep_newest_keeps_the_greater_resource_version_in_either_order() {
    for files in [
        ["shop-pods-list.yaml", "shop-pod-a-newer.yaml"],
        ["shop-pod-a-newer.yaml", "shop-pods-list.yaml"],
    ] {
        let mut b = SnapshotBuilder::new();
        b.keep_newest(true);
        for f in files {
            b.add_path(data(f)).unwrap();
        }
        let s = b.build();
        let pod = s.pod("shop", "web-7d4b9-a").unwrap();
        assert_eq!(
            pod.meta.resource_version.as_deref(),
            Some("305"),
            "{files:?}"
        );
        assert_eq!(pod.meta.labels["tier"], "back", "{files:?}");
        assert_eq!(s.pods().count(), 2);
    }
}

#[test]
fn objects_without_versions_are_still_duplicates() {
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n";
    let mut b = SnapshotBuilder::new();
    b.keep_newest(true);
    b.add_str("a.yaml", ns).unwrap();
    let err = b.add_str("b.yaml", ns).unwrap_err().to_string();
    assert_eq!(
        err,
        "Namespace shop appears twice: at a.yaml: document 1 and at b.yaml: document 1"
    );
}

#[test]
fn a_directory_reads_yaml_yml_json_and_counts_the_rest() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("input-dir");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    std::fs::copy(data("shop-namespace.yaml"), dir.join("a/ns.yml")).unwrap();
    std::fs::copy(data("shop-deployment.json"), dir.join("a/b/web.json")).unwrap();
    std::fs::write(dir.join("a/b/notes.txt"), "not a snapshot").unwrap();
    let mut b = SnapshotBuilder::new();
    b.add_path(&dir).unwrap();
    assert_eq!((b.files(), b.ignored_files()), (2, 1));
    let s = b.build();
    assert!(s.namespace("shop").is_some());
    assert_eq!(s.workloads().count(), 1);
    // `Snapshot::from_path` takes a directory too.
    assert_eq!(Snapshot::from_path(&dir).unwrap(), s);
}
