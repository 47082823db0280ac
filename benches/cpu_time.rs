//! A criterion measurement in CPU time of the calling thread, for the benches'
//! `-cpu` groups (`#[path]` module of `benches/resolve.rs` and `benches/plan.rs`):
//! the builder is a 2-core machine shared with other builds, whose load
//! inflates wall time much more than a thread's own CPU time.
#![allow(dead_code)]

use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// CPU time of the calling thread, in nanoseconds: the first field of
/// `/proc/thread-self/schedstat` (Linux), which only grows while the thread runs.
pub struct CpuTime;

/// Formats nanoseconds as wall time does.
static NANOS: WallTime = WallTime;

fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .expect("/proc/thread-self/schedstat (Linux)")
}

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;
    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns() - start
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        NANOS.formatter()
    }
}
