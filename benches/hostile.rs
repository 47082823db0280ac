//! Time to answer each hostile input of `tests/hostile/cases.rs` (issue 10:
//! every one in well under a second). The table test checks the outcomes;
//! this only times them.
//!
//! ```text
//! cargo bench --bench hostile -- --quick
//! ```

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use meshrev::SnapshotBuilder;

#[path = "../tests/hostile/cases.rs"]
mod hostile;

fn answer(c: &mut Criterion) {
    let mut group = c.benchmark_group("hostile input");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for case in hostile::cases(1.0) {
        eprintln!("{}: {:.1} MB", case.name, case.bytes.len() as f64 / 1e6);
        group.bench_function(case.name, |b| {
            b.iter(|| {
                SnapshotBuilder::new()
                    .add_reader("<hostile>", black_box(case.bytes.as_slice()))
                    .is_ok()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, answer);
criterion_main!(benches);
