//! Running Rust work with the GVL released.
//!
//! magnus has no safe wrapper for this, so it is done here once: the work runs through a trampoline
//! that catches panics, touches no Ruby object, and can be stopped by Ruby's unblocking function
//! (Thread#kill, Thread#raise, Timeout, Ctrl-C) through a cancellation token. The unblocking
//! function is the async-signal-safe one of `interrupt.rs` (see there why), with a direct one as
//! the fallback.

use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::null_mut;

use magnus::Error;
use tokio_util::sync::CancellationToken;

use super::interrupt::{self, Registration};

struct Job<F, T> {
    work: Option<F>,
    cancel: CancellationToken,
    result: Option<std::thread::Result<T>>,
}

unsafe extern "C" fn run_job<F, T>(data: *mut c_void) -> *mut c_void
where
    F: FnOnce(&CancellationToken) -> T,
{
    // SAFETY: `data` is the `Job` that `without_gvl` keeps alive for the whole call.
    let job = unsafe { &mut *(data as *mut Job<F, T>) };
    if let Some(work) = job.work.take() {
        let cancel = job.cancel.clone();
        job.result = Some(catch_unwind(AssertUnwindSafe(move || work(&cancel))));
    }
    null_mut()
}

unsafe extern "C" fn unblock(data: *mut c_void) {
    // SAFETY: `data` is the token owned by the live `Job`; cancelling is thread-safe.
    let token = unsafe { &*(data as *const CancellationToken) };
    token.cancel();
}

/// What came back from the work, when Ruby did not take control first.
pub enum Outcome<T> {
    Done(T),
    Panicked,
}

/// Runs `work` without the GVL. Ruby's own interrupt check when the GVL comes back may raise or
/// kill the thread; that jump is caught here and returned as `Err`, so Rust frames unwind normally.
pub fn without_gvl<F, T>(work: F) -> Result<Outcome<T>, Error>
where
    F: FnOnce(&CancellationToken) -> T,
{
    let mut job = Job {
        work: Some(work),
        cancel: CancellationToken::new(),
        result: None,
    };
    // Lives until after the GVL is back, so the interrupt hub can still find the token.
    let registration = Registration::new(&job.cancel);
    let job_ptr = &mut job as *mut Job<F, T> as *mut c_void;
    let token_ptr = &job.cancel as *const CancellationToken as *mut c_void;
    magnus::rb_sys::protect(|| {
        // SAFETY: both pointers outlive the call; `run_job` matches the type behind `job_ptr`;
        // `interrupt::unblock` is async-signal-safe, as RB_NOGVL_UBF_ASYNC_SAFE promises Ruby.
        unsafe {
            match &registration {
                Some(registration) => rb_sys::rb_nogvl(
                    Some(run_job::<F, T>),
                    job_ptr,
                    Some(interrupt::unblock),
                    registration.arg(),
                    rb_sys::RB_NOGVL_UBF_ASYNC_SAFE as std::os::raw::c_int,
                ),
                None => rb_sys::rb_thread_call_without_gvl(
                    Some(run_job::<F, T>),
                    job_ptr,
                    Some(unblock),
                    token_ptr,
                ),
            };
        }
        rb_sys::Qnil as rb_sys::VALUE
    })?;
    drop(registration);
    Ok(match job.result.take() {
        Some(Ok(value)) => Outcome::Done(value),
        Some(Err(_)) => Outcome::Panicked,
        // The interrupt check before releasing the GVL ran and did not jump: nothing was done.
        None => Outcome::Panicked,
    })
}
