//! Running Rust work with the GVL released.
//!
//! magnus has no safe wrapper for this, so it is done here once: the work runs through a trampoline
//! that catches panics, touches no Ruby object, and can be stopped by Ruby's unblocking function
//! (Thread#kill, Thread#raise, Timeout, Ctrl-C) through a cancellation token. The unblocking
//! function is the async-signal-safe one of `interrupt.rs` (see there why), with a direct one as
//! the fallback. [`EngineWait`] is how every Graph entry point waits on the network with it.

use std::ffi::c_void;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::null_mut;
use std::time::Duration;

use magnus::{Error, Ruby};
use tokio_util::sync::CancellationToken;
use wa_health_core::client::Engine;

use super::errors::panic_error;
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

/// How often a wait on the main thread comes back to Ruby to let it handle signals. Ruby runs the
/// unblocking function for a signal only when some thread is free to notice the signal: when every
/// thread is inside a request, Ctrl-C would otherwise wait for the request to end.
const MAIN_THREAD_SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// Waits on an engine's futures with the GVL released: one [`without_gvl`] section per call of
/// [`EngineWait::wait`], on the main thread at most [`MAIN_THREAD_SIGNAL_CHECK`] long.
pub struct EngineWait<'e> {
    engine: &'e Engine,
    signal_check: Option<Duration>,
}

impl<'e> EngineWait<'e> {
    /// Must be called with the GVL held (it asks Ruby which thread this is).
    pub fn new(engine: &'e Engine) -> EngineWait<'e> {
        // SAFETY: called with the GVL held, as both functions require.
        let on_main_thread = unsafe { rb_sys::rb_thread_main() == rb_sys::rb_thread_current() };
        EngineWait {
            engine,
            signal_check: on_main_thread.then_some(MAIN_THREAD_SIGNAL_CHECK),
        }
    }

    /// Drives `work` on the engine without the GVL. `Some(output)` when it ended; `None` when the
    /// wait ended first (the main thread's signal check, or Ruby's unblocking function with nothing
    /// to raise: Thread#wakeup, an interrupt deferred by Thread.handle_interrupt, a trap handler),
    /// leaving `work` where it was, to be waited on again. `Err` when Ruby raised or is killing the
    /// thread (the caller drops `work`, which cancels it), or when `work` panicked.
    pub fn wait<F: Future>(
        &self,
        ruby: &Ruby,
        work: Pin<&mut F>,
    ) -> Result<Option<F::Output>, Error> {
        let outcome = without_gvl(|cancel| {
            self.engine.block_on(cancel, async {
                Ok(match self.signal_check {
                    Some(slice) => tokio::time::timeout(slice, work).await.ok(),
                    None => Some(work.await),
                })
            })
        })?;
        match outcome {
            Outcome::Done(Ok(output)) => Ok(output),
            // Cancelled by the unblocking function, and Ruby raised nothing.
            Outcome::Done(Err(_)) => Ok(None),
            Outcome::Panicked => Err(panic_error(ruby)),
        }
    }
}
