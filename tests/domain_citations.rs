//! The crate carries the domain reference its code, tests and fixtures cite
//! (`docs/domain.md`, rendered as the `meshrev::domain` module): every
//! "domain.md section N" names a section that exists, and nothing points outside
//! the repository.

use std::path::Path;

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "rs" || e == "md" || e == "yaml")
        {
            out.push(path);
        }
    }
}

#[test]
fn every_cited_section_exists_and_no_citation_leaves_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let domain = std::fs::read_to_string(root.join("docs/domain.md")).unwrap();
    let sections: Vec<u32> = domain
        .lines()
        .filter_map(|l| l.strip_prefix("## "))
        .filter_map(|l| l.split('.').next()?.parse().ok())
        .collect();
    assert_eq!(sections, (1..=9).collect::<Vec<_>>());

    let mut all = Vec::new();
    for dir in ["src", "tests", "fixtures", "examples", "benches"] {
        files(&root.join(dir), &mut all);
    }
    let mut cited = 0;
    for path in all {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let shown = path.strip_prefix(root).unwrap().display().to_string();
        assert!(
            !text.contains(&["/work/", "shared/domain"].concat()),
            "{shown} cites a domain reference outside the repository"
        );
        for (i, _) in text.match_indices("domain.md section") {
            let rest = &text[i + "domain.md section".len()..];
            let numbers = rest
                .trim_start_matches('s')
                .split(|c: char| {
                    !(c.is_ascii_digit()
                        || c == ' '
                        || c == ','
                        || c == 'a'
                        || c == 'n'
                        || c == 'd')
                })
                .next()
                .unwrap_or_default();
            for n in numbers
                .split(|c: char| !c.is_ascii_digit())
                .filter_map(|n| n.parse::<u32>().ok())
            {
                cited += 1;
                assert!(sections.contains(&n), "{shown} cites domain.md section {n}");
            }
        }
    }
    assert!(
        cited > 5,
        "expected the code to cite the reference ({cited})"
    );
}
