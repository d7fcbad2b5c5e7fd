//! An unblocking function that Ruby may call from a signal handler.
//!
//! When the main thread is Ruby's only thread, `rb_thread_call_without_gvl` with a custom
//! unblocking function starts a helper Ruby thread for the call (so that Ctrl-C can reach the
//! function) and kills it afterwards: 12-50 µs on every call, more than a loopback round trip.
//! `rb_nogvl(.., RB_NOGVL_UBF_ASYNC_SAFE)` skips that thread, but Ruby may then run the unblocking
//! function inside its signal handler, where locks, allocation and most of Rust are off limits.
//!
//! So the unblocking function here only `write(2)`s the call's id to a pipe (async-signal-safe).
//! A small Rust thread reads the ids and cancels the token registered under each. An id whose
//! call has ended is no longer registered and is ignored, so a late signal can never reach a token
//! that is gone. Rebuilt in a forked child, where the reader thread does not exist.

use std::collections::HashMap;
use std::ffi::c_void;
use std::os::raw::c_int;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

type Calls = Arc<Mutex<HashMap<usize, CancellationToken>>>;

struct Hub {
    pid: u32,
    read_fd: c_int,
    write_fd: c_int,
    calls: Calls,
}

static HUB: Mutex<Option<Hub>> = Mutex::new(None);
/// The pipe's write end, read by [`unblock`] without a lock (it may run in a signal handler).
static WRITE_FD: AtomicI32 = AtomicI32::new(-1);
/// Id 0 is never handed out, so a zeroed argument is never mistaken for a call.
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A call's token, reachable from [`unblock`] through `arg()` until this is dropped.
pub struct Registration {
    id: usize,
    calls: Calls,
}

impl Registration {
    /// Registers `token` for one GVL-free call. `None` when the pipe or the reader thread cannot
    /// be set up; the caller then uses Ruby's ordinary (slower, still correct) path.
    pub fn new(token: &CancellationToken) -> Option<Registration> {
        let calls = hub_calls()?;
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        lock(&calls).insert(id, token.clone());
        Some(Registration { id, calls })
    }

    /// The `data2` to pass with [`unblock`]: the id itself, never a pointer.
    pub fn arg(&self) -> *mut c_void {
        self.id as *mut c_void
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        lock(&self.calls).remove(&self.id);
    }
}

/// Ruby's unblocking function. Async-signal-safe: one atomic load and one `write(2)` of the id
/// to a non-blocking pipe; nothing is dereferenced. If the pipe were ever full the call would
/// not be cancelled early, and would end at its own timeout instead.
///
/// # Safety
///
/// Sound for any `arg`: it is used as a number, never as a pointer.
pub unsafe extern "C" fn unblock(arg: *mut c_void) {
    let fd = WRITE_FD.load(Ordering::Acquire);
    if fd < 0 {
        return;
    }
    let id = (arg as usize).to_ne_bytes();
    // SAFETY: writing a stack buffer of the stated length to a file descriptor.
    unsafe {
        libc::write(fd, id.as_ptr().cast(), id.len());
    }
}

fn hub_calls() -> Option<Calls> {
    let mut hub = lock(&HUB);
    let pid = std::process::id();
    if let Some(existing) = hub.as_ref() {
        if existing.pid == pid {
            return Some(existing.calls.clone());
        }
    }
    if let Some(stale) = hub.take() {
        // Inherited across fork: the reader thread is the parent's. Closing our copies of the
        // pipe does not affect the parent.
        WRITE_FD.store(-1, Ordering::Release);
        // SAFETY: closing descriptors this process owns and no longer uses.
        unsafe {
            libc::close(stale.read_fd);
            libc::close(stale.write_fd);
        }
    }
    let started = start(pid)?;
    let calls = started.calls.clone();
    WRITE_FD.store(started.write_fd, Ordering::Release);
    *hub = Some(started);
    Some(calls)
}

fn start(pid: u32) -> Option<Hub> {
    let mut fds = [0 as c_int; 2];
    // SAFETY: `fds` has room for the two descriptors pipe writes. (Plain pipe + fcntl rather than
    // pipe2, which macOS lacks. A process exec'd by another thread in between would inherit the
    // pipe, once per process: harmless.)
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return None;
    }
    let [read_fd, write_fd] = fds;
    // SAFETY: fcntl on the descriptors just created.
    let nonblocking = unsafe {
        let cloexec = |fd| libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) == 0;
        let flags = libc::fcntl(write_fd, libc::F_GETFL);
        cloexec(read_fd)
            && cloexec(write_fd)
            && flags >= 0
            && libc::fcntl(write_fd, libc::F_SETFL, flags | libc::O_NONBLOCK) == 0
    };
    let calls: Calls = Arc::new(Mutex::new(HashMap::new()));
    let reader_calls = calls.clone();
    let spawned = nonblocking
        && std::thread::Builder::new()
            .name("wa_health-intr".to_string())
            .stack_size(64 * 1024)
            .spawn(move || read_ids(read_fd, &reader_calls))
            .is_ok();
    if !spawned {
        // SAFETY: closing the descriptors just created, which nothing else uses.
        unsafe {
            libc::close(read_fd);
            libc::close(write_fd);
        }
        return None;
    }
    Some(Hub {
        pid,
        read_fd,
        write_fd,
        calls,
    })
}

/// The reader thread: cancels the token of every id written by [`unblock`].
fn read_ids(read_fd: c_int, calls: &Calls) {
    const ID: usize = std::mem::size_of::<usize>();
    let mut buffer = [0u8; ID * 64];
    let mut filled = 0;
    loop {
        // SAFETY: reading into the unfilled tail of a stack buffer.
        let n = unsafe {
            libc::read(
                read_fd,
                buffer[filled..].as_mut_ptr().cast(),
                buffer.len() - filled,
            )
        };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if n == 0 {
            return;
        }
        filled += n as usize;
        let whole = filled - filled % ID;
        {
            let calls = lock(calls);
            for chunk in buffer[..whole].chunks_exact(ID) {
                let id = usize::from_ne_bytes(chunk.try_into().unwrap_or([0; ID]));
                if let Some(token) = calls.get(&id) {
                    token.cancel();
                }
            }
        }
        buffer.copy_within(whole..filled, 0);
        filled -= whole;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn wait_for(token: &CancellationToken) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !token.is_cancelled() {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        true
    }

    #[test]
    fn unblocking_cancels_only_the_registered_call() {
        let first = CancellationToken::new();
        let second = CancellationToken::new();
        let a = Registration::new(&first).expect("the hub starts");
        let b = Registration::new(&second).expect("the hub starts");
        assert_ne!(a.arg(), b.arg());
        // SAFETY: `unblock` only writes the id to the pipe.
        unsafe { unblock(b.arg()) };
        assert!(wait_for(&second));
        assert!(!first.is_cancelled());
        drop(a);
        drop(b);
    }

    #[test]
    fn ids_of_ended_calls_are_ignored() {
        let token = CancellationToken::new();
        let registration = Registration::new(&token).expect("the hub starts");
        let stale = registration.arg();
        drop(registration);
        // SAFETY: as above; the id is no longer registered.
        unsafe { unblock(stale) };
        let probe = CancellationToken::new();
        let live = Registration::new(&probe).expect("the hub starts");
        // SAFETY: as above.
        unsafe { unblock(live.arg()) };
        // Ids are read in order: once the later one is handled, the stale one was too.
        assert!(wait_for(&probe));
        assert!(!token.is_cancelled());
    }
}
