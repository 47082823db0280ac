//! The command's global allocator: the system allocator, with a small cache of
//! freed blocks per thread for sizes up to 264 bytes.
//!
//! Why: libyaml (through unsafe-libyaml, which allocates through Rust's global
//! allocator) allocates four 16-byte buffers for every plain scalar it scans
//! and frees them moments later; with glibc's `malloc` and `free` that was a
//! fifth of the instructions of reading a large YAML dump (PERFORMANCE.md). A
//! freed block here goes onto a list of its size class on the freeing thread
//! and the next allocation of that class takes it back: a few instructions,
//! no lock, no header (Rust passes the size to `dealloc`). A C allocator
//! (mimalloc, jemalloc) would do the same and more, but needs a C toolchain
//! to build the command, which meshrev otherwise does not.
//!
//! Bounds: each list holds at most [`KEEP`] blocks (more go back to the
//! system), and a thread's lists go back to the system when it ends, so the
//! cache never holds more than 16 x 64 blocks of at most 264 bytes a thread.
//!
//! Only on Linux with glibc, where the standard library registers a thread's
//! destructors with glibc (`__cxa_thread_atexit_impl`) and so does not
//! allocate from inside this allocator; elsewhere the system allocator alone.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::ptr;

/// Size classes 16 bytes apart: 24, 40, ..., 264 bytes. These are the sizes
/// glibc serves without slack (a chunk is the size and an 8-byte header,
/// rounded to 16), so a cached block takes no more memory than the same
/// request made to glibc directly.
const CLASSES: usize = 16;
const SMALLEST: usize = 24;
const GRAIN: usize = 16;
/// Blocks kept a size class and thread.
const KEEP: usize = 64;

/// Freed blocks of one thread: a singly linked list a class, the link written
/// in the block itself.
struct Lists {
    head: [*mut u8; CLASSES],
    len: [usize; CLASSES],
}

impl Drop for Lists {
    /// Returns the blocks to the system when the thread ends.
    fn drop(&mut self) {
        for class in 0..CLASSES {
            let mut block = self.head[class];
            while !block.is_null() {
                // SAFETY: every block on the list is a freed block of this
                // class, its first word the next block.
                unsafe {
                    let next = block.cast::<*mut u8>().read();
                    System.dealloc(block, class_layout(class));
                    block = next;
                }
            }
            self.head[class] = ptr::null_mut();
            self.len[class] = 0;
        }
    }
}

thread_local! {
    static LISTS: RefCell<Lists> = const {
        RefCell::new(Lists {
            head: [ptr::null_mut(); CLASSES],
            len: [0; CLASSES],
        })
    };
}

/// The class of `layout`, if it is cached (small, alignment at most 16).
fn class_of(layout: Layout) -> Option<usize> {
    let size = layout.size();
    let largest = SMALLEST + (CLASSES - 1) * GRAIN;
    (size > 0 && size <= largest && layout.align() <= GRAIN)
        .then(|| size.saturating_sub(SMALLEST).div_ceil(GRAIN))
}

/// The layout every block of `class` is allocated with.
fn class_layout(class: usize) -> Layout {
    // SAFETY: 24 to 264 bytes, alignment 16.
    unsafe { Layout::from_size_align_unchecked(SMALLEST + class * GRAIN, GRAIN) }
}

/// The system allocator with per-thread lists of freed small blocks.
pub struct Cached;

// SAFETY: every block is allocated by `System` with its class's layout (or
// the caller's, when not cached) and freed the same way; a cached block is
// handed out once until it is freed again.
unsafe impl GlobalAlloc for Cached {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(layout) else {
            // SAFETY: the caller's contract.
            return unsafe { System.alloc(layout) };
        };
        let reused = LISTS
            .try_with(|lists| {
                let mut lists = lists.try_borrow_mut().ok()?;
                let block = lists.head[class];
                if block.is_null() {
                    return None;
                }
                // SAFETY: a freed block of this class; its first word links on.
                lists.head[class] = unsafe { block.cast::<*mut u8>().read() };
                lists.len[class] -= 1;
                Some(block)
            })
            .ok()
            .flatten();
        match reused {
            Some(block) => block,
            // SAFETY: a valid, non-zero layout.
            None => unsafe { System.alloc(class_layout(class)) },
        }
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let Some(class) = class_of(layout) else {
            // SAFETY: the caller's contract: allocated by `System` with it.
            return unsafe { System.dealloc(block, layout) };
        };
        let kept = LISTS
            .try_with(|lists| {
                let Ok(mut lists) = lists.try_borrow_mut() else {
                    return false;
                };
                if lists.len[class] >= KEEP {
                    return false;
                }
                // SAFETY: the block is at least 16 bytes, aligned to 16, and
                // no longer the caller's.
                unsafe { block.cast::<*mut u8>().write(lists.head[class]) };
                lists.head[class] = block;
                lists.len[class] += 1;
                true
            })
            .unwrap_or(false);
        if !kept {
            // SAFETY: allocated by `System` with the class's layout.
            unsafe { System.dealloc(block, class_layout(class)) }
        }
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract (`new_size` non-zero, valid with the
        // alignment).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class_of(layout), class_of(new_layout)) {
            // Neither cached: the system's own realloc, which may grow in place.
            // SAFETY: the caller's contract.
            (None, None) => unsafe { System.realloc(block, layout, new_size) },
            // Within one class the block already has room.
            (Some(old), Some(new)) if old == new => block,
            _ => {
                // SAFETY: as for `alloc` and `dealloc`; the copy is of the
                // smaller size, both blocks valid for it.
                unsafe {
                    let new_block = self.alloc(new_layout);
                    if !new_block.is_null() {
                        ptr::copy_nonoverlapping(block, new_block, layout.size().min(new_size));
                        self.dealloc(block, layout);
                    }
                    new_block
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! This test binary's global allocator is [`Cached`] too (`main.rs`
    //! declares it), so every allocation below goes through it.

    use std::alloc::Layout;
    use std::sync::mpsc;

    use super::{class_layout, class_of};

    /// xorshift64: enough randomness to mix sizes and orders.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// A buffer of `len` bytes, each telling the buffer (`tag`) and its index.
    fn filled(tag: u8, len: usize) -> Vec<u8> {
        (0..len).map(|i| tag ^ (i as u8)).collect()
    }

    fn check(tag: u8, v: &[u8]) {
        for (i, &b) in v.iter().enumerate() {
            assert_eq!(b, tag ^ (i as u8), "byte {i} of a {}-byte block", v.len());
        }
    }

    #[test]
    fn every_cached_size_has_a_class_that_holds_it() {
        for size in 1..=400 {
            let layout = Layout::from_size_align(size, 8).unwrap();
            match class_of(layout) {
                Some(class) => {
                    assert!(class_layout(class).size() >= size, "{size}");
                    // No larger than needed: the class below is too small.
                    assert!(
                        class == 0 || class_layout(class - 1).size() < size,
                        "{size}"
                    );
                }
                None => assert!(size > 264, "{size}"),
            }
        }
        assert_eq!(class_of(Layout::from_size_align(32, 32).unwrap()), None);
    }

    /// Blocks of every cached size and beyond, grown and shrunk across size
    /// classes, freed on the thread that made them or on the other one: each
    /// keeps its bytes until it is freed.
    #[test]
    fn blocks_keep_their_bytes_across_sizes_resizes_and_threads() {
        let (to_b, from_a) = mpsc::channel::<(u8, Vec<u8>)>();
        let (to_a, from_b) = mpsc::channel::<(u8, Vec<u8>)>();
        let worker = |seed: u64,
                      send: mpsc::Sender<(u8, Vec<u8>)>,
                      receive: mpsc::Receiver<(u8, Vec<u8>)>| {
            move || {
                let mut state = seed;
                let mut live: Vec<(u8, Vec<u8>)> = Vec::new();
                for _ in 0..100_000 {
                    let r = next(&mut state);
                    match r % 6 {
                        0 | 1 => {
                            let tag = (r >> 8) as u8;
                            let len = 1 + (r >> 16) as usize % 600;
                            live.push((tag, filled(tag, len)));
                        }
                        2 if !live.is_empty() => {
                            let (tag, v) = live.swap_remove((r >> 8) as usize % live.len());
                            check(tag, &v);
                        }
                        3 if !live.is_empty() => {
                            // Resize: keeps the common prefix, refills the rest.
                            let i = (r >> 8) as usize % live.len();
                            let (tag, v) = &mut live[i];
                            let len = 1 + (r >> 16) as usize % 600;
                            let keep = v.len().min(len);
                            check(*tag, &v[..keep]);
                            v.resize(len, 0);
                            v.shrink_to_fit();
                            check(*tag, &v[..keep]);
                            for (j, b) in v.iter_mut().enumerate().skip(keep) {
                                *b = *tag ^ (j as u8);
                            }
                        }
                        4 if !live.is_empty() => {
                            let block = live.swap_remove((r >> 8) as usize % live.len());
                            let _ = send.send(block);
                        }
                        _ => {
                            while let Ok((tag, v)) = receive.try_recv() {
                                check(tag, &v);
                            }
                        }
                    }
                }
                for (tag, v) in live {
                    check(tag, &v);
                }
            }
        };
        let a = std::thread::spawn(worker(0x9E37_79B9_7F4A_7C15, to_b, from_b));
        let b = std::thread::spawn(worker(0xD1B5_4A32_D192_ED03, to_a, from_a));
        a.join().expect("thread a");
        b.join().expect("thread b");
    }
}
